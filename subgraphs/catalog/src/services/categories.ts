import type { CategoryModel } from '../generated/prisma/models.ts';
import type { CatalogContext } from '../context.ts';
import { listProducts } from './products.ts';

export const listRootCategories = (ctx: CatalogContext) =>
  ctx.db.category.findMany({ where: { parentId: null }, orderBy: [{ position: 'asc' }, { name: 'asc' }] });

export const getCategory = (ctx: CatalogContext, id: string) => ctx.loaders.category.load(id);

/** Ancestors root-first, read from the materialised path in one batched load. */
export async function breadcrumbs(ctx: CatalogContext, category: CategoryModel): Promise<CategoryModel[]> {
  const ids = category.path.split('/');
  const found = await ctx.loaders.category.loadMany(ids);
  return found.filter((c): c is CategoryModel => !!c && !(c instanceof Error));
}

/** The category and all its descendants, by materialised-path prefix (one indexed query). */
export async function descendantIds(ctx: CatalogContext, category: CategoryModel): Promise<string[]> {
  const rows = await ctx.db.category.findMany({ where: { path: { startsWith: `${category.path}/` } }, select: { id: true } });
  return [category.id, ...rows.map((r) => r.id)];
}

export async function categoryProducts(ctx: CatalogContext, category: CategoryModel, page: { first?: number | null; after?: string | null }) {
  return listProducts(ctx, { ...page, categoryIds: await descendantIds(ctx, category) });
}
