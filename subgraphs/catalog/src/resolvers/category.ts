import type { CategoryFacetValueResolvers, CategoryResolvers, CollectionResolvers } from '../generated/graphql.ts';
import { breadcrumbs, categoryProducts } from '../services/categories.ts';
import { collectionProducts } from '../services/products.ts';

export const Category: CategoryResolvers = {
  __resolveReference: (ref, ctx) => ctx.loaders.category.load(ref.id),
  parent: (c, _, ctx) => (c.parentId ? ctx.loaders.category.load(c.parentId) : null),
  children: (c, _, ctx) => ctx.loaders.childrenByCategory.load(c.id),
  breadcrumbs: (c, _, ctx) => breadcrumbs(ctx, c),
  products: (c, args, ctx) => categoryProducts(ctx, c, args),
};

export const CategoryFacetValue: CategoryFacetValueResolvers = {
  category: async (f, _, ctx) => (await ctx.loaders.category.load(f.categoryId))!,
};

export const Collection: CollectionResolvers = {
  products: (c, args, ctx) => collectionProducts(ctx, c.id, args),
};
