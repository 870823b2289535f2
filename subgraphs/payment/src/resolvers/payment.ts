import { money } from '@storefront/shared';
import type { OrderResolvers, PaymentResolvers } from '../generated/graphql.ts';
import { getPayment, paymentForOrder } from '../services/payments.ts';

// Entity references bypass root fields, so both go through the owner check in the services.
export const Payment: PaymentResolvers = {
  __resolveReference: (ref, ctx) => getPayment(ctx, ref.id),
  amount: (p) => money(p.amount, p.currency),
  capturedAmount: (p) => money(p.capturedAmount, p.currency),
  refundedAmount: (p) => money(p.refundedAmount, p.currency),
  card: (p) =>
    p.cardBrand && p.cardLast4 && p.cardExpMonth != null && p.cardExpYear != null
      ? { brand: p.cardBrand, last4: p.cardLast4, expMonth: p.cardExpMonth, expYear: p.cardExpYear }
      : null,
  order: (p) => ({ id: p.orderId }),
  createdAt: (p) => p.createdAt.toISOString(),
};

export const Order: OrderResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  payment: (order, _, ctx) => paymentForOrder(ctx, order.id),
};
