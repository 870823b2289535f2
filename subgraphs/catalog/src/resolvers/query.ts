import type { QueryResolvers } from '../generated/graphql.ts';
import { getCollectionByHandle, getProduct, getProductBySlug, listProducts } from '../services/products.ts';
import { getCategory, getCategoryBySlug, listRootCategories } from '../services/categories.ts';
import { searchSuggestions } from '../services/suggestions.ts';

export const Query: QueryResolvers = {
  product: (_, { id }, ctx) => getProduct(ctx, id),
  productBySlug: (_, { slug }, ctx) => getProductBySlug(ctx, slug),
  products: (_, args, ctx) => listProducts(ctx, args),
  searchSuggestions: (_, { prefix, first }, ctx) => searchSuggestions(ctx, prefix, first),
  categories: (_, __, ctx) => listRootCategories(ctx),
  category: (_, { id }, ctx) => getCategory(ctx, id),
  categoryBySlug: (_, { slug }, ctx) => getCategoryBySlug(ctx, slug),
  collection: (_, { handle }, ctx) => getCollectionByHandle(ctx, handle),
};
