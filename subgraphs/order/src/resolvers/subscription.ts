import type { SubscriptionResolvers } from '../generated/graphql.ts';
import type { OrderContext } from '../context.ts';
import { orderAtEvent, watchMyOrders, watchOrder } from '../services/live.ts';

export const Subscription: SubscriptionResolvers = {
  orderStatusChanged: {
    subscribe: (_, { orderId }, ctx) => watchOrder(ctx, orderId) as any,
    resolve: (event: any, _args: unknown, ctx: OrderContext) => orderAtEvent(ctx, event),
  },
  myOrderUpdates: {
    subscribe: (_, __, ctx) => watchMyOrders(ctx) as any,
    resolve: (event: any, _args: unknown, ctx: OrderContext) => orderAtEvent(ctx, event),
  },
};
