import type { QueryResolvers } from '../generated/graphql.ts';
import { getCart } from '../services/carts.ts';

export const Query: QueryResolvers = {
  cart: (_, { id, guestToken }, ctx) => getCart(ctx, id, guestToken),
};
