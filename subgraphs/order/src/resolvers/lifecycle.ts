import type { MutationResolvers, OrderResolvers } from '../generated/graphql.ts';
import { cancelOrder, fulfillOrder, markOrderDelivered, refundOrder, shipOrder } from '../services/lifecycle.ts';

export const LifecycleMutation: MutationResolvers = {
  cancelOrder: (_, { input }, ctx) => cancelOrder(ctx, input),
  fulfillOrder: (_, { input }, ctx) => fulfillOrder(ctx, input),
  shipOrder: (_, { input }, ctx) => shipOrder(ctx, input),
  markOrderDelivered: (_, { input }, ctx) => markOrderDelivered(ctx, input),
  refundOrder: (_, { input }, ctx) => refundOrder(ctx, input),
};

export const orderShipment: OrderResolvers['shipment'] = (order) =>
  order.carrier && order.trackingNumber && order.shippedAt
    ? { carrier: order.carrier, trackingNumber: order.trackingNumber, shippedAt: order.shippedAt.toISOString(), deliveredAt: order.deliveredAt?.toISOString() ?? null }
    : null;
