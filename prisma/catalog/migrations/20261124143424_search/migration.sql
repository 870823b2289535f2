-- DropIndex
DROP INDEX "Product_status_createdAt_id_idx";

-- DropIndex
DROP INDEX "Product_status_title_id_idx";

-- DropIndex
DROP INDEX "CollectionProduct_collectionId_position_idx";

-- AlterTable
ALTER TABLE "Variant" ADD COLUMN     "availableAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "Product_status_createdAt_id_idx" ON "Product"("status", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "CollectionProduct_collectionId_position_productId_idx" ON "CollectionProduct"("collectionId", "position", "productId");

-- CreateIndex
CREATE INDEX "CollectionProduct_productId_idx" ON "CollectionProduct"("productId");

-- ---------------------------------------------------------------------------------------------
-- Hand-written: full-text and typo-tolerant search, and constraints Prisma cannot express.
-- ---------------------------------------------------------------------------------------------
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;

-- unaccent() is only STABLE (its dictionary is looked up through search_path), so it may not appear in a
-- generated column or an index. Naming the dictionary explicitly fixes the result: the usual IMMUTABLE wrapper.
CREATE OR REPLACE FUNCTION public.catalog_unaccent(text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

-- Case- and accent-folded text: what trigram matching, autocomplete and the TITLE sort compare.
CREATE OR REPLACE FUNCTION public.catalog_fold(text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT lower(public.catalog_unaccent($1)) $$;

-- Weighted document: title (A) outranks brand (B) outranks description (C). English stemming, accents folded
-- (to_tsvector lower-cases). A generated column cannot drift from the row it describes.
ALTER TABLE "Product" ADD COLUMN "searchVector" tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english'::regconfig, public.catalog_unaccent("title")), 'A') ||
  setweight(to_tsvector('english'::regconfig, public.catalog_unaccent("brand")), 'B') ||
  setweight(to_tsvector('english'::regconfig, public.catalog_unaccent("description")), 'C')
) STORED;
-- fastupdate off: the catalog is read far more than written, and a GIN pending list (scanned linearly on every
-- search until vacuum merges it) would make searches after bulk imports slow.
CREATE INDEX "Product_searchVector_idx" ON "Product" USING gin ("searchVector") WITH (fastupdate = off);

-- Typo tolerance: trigram index on the folded title.
CREATE INDEX "Product_titleFold_trgm_idx" ON "Product" USING gin (public.catalog_fold("title") gin_trgm_ops) WITH (fastupdate = off);

-- TITLE sort: case- and accent-insensitive, byte order (COLLATE "C") so cursors do not depend on the server locale.
CREATE INDEX "Product_status_titleFold_id_idx" ON "Product" ("status", (public.catalog_fold("title") COLLATE "C"), "id");

-- Brand autocomplete (prefix LIKE on the folded brand).
CREATE INDEX "Product_brandFold_idx" ON "Product" (public.catalog_fold("brand") text_pattern_ops);

-- Products whose title is word-similar to the query (pg_trgm `<%`, answered by the trigram index). The
-- similarity threshold is a setting, so it is pinned here, for this function only, instead of per session.
CREATE OR REPLACE FUNCTION public.catalog_fuzzy_title_matches(query text)
  RETURNS TABLE (id text, score real)
  LANGUAGE sql STABLE PARALLEL RESTRICTED ROWS 50
  SET pg_trgm.word_similarity_threshold = 0.5
  AS $$
    SELECT p."id", word_similarity(public.catalog_fold(query), public.catalog_fold(p."title"))
    FROM public."Product" p
    WHERE public.catalog_fold(query) <% public.catalog_fold(p."title")
  $$;

ALTER TABLE "Variant"
  ADD CONSTRAINT "Variant_price_check" CHECK ("price" >= 0),
  ADD CONSTRAINT "Variant_compareAtPrice_check" CHECK ("compareAtPrice" IS NULL OR "compareAtPrice" > "price"),
  ADD CONSTRAINT "Variant_weightGrams_check" CHECK ("weightGrams" >= 0);
ALTER TABLE "Product" ADD CONSTRAINT "Product_minPrice_check" CHECK ("minPrice" >= 0);
ALTER TABLE "Category" ADD CONSTRAINT "Category_parent_check" CHECK ("parentId" IS NULL OR "parentId" <> "id");
