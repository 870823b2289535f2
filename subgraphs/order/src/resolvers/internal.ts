import type { MutationResolvers, QueryResolvers } from '../generated/graphql.ts';
import { confirmOrderPayment, failOrderPayment, orderForCheckout, placeOrder } from '../services/placement.ts';

/** Checkout saga operations (@inaccessible: reachable by services calling this subgraph directly, never through the gateway). */
export const InternalQuery: QueryResolvers = {
  orderForCheckout: (_, { checkoutId }, ctx) => orderForCheckout(ctx, checkoutId),
};

export const InternalMutation: MutationResolvers = {
  placeOrder: (_, { input }, ctx) => placeOrder(ctx, input),
  confirmOrderPayment: (_, { input }, ctx) => confirmOrderPayment(ctx, input),
  failOrderPayment: (_, { input }, ctx) => failOrderPayment(ctx, input),
};
