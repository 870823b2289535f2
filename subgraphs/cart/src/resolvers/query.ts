import type { QueryResolvers } from '../generated/graphql.ts';
import { getCart } from '../services/carts.ts';

export const Query: QueryResolvers = {
  cart: (_, { id }, ctx) => getCart(ctx, id),
};
