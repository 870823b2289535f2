import type { MutationResolvers } from '../generated/graphql.ts';
import { archiveProduct, createProduct, createVariant, publishProduct, updateProduct, updateVariant } from '../services/admin.ts';
import { createCategory, updateCategory } from '../services/adminCategories.ts';

// The catalog:write scope is enforced by @hasScope on each field (schema.graphql).
export const Mutation: MutationResolvers = {
  createProduct: (_, { input }, ctx) => createProduct(ctx, input),
  updateProduct: (_, { input }, ctx) => updateProduct(ctx, input),
  archiveProduct: (_, { input }, ctx) => archiveProduct(ctx, input),
  publishProduct: (_, { input }, ctx) => publishProduct(ctx, input),
  createVariant: (_, { input }, ctx) => createVariant(ctx, input),
  updateVariant: (_, { input }, ctx) => updateVariant(ctx, input),
  createCategory: (_, { input }, ctx) => createCategory(ctx, input),
  updateCategory: (_, { input }, ctx) => updateCategory(ctx, input),
};
