import { money } from '@storefront/shared';
import type { ProductConnectionResolvers, ProductResolvers, SearchSuggestionResolvers, VariantResolvers } from '../generated/graphql.ts';

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

// totalCount and facets are one SQL statement each, run only when selected; one in all when both are.
export const ProductConnection: ProductConnectionResolvers = {
  totalCount: (c) => c.totalCount(),
  facets: (c) => c.facets(),
};

export const SearchSuggestion: SearchSuggestionResolvers = {
  product: (s, _, ctx) => (s.productId ? ctx.loaders.product.load(s.productId) : null),
  category: (s, _, ctx) => (s.categoryId ? ctx.loaders.category.load(s.categoryId) : null),
};
