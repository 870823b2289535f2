import { money } from '@storefront/shared';
import type { CartLineResolvers, CartResolvers, UserResolvers } from '../generated/graphql.ts';
import { activeCartOf, cartLines, cartPrice, cartTotals, getCart } from '../services/carts.ts';
import type { Address } from '../services/pricing.ts';

export const Cart: CartResolvers = {
  // References bypass Query.cart, so they get the same ownership check.
  __resolveReference: (ref, ctx) => getCart(ctx, ref.id),
  lines: (cart, _, ctx) => cartLines(ctx, cart),
  itemCount: async (cart, _, ctx) => (await cartTotals(ctx, cart)).itemCount,
  subtotal: async (cart, _, ctx) => money((await cartTotals(ctx, cart)).subtotal, cart.currency),
  discountCode: (cart) => cart.discountCode,
  discountTotal: async (cart, _, ctx) => money((await cartPrice(ctx, cart)).discountTotal, cart.currency),
  shippingTotal: async (cart, _, ctx) => money((await cartPrice(ctx, cart)).shippingTotal, cart.currency),
  taxTotal: async (cart, _, ctx) => money((await cartPrice(ctx, cart)).taxTotal, cart.currency),
  total: async (cart, _, ctx) => money((await cartPrice(ctx, cart)).total, cart.currency),
  shippingAddress: (cart) => (cart.shippingAddress as Address | null) ?? null,
  updatedAt: (cart) => cart.updatedAt.toISOString(),
  expiresAt: (cart) => cart.expiresAt.toISOString(),
};

export const CartLine: CartLineResolvers = {
  variant: (line) => ({ id: line.variantId }),
  unitPrice: (line) => money(line.unitPrice, line.currency),
  lineTotal: (line) => money(line.unitPrice * line.quantity, line.currency),
};

export const User: UserResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  cart: (user, _, ctx) => activeCartOf(ctx, user.id),
};
