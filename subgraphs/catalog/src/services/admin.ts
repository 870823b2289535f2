import { newId } from '@storefront/shared';
import type { Prisma } from '../generated/prisma/client.ts';
import type { ProductModel, VariantModel } from '../generated/prisma/models.ts';
import type {
  ArchiveProductInput, CreateProductInput, CreateVariantInput, PublishProductInput, UpdateProductInput, UpdateVariantInput,
} from '../generated/graphql.ts';
import type { CatalogContext } from '../context.ts';
import type { CatalogDb } from '../db.ts';
import { announceCatalogChange } from './changes.ts';
import { isId, slugify } from './input.ts';
import { Checks, freeSlug, MAX_POSITION, MAX_WEIGHT_GRAMS, uniqueViolation, type CatalogUserError } from './adminValidation.ts';

/**
 * Catalog editing (the resolvers require the catalog:write scope). Every function validates the whole input
 * first and answers problems as userErrors; writes that belong together run in one transaction, and every
 * successful write queues CatalogChanged in that same transaction (a transactional outbox: the write and the
 * event that clears the other processes' caches commit together or not at all).
 */

type Tx = Prisma.TransactionClient;
export interface ProductPayload {
  product: ProductModel | null;
  userErrors: CatalogUserError[];
}
export interface VariantPayload {
  variant: VariantModel | null;
  product: ProductModel | null;
  userErrors: CatalogUserError[];
}

const failed = (checks: Checks): ProductPayload => ({ product: null, userErrors: checks.errors });
const failedVariant = (checks: Checks): VariantPayload => ({ variant: null, product: null, userErrors: checks.errors });
const notFound = (checks: Checks, what: string, field: string[]) => checks.add('NOT_FOUND', `${what} not found`, field);

/** A slug derived from a title, made unique with a numeric suffix. */
async function derivedSlug(db: CatalogDb | Tx, title: string): Promise<string> {
  const base = slugify(title) || 'product';
  const taken = await db.product.findMany({ where: { slug: { startsWith: base } }, select: { slug: true } });
  return freeSlug(base, taken.map((t) => t.slug));
}

async function categoryExists(db: CatalogDb | Tx, id: string | null | undefined): Promise<boolean> {
  return isId(id) && (await db.category.count({ where: { id } })) === 1;
}

export async function createProduct(ctx: CatalogContext, input: CreateProductInput): Promise<ProductPayload> {
  const checks = new Checks();
  const title = checks.text(input.title, ['input', 'title'], { max: 200 });
  const brand = checks.text(input.brand, ['input', 'brand'], { max: 100 });
  const description = checks.text(input.description ?? '', ['input', 'description'], { max: 5000, optional: true, multiline: true });
  const slug = input.slug == null ? null : checks.slug(input.slug, ['input', 'slug']);
  const images = checks.images(input.images ?? [], ['input', 'images']);
  if (!isId(input.categoryId)) notFound(checks, 'Category', ['input', 'categoryId']);
  if (!checks.ok) return failed(checks);

  if (!(await categoryExists(ctx.db, input.categoryId))) notFound(checks, 'Category', ['input', 'categoryId']);
  if (slug && (await ctx.db.product.count({ where: { slug } }))) checks.add('DUPLICATE_SLUG', `slug "${slug}" is taken`, ['input', 'slug']);
  if (!checks.ok) return failed(checks);

  try {
    const finalSlug = slug ?? (await derivedSlug(ctx.db, title!));
    const product = await ctx.db.$transaction(async (tx) => {
      const created = await tx.product.create({
        data: {
          id: newId(), slug: finalSlug, title: title!, brand: brand!, description: description!,
          status: 'DRAFT', categoryId: input.categoryId,
          images: { create: images!.map((img, position) => ({ id: newId(), ...img, position })) },
        },
      });
      await announceCatalogChange(tx, 'write');
      return created;
    });
    return { product, userErrors: [] };
  } catch (error) {
    if (uniqueViolation(error) === 'slug') {
      checks.add('DUPLICATE_SLUG', 'slug is taken', ['input', 'slug']);
      return failed(checks);
    }
    throw error;
  }
}

export async function updateProduct(ctx: CatalogContext, input: UpdateProductInput): Promise<ProductPayload> {
  const checks = new Checks();
  const title = input.title == null ? undefined : checks.text(input.title, ['input', 'title'], { max: 200 });
  const brand = input.brand == null ? undefined : checks.text(input.brand, ['input', 'brand'], { max: 100 });
  const description = input.description == null ? undefined : checks.text(input.description, ['input', 'description'], { max: 5000, optional: true, multiline: true });
  const slug = input.slug == null ? undefined : checks.slug(input.slug, ['input', 'slug']);
  const images = input.images == null ? undefined : checks.images(input.images, ['input', 'images']);
  if (!isId(input.id)) notFound(checks, 'Product', ['input', 'id']);
  if (input.categoryId != null && !isId(input.categoryId)) notFound(checks, 'Category', ['input', 'categoryId']);
  if (!checks.ok) return failed(checks);

  const existing = await ctx.db.product.findUnique({ where: { id: input.id } });
  if (!existing) notFound(checks, 'Product', ['input', 'id']);
  if (input.categoryId != null && !(await categoryExists(ctx.db, input.categoryId))) notFound(checks, 'Category', ['input', 'categoryId']);
  if (slug && existing && slug !== existing.slug && (await ctx.db.product.count({ where: { slug } }))) {
    checks.add('DUPLICATE_SLUG', `slug "${slug}" is taken`, ['input', 'slug']);
  }
  if (!checks.ok) return failed(checks);

  try {
    const product = await ctx.db.$transaction(async (tx) => {
      if (images) {
        await tx.productImage.deleteMany({ where: { productId: input.id } });
        await tx.productImage.createMany({ data: images.map((img, position) => ({ id: newId(), productId: input.id, ...img, position })) });
      }
      const updated = await tx.product.update({
        where: { id: input.id },
        data: { title, brand, description, slug, ...(input.categoryId != null ? { categoryId: input.categoryId } : {}) },
      });
      await announceCatalogChange(tx, 'write');
      return updated;
    });
    return { product, userErrors: [] };
  } catch (error) {
    if (uniqueViolation(error) === 'slug') {
      checks.add('DUPLICATE_SLUG', 'slug is taken', ['input', 'slug']);
      return failed(checks);
    }
    throw error;
  }
}

export async function archiveProduct(ctx: CatalogContext, input: ArchiveProductInput): Promise<ProductPayload> {
  const checks = new Checks();
  if (!isId(input.id) || !(await ctx.db.product.count({ where: { id: input.id } }))) {
    notFound(checks, 'Product', ['input', 'id']);
    return failed(checks);
  }
  return ctx.db.$transaction(async (tx) => {
    const product = await tx.product.update({ where: { id: input.id }, data: { status: 'ARCHIVED' } });
    await announceCatalogChange(tx, 'write');
    return { product, userErrors: [] };
  });
}

export async function publishProduct(ctx: CatalogContext, input: PublishProductInput): Promise<ProductPayload> {
  const checks = new Checks();
  if (!isId(input.id)) {
    notFound(checks, 'Product', ['input', 'id']);
    return failed(checks);
  }
  return ctx.db.$transaction(async (tx) => {
    if (!(await lockProduct(tx, input.id))) {
      notFound(checks, 'Product', ['input', 'id']);
      return failed(checks);
    }
    if ((await tx.variant.count({ where: { productId: input.id } })) === 0) {
      checks.add('PRODUCT_HAS_NO_VARIANTS', 'add a variant before publishing the product', ['input', 'id']);
      return failed(checks);
    }
    const product = await tx.product.update({ where: { id: input.id }, data: { status: 'ACTIVE' } });
    await announceCatalogChange(tx, 'write');
    return { product, userErrors: [] };
  });
}

// ---- variants ------------------------------------------------------------------------------------------

/**
 * Locks the product row for the rest of the transaction. Variant changes of one product are serialised by it,
 * so the minPrice recomputed at the end always sees every committed variant price.
 */
async function lockProduct(tx: Tx, productId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "Product" WHERE "id" = ${productId} FOR UPDATE`;
  return rows.length === 1;
}

/** Product.minPrice is the lowest variant price (0 without variants); price sorts, filters and priceFrom read it. */
async function refreshMinPrice(tx: Tx, productId: string): Promise<ProductModel> {
  const { _min } = await tx.variant.aggregate({ where: { productId }, _min: { price: true } });
  return tx.product.update({ where: { id: productId }, data: { minPrice: _min.price ?? 0 } });
}

type Option = { name: string; value: string };
const optionKey = (options: Option[]) => options.map((o) => `${o.name.toLowerCase()}=${o.value.toLowerCase()}`).sort().join('\u0001');
const nameKey = (options: Option[]) => options.map((o) => o.name.toLowerCase()).sort().join('\u0001');

/** Every variant of a product has the same option names and a distinct combination of values. */
function checkAgainstSiblings(checks: Checks, options: Option[], siblings: { options: unknown }[]): void {
  if (siblings.length === 0) return;
  const expected = siblings[0].options as Option[];
  if (nameKey(expected) !== nameKey(options)) {
    const names = expected.map((o) => o.name).join(', ') || 'none';
    checks.add('INVALID_INPUT', `options must have the same names as the product's other variants (${names})`, ['input', 'options']);
    return;
  }
  if (siblings.some((s) => optionKey(s.options as Option[]) === optionKey(options))) {
    checks.add('DUPLICATE_VARIANT', 'another variant of the product has these option values', ['input', 'options']);
  }
}

function checkCompareAt(checks: Checks, price: number | undefined, compareAtPrice: number | null | undefined): void {
  if (compareAtPrice == null || price === undefined) return;
  if (checks.price(compareAtPrice, ['input', 'compareAtPrice']) === undefined) return;
  if (compareAtPrice <= price) checks.add('INVALID_PRICE', 'compareAtPrice must be above price', ['input', 'compareAtPrice']);
}

const defaultTitle = (options: Option[]) => (options.length ? options.map((o) => o.value).join(' / ') : 'Default');

export async function createVariant(ctx: CatalogContext, input: CreateVariantInput): Promise<VariantPayload> {
  const checks = new Checks();
  if (!isId(input.productId)) notFound(checks, 'Product', ['input', 'productId']);
  const sku = checks.sku(input.sku, ['input', 'sku']);
  const title = input.title == null ? undefined : checks.text(input.title, ['input', 'title'], { max: 200 });
  const options = checks.options(input.options ?? [], ['input', 'options']);
  const price = checks.price(input.price, ['input', 'price']);
  checkCompareAt(checks, price, input.compareAtPrice);
  const weightGrams = input.weightGrams == null ? 0 : checks.intRange(input.weightGrams, ['input', 'weightGrams'], 0, MAX_WEIGHT_GRAMS);
  const position = input.position == null ? undefined : checks.intRange(input.position, ['input', 'position'], 0, MAX_POSITION);
  if (!checks.ok) return failedVariant(checks);

  try {
    return await ctx.db.$transaction(async (tx) => {
      if (!(await lockProduct(tx, input.productId))) {
        notFound(checks, 'Product', ['input', 'productId']);
        return failedVariant(checks);
      }
      if (await tx.variant.count({ where: { sku: sku! } })) checks.add('DUPLICATE_SKU', `sku "${sku}" is taken`, ['input', 'sku']);
      const siblings = await tx.variant.findMany({ where: { productId: input.productId }, select: { options: true } });
      checkAgainstSiblings(checks, options!, siblings);
      if (!checks.ok) return failedVariant(checks);

      const variant = await tx.variant.create({
        data: {
          id: newId(), productId: input.productId, sku: sku!, title: title ?? defaultTitle(options!), options: options!, price: price!,
          compareAtPrice: input.compareAtPrice ?? null, weightGrams: weightGrams!, position: position ?? siblings.length,
          optionValues: { create: options!.map((o) => ({ name: o.name, value: o.value })) },
        },
      });
      const product = await refreshMinPrice(tx, input.productId);
      await announceCatalogChange(tx, 'write');
      return { variant, product, userErrors: [] };
    });
  } catch (error) {
    if (uniqueViolation(error) === 'sku') {
      checks.add('DUPLICATE_SKU', 'sku is taken', ['input', 'sku']);
      return failedVariant(checks);
    }
    throw error;
  }
}

export async function updateVariant(ctx: CatalogContext, input: UpdateVariantInput): Promise<VariantPayload> {
  const checks = new Checks();
  if (!isId(input.id)) notFound(checks, 'Variant', ['input', 'id']);
  const sku = input.sku == null ? undefined : checks.sku(input.sku, ['input', 'sku']);
  const title = input.title == null ? undefined : checks.text(input.title, ['input', 'title'], { max: 200 });
  const options = input.options == null ? undefined : checks.options(input.options, ['input', 'options']);
  const price = input.price == null ? undefined : checks.price(input.price, ['input', 'price']);
  const weightGrams = input.weightGrams == null ? undefined : checks.intRange(input.weightGrams, ['input', 'weightGrams'], 0, MAX_WEIGHT_GRAMS);
  const position = input.position == null ? undefined : checks.intRange(input.position, ['input', 'position'], 0, MAX_POSITION);
  if (!checks.ok) return failedVariant(checks);

  const current = await ctx.db.variant.findUnique({ where: { id: input.id } });
  if (!current) {
    notFound(checks, 'Variant', ['input', 'id']);
    return failedVariant(checks);
  }
  // compareAtPrice: absent keeps it, an explicit null removes it; it is checked against the resulting price.
  const compareAtPrice = 'compareAtPrice' in input ? (input.compareAtPrice ?? null) : current.compareAtPrice;
  checkCompareAt(checks, price ?? current.price, compareAtPrice);
  if (!checks.ok) return failedVariant(checks);

  try {
    return await ctx.db.$transaction(async (tx) => {
      await lockProduct(tx, current.productId);
      if (sku && sku !== current.sku && (await tx.variant.count({ where: { sku } }))) checks.add('DUPLICATE_SKU', `sku "${sku}" is taken`, ['input', 'sku']);
      if (options) {
        const siblings = await tx.variant.findMany({ where: { productId: current.productId, id: { not: current.id } }, select: { options: true } });
        checkAgainstSiblings(checks, options, siblings);
      }
      if (!checks.ok) return failedVariant(checks);

      if (options) {
        await tx.variantOption.deleteMany({ where: { variantId: current.id } });
        await tx.variantOption.createMany({ data: options.map((o) => ({ variantId: current.id, name: o.name, value: o.value })) });
      }
      const variant = await tx.variant.update({
        where: { id: current.id },
        data: {
          sku, price, compareAtPrice, weightGrams, position, ...(options ? { options } : {}),
          // A title that was derived from the options follows them unless a title is given.
          title: title ?? (options && current.title === defaultTitle(current.options as Option[]) ? defaultTitle(options) : undefined),
        },
      });
      const product = await refreshMinPrice(tx, current.productId);
      await announceCatalogChange(tx, 'write');
      return { variant, product, userErrors: [] };
    });
  } catch (error) {
    if (uniqueViolation(error) === 'sku') {
      checks.add('DUPLICATE_SKU', 'sku is taken', ['input', 'sku']);
      return failedVariant(checks);
    }
    throw error;
  }
}
