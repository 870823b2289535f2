import { money } from '@storefront/shared';
import type { OrderLineResolvers, OrderResolvers, OrderStatusChangeResolvers, UserResolvers } from '../generated/graphql.ts';
import { getOrder, orderLines, ordersOfUser, statusHistory } from '../services/orders.ts';
import { canSeeActors } from '../services/access.ts';

export const Order: OrderResolvers = {
  // References bypass Query.order, so they get the same ownership check.
  __resolveReference: (ref, ctx) => getOrder(ctx, ref.id),
  lines: (order, _, ctx) => orderLines(ctx, order),
  subtotal: (order) => money(order.subtotal, order.currency),
  discountTotal: (order) => money(order.discountTotal, order.currency),
  shippingTotal: (order) => money(order.shippingTotal, order.currency),
  taxTotal: (order) => money(order.taxTotal, order.currency),
  total: (order) => money(order.total, order.currency),
  placedAt: (order) => order.placedAt.toISOString(),
  statusHistory: (order, _, ctx) => statusHistory(ctx, order),
  customer: (order) => ({ id: order.userId }),
};

export const OrderLine: OrderLineResolvers = {
  variant: (line) => ({ id: line.variantId }),
  // Order lines carry no currency of their own: an order is in one currency.
  unitPrice: async (line, _, ctx) => money(line.unitPrice, (await ctx.loaders.orderById.load(line.orderId))!.currency),
  lineTotal: async (line, _, ctx) => money(line.lineTotal, (await ctx.loaders.orderById.load(line.orderId))!.currency),
};

export const OrderStatusChange: OrderStatusChangeResolvers = {
  actor: (change, _, ctx) => (canSeeActors(ctx.viewer) ? change.actor : null),
  at: (change) => change.at.toISOString(),
};

export const User: UserResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  orders: (user, args, ctx) => ordersOfUser(ctx, user.id, args),
};
