import { badInput } from '@storefront/shared';
import { Prisma } from '../generated/prisma/client.ts';
import type { CatalogContext } from '../context.ts';
import { seesUnpublished } from './visibility.ts';
import { escapeLike, MAX_PREFIX_LENGTH, MAX_SUGGESTIONS, prefixWords } from './input.ts';

export interface SuggestionModel {
  kind: 'CATEGORY' | 'BRAND' | 'PRODUCT';
  text: string;
  productId: string | null;
  categoryId: string | null;
}

interface Row extends SuggestionModel {
  grp: number;
  score: number;
}

/**
 * Autocomplete in one statement: up to 3 categories (every word a word prefix of the name), up to 3 brands (the
 * brand starts with the prefix) and product titles (all words, the last one as a prefix, matched against title and
 * brand only; one suggestion per distinct title, best ranked first), cut to `first` in that order.
 * The words reach SQL only as letters and digits joined by tsquery operators, as a bound parameter.
 */
export async function searchSuggestions(ctx: CatalogContext, prefix: string, first?: number | null): Promise<SuggestionModel[]> {
  if (prefix.length > MAX_PREFIX_LENGTH) throw badInput(`prefix must be at most ${MAX_PREFIX_LENGTH} characters`, 'prefix');
  const limit = first ?? 8;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SUGGESTIONS) throw badInput(`first must be between 1 and ${MAX_SUGGESTIONS}`, 'first');
  const words = prefixWords(prefix);
  if (words.length === 0) return [];
  const last = words.length - 1;
  const productQuery = words.map((w, i) => (i === last ? `${w}:*AB` : `${w}:AB`)).join(' & ');
  const nameQuery = words.map((w) => `${w}:*`).join(' & ');
  const brandPattern = `${escapeLike(prefix.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\s+/g, ' ').trim())}%`;
  const visible = seesUnpublished(ctx.viewer) ? Prisma.sql`TRUE` : Prisma.sql`p."status" = 'ACTIVE'`;

  const rows = await ctx.db.$queryRaw<Row[]>`
    WITH q AS (
      SELECT to_tsquery('english', catalog_unaccent(${productQuery})) AS products,
             to_tsquery('simple', catalog_unaccent(${nameQuery})) AS names
    )
    (SELECT 'CATEGORY' AS kind, c."name" AS text, NULL::text AS "productId", c."id" AS "categoryId", 1 AS grp, (-c."position")::float8 AS score
       FROM "Category" c, q
       WHERE to_tsvector('simple', catalog_unaccent(c."name")) @@ q.names
       ORDER BY c."position", c."name" LIMIT 3)
    UNION ALL
    (SELECT 'BRAND', min(p."brand"), NULL, NULL, 2, count(*)::float8
       FROM "Product" p
       WHERE catalog_fold(p."brand") LIKE catalog_fold(${brandPattern}) AND ${visible}
       GROUP BY catalog_fold(p."brand")
       ORDER BY count(*) DESC, min(p."brand") LIMIT 3)
    UNION ALL
    (SELECT 'PRODUCT', t."title", t."id", NULL, 3, t.rank
       FROM (
         SELECT DISTINCT ON (catalog_fold(p."title")) p."id", p."title", ts_rank(p."searchVector", q.products)::float8 AS rank
         FROM "Product" p, q
         WHERE p."searchVector" @@ q.products AND ${visible}
         ORDER BY catalog_fold(p."title"), rank DESC, p."id"
       ) t
       ORDER BY t.rank DESC, t."title" LIMIT ${limit})`;

  return rows
    .sort((a, b) => a.grp - b.grp || b.score - a.score || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
    .slice(0, limit)
    .map(({ kind, text, productId, categoryId }) => ({ kind, text, productId, categoryId }));
}
