import { createHash } from 'node:crypto';
import { badInput, decodeCursor, encodeCursor, money, notFound, pageSize, toConnection, type Connection, type Money } from '@storefront/shared';
import { Prisma } from '../generated/prisma/client.ts';
import type { ProductModel } from '../generated/prisma/models.ts';
import type { CatalogContext } from '../context.ts';
import { seesUnpublished } from './visibility.ts';
import { isCleanText, isId, normalizeSearch } from './input.ts';

/**
 * Product listing, search, filters, sorts and facets: one SQL statement for the page, one for the total and one
 * for all facets (which also answers the total when both are asked), whatever the page size. Every value reaches SQL as a bound parameter of a Prisma.sql tagged
 * template; fragments are composed with Prisma.sql / Prisma.join only.
 *
 * Search: PostgreSQL full-text search on Product."searchVector" (title A, brand B, description C, English stemming,
 * unaccented), ranked with ts_rank. When that finds nothing visible, the query falls back to trigram word
 * similarity on the folded title (catalog_fuzzy_title_matches), which is what makes "hoodei" find hoodies. The
 * fallback is all-or-nothing so typo matches never dilute exact ones (and counts and facets stay consistent).
 *
 * Filter semantics: product-level filters (category subtree, brands) test the product; variant-level filters
 * (price range, option values, inStock) must all hold for one and the same variant.
 *
 * Facets ("disjunctive"): each dimension is counted with every filter except its own, so a count equals the
 * totalCount you would get by choosing that value instead of the current one. Dimensions: category (rolled up to
 * ancestors), brand, each option name separately, price range, inStock.
 */

export type ProductSortKey = 'RELEVANCE' | 'PRICE_ASC' | 'PRICE_DESC' | 'NEWEST' | 'TITLE';
type EffectiveSort = ProductSortKey | 'POSITION';
type Status = 'DRAFT' | 'ACTIVE' | 'ARCHIVED';

export interface ProductFilterInput {
  categoryId?: string | null;
  minPrice?: number | null;
  maxPrice?: number | null;
  options?: readonly { name: string; values: readonly string[] }[] | null;
  brands?: readonly string[] | null;
  inStock?: boolean | null;
  statuses?: readonly Status[] | null;
}

export interface ProductQuery {
  first?: number | null;
  after?: string | null;
  search?: string | null;
  filter?: ProductFilterInput | null;
  sort?: ProductSortKey | null;
  /** Restricts to one collection, listed in its curated order (sort and search do not apply). */
  collectionId?: string;
}

export const MAX_FILTER_VALUES = 50;
export const MAX_OPTION_FILTERS = 10;
export const MAX_FILTER_VALUE_LENGTH = 100;
/** Price facet boundaries in minor units: ranges are [b[i], b[i+1] - 1], the last one open-ended. */
export const PRICE_BOUNDARIES = [0, 2500, 5000, 10000, 20000, 50000] as const;
const FACET_CURRENCY = 'USD';

export interface ProductFacetValueModel {
  value: string;
  count: number;
  selected: boolean;
}
export interface CategoryFacetModel {
  categoryId: string;
  count: number;
  selected: boolean;
}
export interface ProductFacetsModel {
  categories: CategoryFacetModel[];
  brands: ProductFacetValueModel[];
  options: { name: string; values: ProductFacetValueModel[] }[];
  priceRanges: { min: Money; max: Money | null; count: number }[];
  inStock: number;
}
export interface ProductConnectionModel extends Connection<ProductModel> {
  totalCount: () => Promise<number>;
  facets: () => Promise<ProductFacetsModel>;
}

interface Plan {
  limit: number;
  search: string | null;
  sort: EffectiveSort;
  statuses: Status[] | null;
  categoryIds: string[] | null;
  selectedCategoryId: string | null;
  brands: string[] | null;
  minPrice: number | null;
  maxPrice: number | null;
  options: { name: string; values: string[] }[];
  inStock: boolean;
  collectionId: string | null;
  cursorKind: string;
  after: (string | number)[] | null;
}

// ---- input validation --------------------------------------------------------------------------------

function filterValue(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FILTER_VALUE_LENGTH || !isCleanText(value)) {
    throw badInput(`${field} values must be 1..${MAX_FILTER_VALUE_LENGTH} characters without control characters`, field);
  }
  return value;
}

function filterList(values: readonly string[] | null | undefined, field: string): string[] | null {
  if (values == null || values.length === 0) return null;
  if (values.length > MAX_FILTER_VALUES) throw badInput(`${field} accepts at most ${MAX_FILTER_VALUES} values`, field);
  return [...new Set(values.map((v) => filterValue(v, field)))];
}

function priceBound(value: number | null | undefined, field: string): number | null {
  if (value == null) return null;
  if (!Number.isSafeInteger(value) || value < 0) throw badInput(`${field} must be a non-negative integer amount in minor units`, `filter.${field}`);
  return value;
}

function optionFilters(options: ProductFilterInput['options']): Plan['options'] {
  if (!options || options.length === 0) return [];
  if (options.length > MAX_OPTION_FILTERS) throw badInput(`filter.options accepts at most ${MAX_OPTION_FILTERS} option names`, 'filter.options');
  const byName = new Map<string, Set<string>>();
  for (const o of options) {
    const name = filterValue(o.name, 'filter.options.name');
    const values = filterList(o.values, 'filter.options.values');
    if (!values) continue; // an empty value list does not restrict
    const set = byName.get(name) ?? new Set<string>();
    for (const v of values) set.add(v);
    byName.set(name, set);
  }
  return [...byName].map(([name, values]) => ({ name, values: [...values] }));
}

/** Longest cursor accepted. A TITLE cursor carries the folded title (up to 200 characters, several UTF-8 bytes each). */
export const MAX_CURSOR_LENGTH = 2048;

/** The shared decoder with a longer limit: a TITLE cursor of a long non-Latin title exceeds the default 512. */
const decodeProductCursor = (kind: string, cursor: string | null | undefined) => decodeCursor(kind, cursor, 2, MAX_CURSOR_LENGTH);

const searchTag = (search: string | null) => (search ? createHash('sha256').update(search.toLowerCase()).digest('base64url').slice(0, 12) : '-');

/** Checks the keyset values of a decoded cursor against what its sort stores, so SQL only ever sees well-typed values. */
function cursorValues(sort: EffectiveSort, values: (string | number | null)[] | null): (string | number)[] | null {
  if (!values) return null;
  const [key, id] = values;
  const invalid = () => badInput('Invalid cursor', 'after');
  if (typeof id !== 'string' || id.length > 100 || !isCleanText(id)) throw invalid();
  switch (sort) {
    case 'NEWEST':
      if (typeof key !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(key) || Number.isNaN(Date.parse(key))) throw invalid();
      break;
    case 'PRICE_ASC':
    case 'PRICE_DESC':
    case 'POSITION':
      if (typeof key !== 'number' || !Number.isSafeInteger(key) || Math.abs(key) > 2_147_483_647) throw invalid();
      break;
    case 'TITLE':
      if (typeof key !== 'string' || key.length > 400 || !isCleanText(key)) throw invalid();
      break;
    case 'RELEVANCE':
      if (typeof key !== 'number' || !Number.isFinite(key)) throw invalid();
      break;
  }
  return [key as string | number, id];
}

async function resolveCategory(ctx: CatalogContext, categoryId: string): Promise<string[]> {
  if (!isId(categoryId)) throw notFound('Category');
  const rows = await ctx.db.$queryRaw<{ id: string }[]>`
    SELECT d."id" FROM "Category" c
    JOIN "Category" d ON d."id" = c."id" OR left(d."path", length(c."path") + 1) = c."path" || '/'
    WHERE c."id" = ${categoryId}`;
  if (rows.length === 0) throw notFound('Category');
  return rows.map((r) => r.id);
}

/** Validates everything the client sent (before any SQL), then resolves the category filter. */
export async function planQuery(ctx: CatalogContext, query: ProductQuery): Promise<Plan> {
  const limit = pageSize(query.first);
  const collectionId = query.collectionId ?? null;
  const search = collectionId ? null : normalizeSearch(query.search);
  const requested: ProductSortKey = query.sort ?? (search ? 'RELEVANCE' : 'NEWEST');
  const sort: EffectiveSort = collectionId ? 'POSITION' : requested === 'RELEVANCE' && !search ? 'NEWEST' : requested;
  const cursorKind = `products:${sort}:${collectionId ?? searchTag(search)}`;
  const after = cursorValues(sort, decodeProductCursor(cursorKind, query.after));

  const filter = query.filter ?? {};
  const minPrice = priceBound(filter.minPrice, 'minPrice');
  const maxPrice = priceBound(filter.maxPrice, 'maxPrice');
  if (minPrice != null && maxPrice != null && minPrice > maxPrice) throw badInput('filter.minPrice must not be above filter.maxPrice', 'filter.minPrice');
  const brands = filterList(filter.brands, 'filter.brands');
  const options = optionFilters(filter.options);
  const requestedStatuses = filter.statuses && filter.statuses.length > 0 ? [...new Set(filter.statuses)] : null;
  const statuses = seesUnpublished(ctx.viewer)
    ? requestedStatuses
    : (requestedStatuses ?? ['ACTIVE']).filter((s) => s === 'ACTIVE');

  const selectedCategoryId = filter.categoryId ?? null;
  const categoryIds = selectedCategoryId != null ? await resolveCategory(ctx, selectedCategoryId) : null;
  return {
    limit, search, sort, statuses, categoryIds, selectedCategoryId, brands, minPrice, maxPrice, options,
    inStock: filter.inStock === true, collectionId, cursorKind, after,
  };
}

// ---- SQL fragments (aliases: p = Product, v = an element of its "variantSummary", o = the option being counted) ---

const sql = Prisma.sql;
const TRUE = sql`TRUE`;
const and = (parts: Prisma.Sql[]) => (parts.length ? sql`(${Prisma.join(parts, ' AND ')})` : TRUE);

/** Status restriction; a single status is an equality so the (status, sort key, id) indexes also give the order. */
const visibleSql = (plan: Plan) => {
  if (!plan.statuses) return TRUE;
  if (plan.statuses.length === 1) return sql`p."status" = ${plan.statuses[0]}::"ProductStatus"`;
  return sql`p."status" = ANY(${plan.statuses}::"ProductStatus"[])`;
};

/** The Product columns a page's search hits carry (the page's columns), so nothing joins back to Product. */
const HIT_COLUMNS = sql`p."id", p."slug", p."title", p."description", p."brand", p."status", p."categoryId", p."minPrice", p."currency",
  p."createdAt", p."updatedAt"`;

/**
 * The product summaries a statement reads on top of its hit columns: variant-level filters (and their facets) test
 * "variantSummary", facets without them count the facet summary. Hits carry only what their statement reads,
 * since the search CTE is materialised (the variant summary alone is a few hundred bytes per hit).
 */
const SUMMARY = {
  none: Prisma.empty,
  variants: sql`, p."variantSummary"`,
  facets: sql`, p."facetOptions", p."variantPrices", p."inStock"`,
} as const;
type Summary = keyof typeof SUMMARY;

/**
 * What a statement's hits carry besides a summary: the page its columns and the rank (RELEVANCE sorts by it), the
 * count and facet statements only what their filters read (no page columns, no rank to compute per hit).
 */
const HIT_SHAPES = {
  page: { columns: HIT_COLUMNS, rank: sql`, ts_rank(p."searchVector", q.query)::float8 AS rank`, score: sql`, f.score::float8` },
  filters: { columns: sql`p."id", p."status", p."brand", p."categoryId"`, rank: Prisma.empty, score: Prisma.empty },
} as const;
type HitShape = keyof typeof HIT_SHAPES;

/** `fts` (full-text hits) and `hits` (fts, or the typo-tolerant fallback when fts is empty), as CTE text. */
const searchCtes = (plan: Plan, shape: HitShape, summary: Summary) => {
  const { columns, rank, score } = HIT_SHAPES[shape];
  return sql`
  fts AS (
    SELECT ${columns}${SUMMARY[summary]}${rank}
    FROM "Product" p, websearch_to_tsquery('english', catalog_unaccent(${plan.search})) AS q(query)
    WHERE p."searchVector" @@ q.query AND ${visibleSql(plan)}
  ),
  hits AS (
    SELECT * FROM fts
    UNION ALL
    SELECT ${columns}${SUMMARY[summary]}${score} FROM catalog_fuzzy_title_matches(${plan.search}) f
    JOIN "Product" p ON p."id" = f."id"
    WHERE ${visibleSql(plan)} AND NOT EXISTS (SELECT 1 FROM fts)
  )`;
};

/** The WITH clause of a statement whose hits have `shape` and carry `summary`: the search CTEs when searching, then `more`. */
const withClause = (plan: Plan, shape: HitShape, summary: Summary, more?: Prisma.Sql) => {
  const ctes = [...(plan.search ? [searchCtes(plan, shape, summary)] : []), ...(more ? [more] : [])];
  return ctes.length ? sql`WITH ${Prisma.join(ctes, ',\n')}` : Prisma.empty;
};

const hasVariantFilters = (plan: Plan) => plan.inStock || plan.minPrice != null || plan.maxPrice != null || plan.options.length > 0;

/** What the page and count statements read: the variant summary when a variant-level filter tests it. */
const filterSummary = (plan: Plan): Summary => (hasVariantFilters(plan) ? 'variants' : 'none');

const fromSql = (plan: Plan) => sql`FROM ${plan.search ? sql`hits p` : sql`"Product" p`}
  ${plan.collectionId ? sql`JOIN "CollectionProduct" cp ON cp."productId" = p."id" AND cp."collectionId" = ${plan.collectionId}` : Prisma.empty}`;

const brandOk = (plan: Plan) => (plan.brands ? sql`p."brand" = ANY(${plan.brands}::text[])` : TRUE);
const categoryOk = (plan: Plan) => (plan.categoryIds ? sql`p."categoryId" = ANY(${plan.categoryIds}::text[])` : TRUE);

interface VariantScope {
  price?: boolean;
  stock?: boolean;
  /** For the option facet: a variant need not match the filter on the option name being counted (o."name"). */
  exceptCountedOption?: boolean;
}

/** An option filter as the "name<US>value" strings a variant summary's options hold (filter values hold no control characters). */
const optionKeys = (option: { name: string; values: string[] }) => option.values.map((value) => `${option.name}\u001f${value}`);

/**
 * Conditions on one element v of a product's "variantSummary" (pos, price, in_stock, options): the variant-level
 * filters in scope, all of which must hold for one and the same variant.
 */
function variantConditions(plan: Plan, scope: VariantScope = {}): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [];
  if (scope.stock !== false && plan.inStock) conditions.push(sql`v.in_stock`);
  if (scope.price !== false && plan.minPrice != null) conditions.push(sql`v.price >= ${plan.minPrice}::int`);
  if (scope.price !== false && plan.maxPrice != null) conditions.push(sql`v.price <= ${plan.maxPrice}::int`);
  for (const option of plan.options) {
    const has = sql`v.options && ${optionKeys(option)}::text[]`;
    conditions.push(scope.exceptCountedOption ? sql`(o."name" = ${option.name} OR ${has})` : has);
  }
  return conditions;
}

/** The product has one variant satisfying every variant-level filter in scope (TRUE when there are none). */
function variantOk(plan: Plan, scope: VariantScope = {}): Prisma.Sql {
  const conditions = variantConditions(plan, scope);
  return conditions.length ? sql`EXISTS (SELECT 1 FROM unnest(p."variantSummary") v WHERE ${and(conditions)})` : TRUE;
}

const matchesAll = (plan: Plan) => and([visibleSql(plan), brandOk(plan), categoryOk(plan), variantOk(plan)]);

interface SortSpec {
  key: Prisma.Sql;
  orderBy: Prisma.Sql;
  after: (values: (string | number)[]) => Prisma.Sql;
}

const SORTS: Record<EffectiveSort, SortSpec> = {
  NEWEST: {
    key: sql`p."createdAt"`,
    orderBy: sql`p."createdAt" DESC, p."id" DESC`,
    after: ([at, id]) => sql`(p."createdAt", p."id") < (${at}::timestamp(3), ${id})`,
  },
  PRICE_ASC: {
    key: sql`p."minPrice"`,
    orderBy: sql`p."minPrice" ASC, p."id" ASC`,
    after: ([price, id]) => sql`(p."minPrice", p."id") > (${price}::int, ${id})`,
  },
  PRICE_DESC: {
    key: sql`p."minPrice"`,
    orderBy: sql`p."minPrice" DESC, p."id" DESC`,
    after: ([price, id]) => sql`(p."minPrice", p."id") < (${price}::int, ${id})`,
  },
  TITLE: {
    key: sql`catalog_fold(p."title")`,
    orderBy: sql`catalog_fold(p."title") COLLATE "C" ASC, p."id" ASC`,
    after: ([title, id]) => sql`(catalog_fold(p."title") COLLATE "C", p."id") > (${title}, ${id})`,
  },
  RELEVANCE: {
    key: sql`p.rank`,
    orderBy: sql`p.rank DESC, p."id" DESC`,
    after: ([rank, id]) => sql`(p.rank, p."id") < (${rank}::float8, ${id})`,
  },
  POSITION: {
    key: sql`cp."position"`,
    orderBy: sql`cp."position" ASC, p."id" ASC`,
    after: ([position, id]) => sql`(cp."position", p."id") > (${position}::int, ${id})`,
  },
};

const PRODUCT_COLUMNS = sql`p."id", p."slug", p."title", p."description", p."brand", p."status"::text AS "status", p."categoryId",
  p."minPrice", p."currency", p."createdAt", p."updatedAt"`;

type PageRow = ProductModel & { sortKey: Date | string | number };

function pageSql(plan: Plan): Prisma.Sql {
  const spec = SORTS[plan.sort];
  return sql`${withClause(plan, 'page', filterSummary(plan))}
    SELECT ${PRODUCT_COLUMNS}, ${spec.key} AS "sortKey"
    ${fromSql(plan)}
    WHERE ${matchesAll(plan)} AND ${plan.after ? spec.after(plan.after) : TRUE}
    ORDER BY ${spec.orderBy}
    LIMIT ${plan.limit + 1}`;
}

function countSql(plan: Plan): Prisma.Sql {
  return sql`${withClause(plan, 'filters', filterSummary(plan))} SELECT count(*)::int AS "count" ${fromSql(plan)} WHERE ${matchesAll(plan)}`;
}

/**
 * Candidates counted per category first, so each category's path is split once rather than once per product;
 * the category facet then rolls those counts up to every ancestor.
 */
const categoryCounts = (where: Prisma.Sql) => sql`(SELECT c."categoryId", count(*) AS n FROM cand c WHERE ${where} GROUP BY c."categoryId")`;

/** Facets of a query without variant-level filters: counted from each product's facet summary, no variant is read. */
function summaryFacetsSql(plan: Plan): Prisma.Sql {
  const candidates = sql`cand AS MATERIALIZED (
    SELECT p."id", p."brand", p."categoryId", p."facetOptions", p."variantPrices", p."inStock", ${brandOk(plan)} AS b_ok, ${categoryOk(plan)} AS c_ok
    ${fromSql(plan)}
    WHERE ${visibleSql(plan)}
  )`;
  return sql`${withClause(plan, 'filters', 'facets', candidates)}
    SELECT 'brand' AS kind, c."brand" AS key, NULL::text AS value, count(*)::int AS count, 0 AS ord
      FROM cand c WHERE c.c_ok GROUP BY c."brand"
    UNION ALL
    SELECT 'category', a."id", NULL, sum(g.n)::int, 0
      FROM ${categoryCounts(sql`c.b_ok`)} g
      JOIN "Category" cat ON cat."id" = g."categoryId" CROSS JOIN LATERAL unnest(string_to_array(cat."path", '/')) AS a("id")
      GROUP BY a."id"
    UNION ALL
    SELECT 'price', x.bucket::text, NULL, count(*)::int, 0
      FROM cand c CROSS JOIN LATERAL (SELECT DISTINCT width_bucket(price, ${[...PRICE_BOUNDARIES]}::int[]) AS bucket FROM unnest(c."variantPrices") AS price) x
      WHERE c.b_ok AND c.c_ok GROUP BY x.bucket
    UNION ALL
    SELECT 'option', split_part(e, chr(31), 1), split_part(e, chr(31), 2), count(*)::int, min(split_part(e, chr(31), 3)::int)
      FROM cand c CROSS JOIN LATERAL unnest(c."facetOptions") AS e WHERE c.b_ok AND c.c_ok
      GROUP BY 2, 3
    UNION ALL
    SELECT 'inStock', NULL, NULL, count(*)::int, 0 FROM cand c WHERE c.b_ok AND c.c_ok AND c."inStock"
    UNION ALL
    SELECT 'total', NULL, NULL, count(*)::int, 0 FROM cand c WHERE c.b_ok AND c.c_ok`;
}

function facetsSql(plan: Plan): Prisma.Sql {
  return hasVariantFilters(plan) ? variantFacetsSql(plan) : summaryFacetsSql(plan);
}

/**
 * Facets of a query with variant-level filters: they must hold for one and the same variant, so each product's
 * variant summary is unnested (the Variant table is not read). Each product's distinct price buckets and option
 * values are found within the product (a LATERAL per product) before the counts across products.
 */
function variantFacetsSql(plan: Plan): Prisma.Sql {
  // cand: visible (and searched) products with their product-level flags and whether a variant matches everything.
  const candidates = sql`cand AS MATERIALIZED (
    SELECT p."id", p."brand", p."categoryId", p."variantSummary", ${brandOk(plan)} AS b_ok, ${categoryOk(plan)} AS c_ok, ${variantOk(plan)} AS v_ok
    ${fromSql(plan)}
    WHERE ${visibleSql(plan)}
  )`;
  const withoutPrice = and(variantConditions(plan, { price: false }));
  const withoutStock = and(variantConditions(plan, { stock: false }));
  const exceptCounted = and(variantConditions(plan, { exceptCountedOption: true }));
  return sql`${withClause(plan, 'filters', 'variants', candidates)}
    SELECT 'brand' AS kind, c."brand" AS key, NULL::text AS value, count(*)::int AS count, 0 AS ord
      FROM cand c WHERE c.c_ok AND c.v_ok GROUP BY c."brand"
    UNION ALL
    SELECT 'category', a."id", NULL, sum(g.n)::int, 0
      FROM ${categoryCounts(sql`c.b_ok AND c.v_ok`)} g
      JOIN "Category" cat ON cat."id" = g."categoryId" CROSS JOIN LATERAL unnest(string_to_array(cat."path", '/')) AS a("id")
      GROUP BY a."id"
    UNION ALL
    SELECT 'price', x.bucket::text, NULL, count(*)::int, 0
      FROM cand c CROSS JOIN LATERAL (
        SELECT DISTINCT width_bucket(v.price, ${[...PRICE_BOUNDARIES]}::int[]) AS bucket FROM unnest(c."variantSummary") v WHERE ${withoutPrice}
      ) x
      WHERE c.b_ok AND c.c_ok GROUP BY x.bucket
    UNION ALL
    SELECT 'option', split_part(x.e, chr(31), 1), split_part(x.e, chr(31), 2), count(*)::int, min(x.ord)
      FROM cand c CROSS JOIN LATERAL (
        SELECT o.e, min(v.pos) AS ord
        FROM unnest(c."variantSummary") v CROSS JOIN LATERAL (SELECT e, split_part(e, chr(31), 1) AS "name" FROM unnest(v.options) e) o
        WHERE ${exceptCounted} GROUP BY o.e
      ) x
      WHERE c.b_ok AND c.c_ok GROUP BY 2, 3
    UNION ALL
    SELECT 'inStock', NULL, NULL, count(*)::int, 0
      FROM cand c WHERE c.b_ok AND c.c_ok AND EXISTS (SELECT 1 FROM unnest(c."variantSummary") v WHERE v.in_stock AND ${withoutStock})
    UNION ALL
    SELECT 'total', NULL, NULL, count(*)::int, 0 FROM cand c WHERE c.b_ok AND c.c_ok AND c.v_ok`;
}

// ---- execution -----------------------------------------------------------------------------------------

interface FacetRow {
  /** 'total' is the result set's size (the count statement's answer), carried along for free. */
  kind: 'brand' | 'category' | 'price' | 'option' | 'inStock' | 'total';
  key: string | null;
  value: string | null;
  count: number;
  ord: number;
}

const leadingNumber = (value: string) => {
  const m = /^\d+(?:\.\d+)?/.exec(value);
  return m ? Number(m[0]) : null;
};

/** Numeric values (sizes "40", capacities "20L") in numeric order first, then the others in variant order (S, M, L, XL). */
function optionValueOrder(a: FacetRow, b: FacetRow): number {
  const na = leadingNumber(a.value!);
  const nb = leadingNumber(b.value!);
  if (na != null && nb != null && na !== nb) return na - nb;
  if ((na == null) !== (nb == null)) return na == null ? 1 : -1;
  return a.ord - b.ord || (a.value! < b.value! ? -1 : a.value! > b.value! ? 1 : 0);
}

function shapeFacets(plan: Plan, rows: FacetRow[]): ProductFacetsModel {
  const byCount = (a: { count: number; value: string }, b: { count: number; value: string }) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
  const selectedBrands = new Set(plan.brands ?? []);
  const brands = rows.filter((r) => r.kind === 'brand').map((r) => ({ value: r.key!, count: r.count, selected: selectedBrands.has(r.key!) }));
  for (const b of selectedBrands) if (!brands.some((x) => x.value === b)) brands.push({ value: b, count: 0, selected: true });

  const categories = rows
    .filter((r) => r.kind === 'category')
    .map((r) => ({ categoryId: r.key!, count: r.count, selected: r.key === plan.selectedCategoryId }))
    .sort((a, b) => b.count - a.count || (a.categoryId < b.categoryId ? -1 : 1));

  const optionRows = rows.filter((r) => r.kind === 'option');
  const names = [...new Set([...optionRows.map((r) => r.key!), ...plan.options.map((o) => o.name)])].sort();
  const options = names.map((name) => {
    const selected = new Set(plan.options.find((o) => o.name === name)?.values ?? []);
    const values = optionRows
      .filter((r) => r.key === name)
      .sort(optionValueOrder)
      .map((r) => ({ value: r.value!, count: r.count, selected: selected.has(r.value!) }));
    for (const v of selected) if (!values.some((x) => x.value === v)) values.push({ value: v, count: 0, selected: true });
    return { name, values };
  });

  const priceRanges = rows
    .filter((r) => r.kind === 'price')
    .map((r) => Number(r.key))
    .sort((a, b) => a - b)
    .map((bucket) => {
      const count = rows.find((r) => r.kind === 'price' && Number(r.key) === bucket)!.count;
      const min = PRICE_BOUNDARIES[bucket - 1];
      const next = PRICE_BOUNDARIES[bucket] as number | undefined;
      return { min: money(min, FACET_CURRENCY), max: next === undefined ? null : money(next - 1, FACET_CURRENCY), count };
    });

  return {
    categories,
    brands: brands.sort(byCount),
    options,
    priceRanges,
    inStock: rows.find((r) => r.kind === 'inStock')?.count ?? 0,
  };
}

const once = <T>(fn: () => Promise<T>) => {
  let memo: Promise<T> | undefined;
  return () => (memo ??= fn());
};

const cursorKey = (sort: EffectiveSort, row: PageRow): string | number =>
  sort === 'NEWEST' ? (row.sortKey as Date).toISOString() : (row.sortKey as string | number);

/** What a plan's totals and facets depend on: everything but the page (sort, size, cursor). */
const resultSetKey = (plan: Plan) =>
  JSON.stringify([plan.search, plan.statuses, plan.categoryIds, plan.brands, plan.minPrice, plan.maxPrice, plan.options, plan.inStock, plan.collectionId]);

/**
 * One page of products. The page is one statement; `totalCount` and `facets` are one statement each, run only
 * when the client selects them, and just one when it selects both (the facet statement also counts the result
 * set). All go through the process's search cache (services/searchCache.ts).
 */
export async function searchProducts(ctx: CatalogContext, query: ProductQuery): Promise<ProductConnectionModel> {
  const generation = ctx.searchCache.generation;
  const plan = await planQuery(ctx, query);
  const results = resultSetKey(plan);
  const countKey = `count:${results}`;
  const pageKey = `page:${results}:${plan.sort}:${plan.limit}:${JSON.stringify(plan.after)}`;
  const rows = await ctx.searchCache.get(pageKey, () => ctx.db.$queryRaw<PageRow[]>(pageSql(plan)));
  const products = rows.map(({ sortKey, ...product }) => {
    ctx.loaders.product.prime(product.id, product as ProductModel);
    return { product: product as ProductModel, key: cursorKey(plan.sort, { ...product, sortKey } as PageRow) };
  });
  const connection = toConnection(products, plan.limit, (r) => encodeCursor(plan.cursorKind, [r.key, r.product.id]), !!plan.after);
  let facetsAsked = false;
  const facetsAndTotal = once(() =>
    ctx.searchCache.get(`facets:${results}`, async () => {
      const rows = await ctx.db.$queryRaw<FacetRow[]>(facetsSql(plan));
      const total = rows.find((r) => r.kind === 'total')?.count ?? 0;
      ctx.searchCache.put(countKey, total, generation);
      return { facets: shapeFacets(plan, rows), total };
    }),
  );
  return {
    edges: connection.edges.map((e) => ({ cursor: e.cursor, node: e.node.product })),
    pageInfo: connection.pageInfo,
    totalCount: once(async () => {
      // GraphQL calls every selected sibling field's resolver before any of them resumes from an await, so by now
      // facets() has been called if the client selected facets; its statement then answers the count too.
      await Promise.resolve();
      if (facetsAsked) return (await facetsAndTotal()).total;
      return ctx.searchCache.get(countKey, async () => (await ctx.db.$queryRaw<{ count: number }[]>(countSql(plan)))[0].count);
    }),
    facets: () => {
      facetsAsked = true;
      return facetsAndTotal().then((r) => r.facets);
    },
  };
}
