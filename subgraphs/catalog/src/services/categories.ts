import type { CategoryModel } from '../generated/prisma/models.ts';
import type { CatalogContext } from '../context.ts';
import { isCleanText, isId } from './input.ts';
import { searchProducts, type ProductSortKey } from './search.ts';

export const listRootCategories = (ctx: CatalogContext) =>
  ctx.db.category.findMany({ where: { parentId: null }, orderBy: [{ position: 'asc' }, { name: 'asc' }] });

export const getCategory = (ctx: CatalogContext, id: string) => (isId(id) ? ctx.loaders.category.load(id) : null);

export async function getCategoryBySlug(ctx: CatalogContext, slug: string): Promise<CategoryModel | null> {
  if (slug.length === 0 || slug.length > 200 || !isCleanText(slug)) return null;
  const category = await ctx.db.category.findUnique({ where: { slug } });
  if (category) ctx.loaders.category.prime(category.id, category);
  return category;
}

/** Ancestors root-first, read from the materialised path in one batched load. */
export async function breadcrumbs(ctx: CatalogContext, category: CategoryModel): Promise<CategoryModel[]> {
  const ids = category.path.split('/');
  const found = await ctx.loaders.category.loadMany(ids);
  return found.filter((c): c is CategoryModel => !!c && !(c instanceof Error));
}

/** Products of the category and all its descendants (the category filter of the product search). */
export function categoryProducts(ctx: CatalogContext, category: CategoryModel, page: { first?: number | null; after?: string | null; sort?: ProductSortKey | null }) {
  return searchProducts(ctx, { first: page.first, after: page.after, sort: page.sort, filter: { categoryId: category.id } });
}
