-- AlterTable
ALTER TABLE "Product" ADD COLUMN     "facetOptions" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "inStock" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "variantPrices" INTEGER[] DEFAULT ARRAY[]::INTEGER[];

-- Hand-written: the facet summary is derived from the variants, so triggers keep it, whoever writes them (the admin
-- service, the StockChanged consumer, bulk loads). Only a summary that actually changes rewrites the product row.
CREATE OR REPLACE FUNCTION public.catalog_refresh_product_facets(product_ids text[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE public."Product" p
  SET "facetOptions" = s.options, "variantPrices" = s.prices, "inStock" = s.in_stock
  FROM (
    SELECT ids.id,
      coalesce((
        SELECT array_agg(o.name || E'\x1f' || o.value || E'\x1f' || o.pos ORDER BY o.name, o.pos, o.value)
        FROM (
          SELECT e->>'name' AS name, e->>'value' AS value, min(v."position") AS pos
          FROM public."Variant" v CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(v."options") = 'array' THEN v."options" ELSE '[]'::jsonb END) e
          WHERE v."productId" = ids.id AND e->>'name' IS NOT NULL AND e->>'value' IS NOT NULL
          GROUP BY 1, 2
        ) o
      ), ARRAY[]::text[]) AS options,
      coalesce((SELECT array_agg(DISTINCT v."price" ORDER BY v."price") FROM public."Variant" v WHERE v."productId" = ids.id), ARRAY[]::integer[]) AS prices,
      EXISTS (SELECT 1 FROM public."Variant" v WHERE v."productId" = ids.id AND v."available" > 0) AS in_stock
    FROM unnest(product_ids) AS ids(id)
  ) s
  WHERE p."id" = s.id
    AND (p."facetOptions" IS DISTINCT FROM s.options OR p."variantPrices" IS DISTINCT FROM s.prices OR p."inStock" IS DISTINCT FROM s.in_stock)
$$;

CREATE OR REPLACE FUNCTION public.catalog_variants_inserted() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN PERFORM public.catalog_refresh_product_facets(ARRAY(SELECT DISTINCT "productId" FROM new_rows ORDER BY 1))\x3b RETURN NULL\x3b END';

CREATE OR REPLACE FUNCTION public.catalog_variants_updated() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN PERFORM public.catalog_refresh_product_facets(ARRAY( SELECT "productId" FROM new_rows UNION SELECT "productId" FROM old_rows ORDER BY 1))\x3b RETURN NULL\x3b END';

CREATE OR REPLACE FUNCTION public.catalog_variants_deleted() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN PERFORM public.catalog_refresh_product_facets(ARRAY(SELECT DISTINCT "productId" FROM old_rows ORDER BY 1))\x3b RETURN NULL\x3b END';

CREATE TRIGGER "Variant_facets_inserted" AFTER INSERT ON "Variant"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.catalog_variants_inserted();
CREATE TRIGGER "Variant_facets_updated" AFTER UPDATE ON "Variant"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.catalog_variants_updated();
CREATE TRIGGER "Variant_facets_deleted" AFTER DELETE ON "Variant"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.catalog_variants_deleted();

-- (Trigger bodies are E-strings with \x3b for semicolons: the migration runner splits scripts at every semicolon.)

-- Existing products.
SELECT public.catalog_refresh_product_facets(ARRAY(SELECT "id" FROM "Product" ORDER BY 1));
