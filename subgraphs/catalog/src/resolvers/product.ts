import { money } from '@storefront/shared';
import type { ProductResolvers, VariantResolvers } from '../generated/graphql.ts';

// Entity references resolve whatever the status: an order placed before a product was archived
// still shows its title. Root fields are where customer visibility is enforced.
export const Product: ProductResolvers = {
  __resolveReference: (ref, ctx) => ctx.loaders.product.load(ref.id),
  category: async (p, _, ctx) => (await ctx.loaders.category.load(p.categoryId))!,
  images: (p, _, ctx) => ctx.loaders.imagesByProduct.load(p.id),
  variants: (p, _, ctx) => ctx.loaders.variantsByProduct.load(p.id),
  priceFrom: (p) => money(p.minPrice, p.currency),
  createdAt: (p) => p.createdAt.toISOString(),
};

export const Variant: VariantResolvers = {
  __resolveReference: (ref, ctx) => ctx.loaders.variant.load(ref.id),
  options: (v) => v.options as { name: string; value: string }[],
  price: (v) => money(v.price, v.currency),
  compareAtPrice: (v) => (v.compareAtPrice == null ? null : money(v.compareAtPrice, v.currency)),
  product: async (v, _, ctx) => (await ctx.loaders.product.load(v.productId))!,
};
