import type { MutationResolvers } from '../generated/graphql.ts';
import { archiveProduct, createProduct, createVariant, publishProduct, updateProduct, updateVariant } from '../services/admin.ts';
import { createCategory, updateCategory } from '../services/adminCategories.ts';
import { announceCatalogChange } from '../services/changes.ts';

import type { CatalogContext } from '../context.ts';

/**
 * Runs a catalog write, then drops this process's cached search results so its own readers see the write, and
 * announces it (CatalogChanged) so the other catalog processes and the gateways drop theirs.
 */
const write = <I, R extends { userErrors: readonly unknown[] }>(service: (ctx: CatalogContext, input: I) => Promise<R>) =>
  async (_: unknown, { input }: { input: I }, ctx: CatalogContext) => {
    try {
      const result = await service(ctx, input);
      // The write has committed: should the announcement fail, the other processes' TTLs still bound staleness.
      if (result.userErrors.length === 0) {
        await announceCatalogChange(ctx.db, 'write').catch((e) => ctx.log.warn({ err: e }, 'could not queue CatalogChanged'));
      }
      return result;
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
