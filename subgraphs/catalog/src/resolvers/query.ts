import type { QueryResolvers } from '../generated/graphql.ts';
import { getProduct, getProductBySlug, listProducts } from '../services/products.ts';
import { getCategory, listRootCategories } from '../services/categories.ts';

export const Query: QueryResolvers = {
  product: (_, { id }, ctx) => getProduct(ctx, id),
  productBySlug: (_, { slug }, ctx) => getProductBySlug(ctx, slug),
  products: (_, args, ctx) => listProducts(ctx, args),
  categories: (_, __, ctx) => listRootCategories(ctx),
  category: (_, { id }, ctx) => getCategory(ctx, id),
};
