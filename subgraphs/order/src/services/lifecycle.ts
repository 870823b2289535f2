import { canAccessOwned, unauthenticated, userError, type UserError } from '@storefront/shared';
import type { OrderStatus } from '../generated/prisma/enums.ts';
import type { OrderModel } from '../generated/prisma/models.ts';
import type { OrderContext } from '../context.ts';
import { PeerUnavailableError } from '../clients/internal.ts';
import * as peers from '../clients/peers.ts';
import { canTransition, transition } from './orderStateMachine.ts';

/**
 * What happens to an order after checkout: customer cancellation, and staff fulfilment, shipping,
 * delivery and refunds. Every status change goes through `transition` (row lock, history entry
 * with who and when, OrderStatusChanged outbox event in the same transaction).
 *
 * Payment policy: checkout authorizes and may leave the payment AUTHORIZED when the order becomes
 * PAID; the money is captured at fulfilment (fulfillOrder captures before the order becomes
 * FULFILLED, and refuses to fulfil if the capture fails). A refund of an order whose payment is
 * still only authorized captures it first, then refunds. Cancelling voids an authorization, or
 * refunds whatever was captured.
 */

export const ORDERS_WRITE_ANY = 'orders:write:any';

export type OrderErrorCode =
  | 'ORDER_NOT_FOUND'
  | 'INVALID_TRANSITION'
  | 'INVALID_INPUT'
  | 'INVALID_AMOUNT'
  | 'PAYMENT_NOT_FOUND'
  | 'PAYMENT_FAILED'
  | 'REFUND_EXCEEDS_CAPTURE'
  | 'SERVICE_UNAVAILABLE';

export interface OrderPayload {
  order: OrderModel | null;
  userErrors: UserError<OrderErrorCode>[];
}

const fail = (code: OrderErrorCode, message: string, field?: string[], order: OrderModel | null = null): OrderPayload => ({
  order,
  userErrors: [userError(code, message, field)],
});

const notFound = () => fail('ORDER_NOT_FOUND', 'Order not found', ['input', 'orderId']);

function actorOf(ctx: OrderContext): string {
  if (ctx.viewer.service) return `service:${ctx.viewer.service}`;
  if (ctx.viewer.userId) return `user:${ctx.viewer.userId}`;
  return 'system';
}

/** Staff (orders:write:any) or the owner (when `owner` allows it); missing and not-yours read the same. */
async function loadWritable(ctx: OrderContext, orderId: string, ownerMayWrite: boolean): Promise<OrderModel | null> {
  if (!ctx.viewer.userId && !ctx.viewer.service && !ctx.viewer.clientId) throw unauthenticated();
  const order = await ctx.db.order.findUnique({ where: { id: orderId } });
  if (!order) return null;
  if (ownerMayWrite ? canAccessOwned(ctx.viewer, order.userId, ORDERS_WRITE_ANY) : canAccessOwned(ctx.viewer, null, ORDERS_WRITE_ANY)) return order;
  return null;
}

const invalidTransition = (order: OrderModel, to: OrderStatus): OrderPayload =>
  fail('INVALID_TRANSITION', `An order cannot go from ${order.status} to ${to}`, ['input', 'orderId'], order);

const peerDown = (e: unknown, order: OrderModel | null, what: string): OrderPayload => {
  if (!(e instanceof PeerUnavailableError)) throw e;
  return fail('SERVICE_UNAVAILABLE', `${what}: ${e.message}; try again`, undefined, order);
};

async function doTransition(ctx: OrderContext, order: OrderModel, to: OrderStatus, options: { reason?: string | null; data?: Parameters<typeof transition>[3]['data']; eventDetails?: Record<string, unknown> } = {}): Promise<OrderPayload> {
  const result = await transition(ctx, order.id, to, { actor: actorOf(ctx), reason: options.reason, data: options.data, eventDetails: options.eventDetails });
  return { order: result.order, userErrors: result.userErrors.map((e) => ({ ...e, field: ['input', 'orderId'] })) };
}

// ---------------------------------------------------------------------------------------------
// Cancel (the customer, or staff)

export const CANCELLABLE: readonly OrderStatus[] = ['PENDING_PAYMENT', 'PAID'];

/**
 * Cancels an order before fulfilment (PENDING_PAYMENT or PAID), then gives everything back: the
 * stock (a held reservation is released, committed units are returned) and the money (an
 * authorization is voided, a capture refunded). The status changes first, so a checkout still
 * running for the order can no longer confirm it. Calling it again on a CANCELLED order retries
 * whatever was left undone (each step is idempotent), so SERVICE_UNAVAILABLE is safe to retry.
 */
export async function cancelOrder(ctx: OrderContext, input: { orderId: string; reason?: string | null }): Promise<OrderPayload> {
  const order = await loadWritable(ctx, input.orderId, true);
  if (!order) return notFound();
  const reason = input.reason?.trim().slice(0, 500) || 'cancelled by request';
  let cancelled = order;
  if (order.status !== 'CANCELLED') {
    if (!CANCELLABLE.includes(order.status)) {
      return fail('INVALID_TRANSITION', `A ${order.status} order can no longer be cancelled`, ['input', 'orderId'], order);
    }
    const moved = await doTransition(ctx, order, 'CANCELLED', { reason });
    if (moved.userErrors.length || !moved.order) return moved;
    cancelled = moved.order;
  }
  const call = { userId: order.userId };
  try {
    await peers.returnStock([order.idempotencyKey, order.id].filter((r): r is string => !!r), reason, call);
  } catch (e) {
    return peerDown(e, cancelled, 'The order is cancelled, but its stock could not be returned yet');
  }
  try {
    const payment = await peers.paymentOfOrder(order.id, call);
    if (payment?.status === 'AUTHORIZED') {
      const voided = await peers.voidPayment(payment.id, call);
      if (voided.userErrors.length) return fail('PAYMENT_FAILED', `The order is cancelled, but the payment could not be voided: ${voided.userErrors[0].message}`, undefined, cancelled);
    } else if (payment && (payment.status === 'CAPTURED' || payment.status === 'PARTIALLY_REFUNDED')) {
      const amount = payment.capturedAmount - payment.refundedAmount;
      const refunded = await peers.refundPayment({ paymentId: payment.id, amount, reason, idempotencyKey: `order-cancel:${order.id}` }, call);
      if (refunded.userErrors.length) return fail('PAYMENT_FAILED', `The order is cancelled, but the refund failed: ${refunded.userErrors[0].message}`, undefined, cancelled);
    }
  } catch (e) {
    return peerDown(e, cancelled, 'The order is cancelled, but its payment could not be released yet');
  }
  return { order: cancelled, userErrors: [] };
}

// ---------------------------------------------------------------------------------------------
// Staff: fulfil, ship, deliver

/** PAID -> FULFILLED, capturing the payment first if checkout left it authorized. */
export async function fulfillOrder(ctx: OrderContext, input: { orderId: string }): Promise<OrderPayload> {
  const order = await loadWritable(ctx, input.orderId, false);
  if (!order) return notFound();
  if (!canTransition(order.status, 'FULFILLED')) return invalidTransition(order, 'FULFILLED');
  try {
    const payment = await peers.paymentOfOrder(order.id);
    if (!payment) return fail('PAYMENT_NOT_FOUND', 'The order has no payment to capture', ['input', 'orderId'], order);
    if (payment.status === 'AUTHORIZED') {
      const captured = await peers.capturePayment(payment.id);
      if (captured.userErrors.length) return fail('PAYMENT_FAILED', `The payment could not be captured: ${captured.userErrors[0].message}`, undefined, order);
    } else if (payment.status !== 'CAPTURED') {
      return fail('PAYMENT_FAILED', `The payment is ${payment.status}; nothing to fulfil against`, undefined, order);
    }
  } catch (e) {
    return peerDown(e, order, 'The payment could not be captured');
  }
  return doTransition(ctx, order, 'FULFILLED');
}

const MAX_TEXT = 100;

/** FULFILLED -> SHIPPED, recording the carrier and tracking number. */
export async function shipOrder(ctx: OrderContext, input: { orderId: string; trackingNumber: string; carrier: string }): Promise<OrderPayload> {
  const order = await loadWritable(ctx, input.orderId, false);
  if (!order) return notFound();
  const trackingNumber = input.trackingNumber.trim();
  const carrier = input.carrier.trim();
  if (!trackingNumber || trackingNumber.length > MAX_TEXT) return fail('INVALID_INPUT', `trackingNumber must be 1 to ${MAX_TEXT} characters`, ['input', 'trackingNumber'], order);
  if (!carrier || carrier.length > MAX_TEXT) return fail('INVALID_INPUT', `carrier must be 1 to ${MAX_TEXT} characters`, ['input', 'carrier'], order);
  const shippedAt = new Date();
  return doTransition(ctx, order, 'SHIPPED', { data: { carrier, trackingNumber, shippedAt }, eventDetails: { carrier, trackingNumber } });
}

/** SHIPPED -> DELIVERED. */
export async function markOrderDelivered(ctx: OrderContext, input: { orderId: string }): Promise<OrderPayload> {
  const order = await loadWritable(ctx, input.orderId, false);
  if (!order) return notFound();
  return doTransition(ctx, order, 'DELIVERED', { data: { deliveredAt: new Date() } });
}

// ---------------------------------------------------------------------------------------------
// Staff: refund

export interface RefundOrderInput {
  orderId: string;
  /** Minor units; everything still refundable when omitted. */
  amount?: number | null;
  reason: string;
  /** Retrying with the same key refunds once. */
  idempotencyKey?: string | null;
}

const PAYMENT_CODES: Record<string, OrderErrorCode> = { REFUND_EXCEEDS_CAPTURE: 'REFUND_EXCEEDS_CAPTURE', INVALID_AMOUNT: 'INVALID_AMOUNT' };

/**
 * Refunds part or all of the order's payment (never more than was captured: payment enforces it
 * under its row lock). Afterwards the order is REFUNDED when the whole capture is refunded, else
 * PARTIALLY_REFUNDED. A payment still only authorized is captured first. If the order's status
 * did not follow a refund (a crash in between), refunding again without an amount completes it.
 */
export async function refundOrder(ctx: OrderContext, input: RefundOrderInput): Promise<OrderPayload> {
  const order = await loadWritable(ctx, input.orderId, false);
  if (!order) return notFound();
  const reason = input.reason.trim();
  if (!reason || reason.length > 500) return fail('INVALID_INPUT', 'reason must be 1 to 500 characters', ['input', 'reason'], order);
  if (input.amount != null && !(Number.isSafeInteger(input.amount) && input.amount > 0)) {
    return fail('INVALID_AMOUNT', 'amount must be a positive whole number of minor units', ['input', 'amount'], order);
  }
  if (!canTransition(order.status, 'PARTIALLY_REFUNDED') && !canTransition(order.status, 'REFUNDED')) return invalidTransition(order, 'REFUNDED');

  let payment: peers.PaymentSummary | null;
  try {
    payment = await peers.paymentOfOrder(order.id);
    if (!payment) return fail('PAYMENT_NOT_FOUND', 'The order has no payment to refund', ['input', 'orderId'], order);
    if (payment.status === 'AUTHORIZED') {
      const captured = await peers.capturePayment(payment.id);
      if (captured.userErrors.length || !captured.payment) return fail('PAYMENT_FAILED', `The payment could not be captured: ${captured.userErrors[0]?.message}`, undefined, order);
      payment = captured.payment;
    }
    const refundable = payment.capturedAmount - payment.refundedAmount;
    if (input.amount == null && refundable === 0 && payment.status === 'REFUNDED') {
      return order.status === 'REFUNDED' ? { order, userErrors: [] } : doTransition(ctx, order, 'REFUNDED', { reason });
    }
    const amount = input.amount ?? refundable;
    if (amount > refundable) {
      return fail('REFUND_EXCEEDS_CAPTURE', `At most ${refundable} of the captured ${payment.capturedAmount} can still be refunded`, ['input', 'amount'], order);
    }
    const refunded = await peers.refundPayment({ paymentId: payment.id, amount, reason, idempotencyKey: input.idempotencyKey ?? null });
    if (refunded.userErrors.length || !refunded.payment) {
      const e = refunded.userErrors[0];
      return fail(PAYMENT_CODES[e?.code ?? ''] ?? 'PAYMENT_FAILED', e?.message ?? 'The refund failed', e?.field ?? undefined, order);
    }
    payment = refunded.payment;
  } catch (e) {
    return peerDown(e, order, 'The refund could not be made');
  }
  const to: OrderStatus = payment.refundedAmount >= payment.capturedAmount ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
  return doTransition(ctx, order, to, { reason, eventDetails: { refundedAmount: payment.refundedAmount, capturedAmount: payment.capturedAmount } });
}
