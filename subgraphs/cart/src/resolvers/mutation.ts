import type { MutationResolvers } from '../generated/graphql.ts';
import { addCartLines, applyDiscountCode, createCart, mergeGuestCart, removeCartLines, setShippingAddress, updateCartLines } from '../services/carts.ts';
import { checkout } from '../services/checkout.ts';

export const Mutation: MutationResolvers = {
  createCart: (_, { input }, ctx) => createCart(ctx, input),
  addCartLines: (_, { input }, ctx) => addCartLines(ctx, input),
  updateCartLines: (_, { input }, ctx) => updateCartLines(ctx, input),
  removeCartLines: (_, { input }, ctx) => removeCartLines(ctx, input),
  applyDiscountCode: (_, { input }, ctx) => applyDiscountCode(ctx, input),
  setShippingAddress: (_, { input }, ctx) => setShippingAddress(ctx, input),
  mergeGuestCart: (_, { input }, ctx) => mergeGuestCart(ctx, input),
  checkout: async (_, { input }, ctx) => {
    const result = await checkout({ ...ctx.checkout, log: ctx.log }, ctx.viewer, input);
    return { order: result.orderId ? { id: result.orderId } : null, checkoutId: result.checkoutId, userErrors: result.userErrors };
  },
};
