import { forbidden, money, newId, userError, type UserError } from '@storefront/shared';
import { outboxEvent } from '@storefront/shared/events';
import { Prisma } from '../generated/prisma/client.ts';
import type { OrderModel } from '../generated/prisma/models.ts';
import type { OrderContext } from '../context.ts';
import { nextOrderNumber } from './orders.ts';
import { transition } from './orderStateMachine.ts';

/**
 * The order's part of the checkout saga (cart drives it). Internal operations: only a signed
 * service identity may call them, whatever scopes a person holds.
 *
 * - placeOrder creates a PENDING_PAYMENT order, its lines, its first history entry and an
 *   OrderPlaced outbox event in one transaction. The checkout id is the order's idempotencyKey
 *   (unique), so a retried call returns the first order instead of placing a second one.
 * - confirmOrderPayment / failOrderPayment move it on through the state machine; asking for the
 *   state the order is already in succeeds without a second history entry.
 */

export type PlacementErrorCode = 'INVALID_INPUT' | 'ORDER_NOT_FOUND' | 'INVALID_TRANSITION' | 'IDEMPOTENCY_KEY_REUSED';

export interface PlacementPayload {
  order: OrderModel | null;
  userErrors: UserError<PlacementErrorCode>[];
}

export interface PlaceOrderInput {
  checkoutId: string;
  userId: string;
  cartId?: string | null;
  currencyCode: string;
  lines: readonly { variantId: string; sku: string; productTitle: string; quantity: number; unitPrice: number }[];
  subtotal: number;
  discountTotal: number;
  shippingTotal: number;
  taxTotal: number;
  total: number;
  shippingAddress?: string | null;
}

const MAX_LINES = 100;

function requireService(ctx: OrderContext): string {
  if (!ctx.viewer.service) throw forbidden('Only internal services may place or settle orders');
  return `service:${ctx.viewer.service}`;
}

const invalid = (message: string, field: string[]): PlacementPayload => ({ order: null, userErrors: [userError('INVALID_INPUT', message, field)] });

const isAmount = (n: number) => Number.isSafeInteger(n) && n >= 0;

function validate(input: PlaceOrderInput): PlacementPayload | null {
  if (!input.checkoutId.trim() || input.checkoutId.length > 200) return invalid('checkoutId must be 1 to 200 characters', ['input', 'checkoutId']);
  if (!/^[A-Z]{3}$/.test(input.currencyCode)) return invalid('currencyCode must be an ISO 4217 code', ['input', 'currencyCode']);
  if (input.lines.length === 0 || input.lines.length > MAX_LINES) return invalid(`An order has 1 to ${MAX_LINES} lines`, ['input', 'lines']);
  for (const [i, line] of input.lines.entries()) {
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > 99) return invalid('quantity must be 1 to 99', ['input', 'lines', String(i), 'quantity']);
    if (!isAmount(line.unitPrice)) return invalid('unitPrice must be a non-negative integer', ['input', 'lines', String(i), 'unitPrice']);
  }
  for (const key of ['subtotal', 'discountTotal', 'shippingTotal', 'taxTotal', 'total'] as const) {
    if (!isAmount(input[key])) return invalid(`${key} must be a non-negative integer`, ['input', key]);
  }
  const subtotal = input.lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
  if (subtotal !== input.subtotal) return invalid('subtotal must equal the sum of the line totals', ['input', 'subtotal']);
  if (input.total !== input.subtotal - input.discountTotal + input.shippingTotal + input.taxTotal) {
    return invalid('total must equal subtotal - discountTotal + shippingTotal + taxTotal', ['input', 'total']);
  }
  if (input.shippingAddress != null) {
    try {
      JSON.parse(input.shippingAddress);
    } catch {
      return invalid('shippingAddress must be JSON', ['input', 'shippingAddress']);
    }
  }
  return null;
}

/** The order a checkout already placed: the same one when the request matches, else a conflict. */
function replay(existing: OrderModel, input: PlaceOrderInput): PlacementPayload {
  const same = existing.userId === input.userId && existing.total === input.total && existing.currency === input.currencyCode;
  return same
    ? { order: existing, userErrors: [] }
    : { order: null, userErrors: [userError('IDEMPOTENCY_KEY_REUSED', 'This checkout already placed a different order', ['input', 'checkoutId'])] };
}

export async function placeOrder(ctx: OrderContext, input: PlaceOrderInput): Promise<PlacementPayload> {
  const actor = requireService(ctx);
  const bad = validate(input);
  if (bad) return bad;
  const existing = await ctx.db.order.findUnique({ where: { idempotencyKey: input.checkoutId } });
  if (existing) return replay(existing, input);

  const at = new Date();
  const id = newId();
  try {
    const number = await nextOrderNumber(ctx.db);
    const order = await ctx.db.$transaction(async (tx) => {
      const created = await tx.order.create({
        data: {
          id, number, userId: input.userId, status: 'PENDING_PAYMENT', currency: input.currencyCode,
          subtotal: input.subtotal, discountTotal: input.discountTotal, shippingTotal: input.shippingTotal, taxTotal: input.taxTotal, total: input.total,
          placedAt: at, idempotencyKey: input.checkoutId, cartId: input.cartId ?? null,
          shippingAddress: input.shippingAddress != null ? JSON.parse(input.shippingAddress) : Prisma.JsonNull,
          lines: {
            create: input.lines.map((l, position) => ({
              id: newId(), variantId: l.variantId, sku: l.sku, productTitle: l.productTitle, quantity: l.quantity,
              unitPrice: l.unitPrice, lineTotal: l.quantity * l.unitPrice, position,
            })),
          },
          history: { create: [{ id: newId(), from: null, to: 'PENDING_PAYMENT', actor, reason: 'checkout', at }] },
        },
      });
      const event = outboxEvent('OrderPlaced', id, {
        orderId: id, orderNumber: number, userId: input.userId, checkoutId: input.checkoutId, status: 'PENDING_PAYMENT',
        lines: input.lines.map((l) => ({ variantId: l.variantId, sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice })),
        total: money(input.total, input.currencyCode), occurredAt: at.toISOString(),
      });
      await tx.outboxEvent.create({ data: { ...event, occurredAt: at } });
      return created;
    });
    return { order, userErrors: [] };
  } catch (error) {
    // A concurrent call with the same checkout id won the unique key: answer with its order.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      const winner = await ctx.db.order.findUnique({ where: { idempotencyKey: input.checkoutId } });
      if (winner) return replay(winner, input);
    }
    throw error;
  }
}

/** The order a checkout placed (for the saga's recovery), or null. */
export async function orderForCheckout(ctx: OrderContext, checkoutId: string): Promise<OrderModel | null> {
  requireService(ctx);
  return ctx.db.order.findUnique({ where: { idempotencyKey: checkoutId } });
}

async function settle(ctx: OrderContext, orderId: string, to: 'PAID' | 'PAYMENT_FAILED' | 'CANCELLED', reason: string | null): Promise<PlacementPayload> {
  const actor = requireService(ctx);
  const current = await ctx.db.order.findUnique({ where: { id: orderId } });
  if (!current) return { order: null, userErrors: [userError('ORDER_NOT_FOUND', 'Order not found', ['input', 'orderId'])] };
  if (current.status === to) return { order: current, userErrors: [] };
  const result = await transition(ctx, orderId, to, { actor, reason });
  // Lost a race to the same change: that is the outcome the caller wanted.
  if (result.userErrors.length && result.order?.status === to) return { order: result.order, userErrors: [] };
  return { order: result.order, userErrors: result.userErrors.map((e) => userError(e.code, e.message, ['input', 'orderId'])) };
}

export const confirmOrderPayment = (ctx: OrderContext, input: { orderId: string; paymentId?: string | null }) =>
  settle(ctx, input.orderId, 'PAID', input.paymentId ? `payment ${input.paymentId}` : 'payment captured');

export const failOrderPayment = (ctx: OrderContext, input: { orderId: string; cancelled?: boolean | null; reason?: string | null }) =>
  settle(ctx, input.orderId, input.cancelled ? 'CANCELLED' : 'PAYMENT_FAILED', input.reason ?? null);
