import type { ProductModel } from '../generated/prisma/models.ts';
import type { CatalogContext } from '../context.ts';
import { isVisible } from './visibility.ts';
import { isCleanText, isId } from './input.ts';
import { searchProducts, type ProductConnectionModel, type ProductQuery } from './search.ts';

export async function getProduct(ctx: CatalogContext, id: string): Promise<ProductModel | null> {
  if (!isId(id)) return null;
  const product = await ctx.loaders.product.load(id);
  return product && isVisible(ctx.viewer, product) ? product : null;
}

export async function getProductBySlug(ctx: CatalogContext, slug: string): Promise<ProductModel | null> {
  if (slug.length === 0 || slug.length > 200 || !isCleanText(slug)) return null;
  const product = await ctx.db.product.findUnique({ where: { slug } });
  if (!product || !isVisible(ctx.viewer, product)) return null;
  ctx.loaders.product.prime(product.id, product);
  return product;
}

/** `Query.products`: search, filter and sort (see services/search.ts). */
export const listProducts = (ctx: CatalogContext, query: ProductQuery): Promise<ProductConnectionModel> => searchProducts(ctx, query);

export async function getCollectionByHandle(ctx: CatalogContext, handle: string) {
  if (handle.length === 0 || handle.length > 200 || !isCleanText(handle)) return null;
  return ctx.db.collection.findUnique({ where: { handle } });
}

/** A collection's products in curated order; customers see ACTIVE ones only (facets work as for any list). */
export const collectionProducts = (ctx: CatalogContext, collectionId: string, page: { first?: number | null; after?: string | null }) =>
  searchProducts(ctx, { ...page, collectionId });
