import { newId, money, userError, type UserError } from '@storefront/shared';
import type { OrderStatus } from '../generated/prisma/enums.ts';
import type { OrderModel } from '../generated/prisma/models.ts';
import type { OrderDb } from '../db.ts';
import type { OrderLoaders } from '../loaders.ts';
import { writeOutboxEvent } from '../events.ts';

/**
 * The order lifecycle. Anything not listed is refused; terminal states (CANCELLED, PAYMENT_FAILED,
 * REFUNDED) list nothing. PARTIALLY_REFUNDED may repeat: each further partial refund is a change.
 */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING_PAYMENT: ['PAID', 'PAYMENT_FAILED', 'CANCELLED'],
  PAID: ['FULFILLED', 'CANCELLED', 'REFUNDED', 'PARTIALLY_REFUNDED'],
  FULFILLED: ['SHIPPED', 'REFUNDED', 'PARTIALLY_REFUNDED'],
  SHIPPED: ['DELIVERED', 'REFUNDED', 'PARTIALLY_REFUNDED'],
  DELIVERED: ['REFUNDED', 'PARTIALLY_REFUNDED'],
  PARTIALLY_REFUNDED: ['REFUNDED', 'PARTIALLY_REFUNDED'],
  CANCELLED: [],
  PAYMENT_FAILED: [],
  REFUNDED: [],
};

export const ORDER_STATUSES = Object.keys(TRANSITIONS) as OrderStatus[];

export const canTransition = (from: OrderStatus, to: OrderStatus): boolean => TRANSITIONS[from].includes(to);

export const isTerminal = (status: OrderStatus): boolean => TRANSITIONS[status].length === 0;

export type TransitionErrorCode = 'ORDER_NOT_FOUND' | 'INVALID_TRANSITION';

export interface TransitionResult {
  order: OrderModel | null;
  userErrors: UserError<TransitionErrorCode>[];
}

export interface TransitionContext {
  db: OrderDb;
  /** When given (inside a request), the changed order replaces what the request's loaders remember. */
  loaders?: OrderLoaders;
}

export interface TransitionOptions {
  /** Who makes the change: "user:<id>", "service:<name>", "system". */
  actor: string;
  reason?: string | null;
  at?: Date;
  /** Further columns to set with the status (e.g. tracking details when shipping), in the same transaction. */
  data?: { carrier?: string; trackingNumber?: string; shippedAt?: Date; deliveredAt?: Date };
  /** Extra fields for the OrderStatusChanged event's payload. */
  eventDetails?: Record<string, unknown>;
}

/**
 * Moves an order to `to` if the state machine allows it from its current status. In one transaction
 * (with the order row locked, so concurrent transitions queue up and each sees the other's result):
 * the status, a history entry and an `OrderStatusChanged` outbox event. Callers authorize; this
 * checks only the lifecycle.
 */
export async function transition(ctx: TransitionContext, orderId: string, to: OrderStatus, options: TransitionOptions): Promise<TransitionResult> {
  const at = options.at ?? new Date();
  const reason = options.reason ?? null;
  const result = await ctx.db.$transaction(async (tx): Promise<TransitionResult> => {
    await tx.$executeRaw`SELECT 1 FROM "Order" WHERE "id" = ${orderId} FOR UPDATE`;
    const current = await tx.order.findUnique({ where: { id: orderId } });
    if (!current) return { order: null, userErrors: [userError('ORDER_NOT_FOUND', 'Order not found', ['orderId'])] };
    if (!canTransition(current.status, to)) {
      return {
        order: current,
        userErrors: [userError('INVALID_TRANSITION', `An order cannot go from ${current.status} to ${to}`, ['status'])],
      };
    }
    const order = await tx.order.update({ where: { id: orderId }, data: { ...options.data, status: to } });
    await tx.orderStatusHistory.create({ data: { id: newId(), orderId, from: current.status, to, actor: options.actor, reason, at } });
    await writeOutboxEvent(tx, 'OrderStatusChanged', orderId, {
      orderId, orderNumber: order.number, userId: order.userId, from: current.status, to, actor: options.actor, reason,
      total: money(order.total, order.currency), occurredAt: at.toISOString(), ...options.eventDetails,
    }, at);
    return { order, userErrors: [] };
  });
  if (ctx.loaders && result.order) {
    ctx.loaders.orderById.clear(orderId).prime(orderId, result.order);
    ctx.loaders.historyByOrder.clear(orderId);
  }
  return result;
}
