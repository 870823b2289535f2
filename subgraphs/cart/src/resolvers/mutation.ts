import type { MutationResolvers } from '../generated/graphql.ts';
import { addCartLines, createCart, removeCartLines, updateCartLines } from '../services/carts.ts';

export const Mutation: MutationResolvers = {
  createCart: (_, { input }, ctx) => createCart(ctx, input),
  addCartLines: (_, { input }, ctx) => addCartLines(ctx, input),
  updateCartLines: (_, { input }, ctx) => updateCartLines(ctx, input),
  removeCartLines: (_, { input }, ctx) => removeCartLines(ctx, input),
};
