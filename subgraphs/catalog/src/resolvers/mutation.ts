import type { MutationResolvers } from '../generated/graphql.ts';
import { archiveProduct, createProduct, createVariant, publishProduct, updateProduct, updateVariant } from '../services/admin.ts';
import { createCategory, updateCategory } from '../services/adminCategories.ts';
import type { CatalogContext } from '../context.ts';

/**
 * Runs a catalog write, then drops this process's cached answers (searches, responses, relation rows) so its own
 * readers see the write at once.
 * The other catalog processes and the gateways drop theirs on the CatalogChanged event that every successful
 * write queues in its own transaction (services/changes.ts).
 */
const write = <I, R>(service: (ctx: CatalogContext, input: I) => Promise<R>) =>
  async (_: unknown, { input }: { input: I }, ctx: CatalogContext) => {
    try {
      return await service(ctx, input);
    } finally {
      ctx.searchCache.clear();
    }
  };

// The catalog:write scope is enforced by @hasScope on each field (schema.graphql).
export const Mutation: MutationResolvers = {
  createProduct: write(createProduct),
  updateProduct: write(updateProduct),
  archiveProduct: write(archiveProduct),
  publishProduct: write(publishProduct),
  createVariant: write(createVariant),
  updateVariant: write(updateVariant),
  createCategory: write(createCategory),
  updateCategory: write(updateCategory),
};
