import { forbidden, unauthenticated } from '@storefront/shared';
import type { DomainEvent } from '@storefront/shared/events';
import type { OrderContext } from '../context.ts';
import type { OrderModel } from '../generated/prisma/models.ts';
import type { OrderStatusChangedEvent } from '../events.ts';
import { getOrder } from './orders.ts';

export const LIVE_EVENT_TYPES = ['OrderStatusChanged'];

function live(ctx: OrderContext) {
  if (!ctx.live) throw new Error('Subscriptions need an event transport (start the order subgraph with events)');
  return ctx.live;
}

/** Subscribing checks access once, up front; the events that follow concern only that order. */
export async function watchOrder(ctx: OrderContext, orderId: string) {
  if (!ctx.viewer.userId && !ctx.viewer.service) throw unauthenticated();
  const order = await getOrder(ctx, orderId);
  if (!order) throw forbidden('You cannot follow this order');
  return live(ctx).listen(LIVE_EVENT_TYPES, (e) => e.aggregateId === orderId);
}

export function watchMyOrders(ctx: OrderContext) {
  const userId = ctx.viewer.userId;
  if (!userId) throw unauthenticated();
  return live(ctx).listen(LIVE_EVENT_TYPES, (e) => (e.payload as OrderStatusChangedEvent).userId === userId);
}

/** The order as of this event: its status is the event's, even if a later change has already committed. */
export async function orderAtEvent(ctx: OrderContext, event: DomainEvent): Promise<OrderModel> {
  const order = await ctx.db.order.findUniqueOrThrow({ where: { id: event.aggregateId } });
  return { ...order, status: (event.payload as OrderStatusChangedEvent).to };
}
