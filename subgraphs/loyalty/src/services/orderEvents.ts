import type { DomainEvent } from '@storefront/shared/events';
import type { LoyaltyWriteContext } from '../context.ts';
import type { LoyaltyDb } from '../db.ts';
import { earnForOrder, releaseOrderPoints, reverseOrderPoints, reverseOrderShare } from './points.ts';

export const ORDER_EVENTS_CONSUMER = 'loyalty.order-points';

/** The fields of order's OrderStatusChanged payload loyalty reads. */
interface OrderStatusChanged {
  orderId: string;
  userId: string;
  to: string;
  reason?: string | null;
  total: { amount: number; currencyCode: string };
  /** Present on REFUNDED / PARTIALLY_REFUNDED: the payment's totals after the refund. */
  refundedAmount?: number;
  capturedAmount?: number;
}

/**
 * Turns order status changes into points:
 *   PAID                -> earn pending points for the order total (services/points.ts rate)
 *   DELIVERED           -> release the order's pending points into available ones
 *   CANCELLED, REFUNDED -> reverse everything the order earned
 *   PARTIALLY_REFUNDED  -> reverse the refunded share, refundedAmount / capturedAmount
 * Exactly once without a ProcessedEvent row: every ledger entry has a key derived from the order
 * (and the refunded total), so a redelivered or replayed event appends nothing.
 */
export async function applyOrderEvent(db: LoyaltyDb, event: Pick<DomainEvent, 'type' | 'payload'>): Promise<void> {
  if (event.type !== 'OrderStatusChanged') return;
  const e = event.payload as unknown as OrderStatusChanged;
  if (!e.userId || !e.orderId) return;
  const ctx: LoyaltyWriteContext = { db, viewer: { roles: [], scopes: [], service: 'order-events' } };
  switch (e.to) {
    case 'PAID':
      await earnForOrder(ctx, { userId: e.userId, orderId: e.orderId, amount: e.total.amount, currencyCode: e.total.currencyCode, pending: true });
      return;
    case 'DELIVERED':
      await releaseOrderPoints(ctx, { userId: e.userId, orderId: e.orderId });
      return;
    case 'CANCELLED':
    case 'REFUNDED':
      await reverseOrderPoints(ctx, { userId: e.userId, orderId: e.orderId, reason: `Order ${e.orderId} ${e.to.toLowerCase()}` });
      return;
    case 'PARTIALLY_REFUNDED':
      if (typeof e.refundedAmount !== 'number' || typeof e.capturedAmount !== 'number') return;
      await reverseOrderShare(ctx, { userId: e.userId, orderId: e.orderId, refundedAmount: e.refundedAmount, capturedAmount: e.capturedAmount });
      return;
  }
}
