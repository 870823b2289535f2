import { decodeCursor, encodeCursor, pageSize, toConnection } from '@storefront/shared';
import type { Prisma } from '../generated/prisma/client.ts';
import type { ProductModel } from '../generated/prisma/models.ts';
import type { CatalogContext } from '../context.ts';
import { isVisible, seesUnpublished } from './visibility.ts';

const CURSOR_KIND = 'product:newest';
const cursorOf = (p: ProductModel) => encodeCursor(CURSOR_KIND, [p.createdAt.toISOString(), p.id]);

export async function getProduct(ctx: CatalogContext, id: string): Promise<ProductModel | null> {
  const product = await ctx.loaders.product.load(id);
  return product && isVisible(ctx.viewer, product) ? product : null;
}

export async function getProductBySlug(ctx: CatalogContext, slug: string): Promise<ProductModel | null> {
  const product = await ctx.db.product.findUnique({ where: { slug } });
  if (!product || !isVisible(ctx.viewer, product)) return null;
  ctx.loaders.product.prime(product.id, product);
  return product;
}

export interface ListProductsInput {
  first?: number | null;
  after?: string | null;
  /** Restrict to these category ids (already expanded to descendants by the caller). */
  categoryIds?: string[];
}

/** Newest first, keyset-paginated on (createdAt, id) so cursors survive concurrent inserts. */
export async function listProducts(ctx: CatalogContext, input: ListProductsInput) {
  const limit = pageSize(input.first);
  const after = decodeCursor(CURSOR_KIND, input.after, 2);
  const where: Prisma.ProductWhereInput = {
    ...(seesUnpublished(ctx.viewer) ? {} : { status: 'ACTIVE' }),
    ...(input.categoryIds ? { categoryId: { in: input.categoryIds } } : {}),
  };
  const keyset: Prisma.ProductWhereInput | undefined = after
    ? { OR: [{ createdAt: { lt: new Date(String(after[0])) } }, { createdAt: new Date(String(after[0])), id: { lt: String(after[1]) } }] }
    : undefined;
  const [rows, totalCount] = await Promise.all([
    ctx.db.product.findMany({ where: keyset ? { AND: [where, keyset] } : where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit + 1 }),
    ctx.db.product.count({ where }),
  ]);
  for (const row of rows) ctx.loaders.product.prime(row.id, row);
  return { ...toConnection(rows, limit, cursorOf, !!after), totalCount };
}
