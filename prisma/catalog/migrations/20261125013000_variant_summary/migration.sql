-- Hand-written (Prisma cannot model composite types): the facet-relevant values of every variant on its product row, so
-- searches with variant-level filters (price range, option values, in stock) test and count variants without
-- reading the Variant table. One element per variant in position order. Options are name, unit separator, value
-- strings, so an option filter is one array overlap with the wanted strings.
CREATE TYPE public.catalog_variant_summary AS (pos integer, price integer, in_stock boolean, options text[]);

ALTER TABLE "Product" ADD COLUMN "variantSummary" public.catalog_variant_summary[] NOT NULL DEFAULT '{}';

-- The facet summary refresh (from the product_facet_summary migration) now keeps "variantSummary" as well, and the Variant
-- triggers that call it are unchanged.
CREATE OR REPLACE FUNCTION public.catalog_refresh_product_facets(product_ids text[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE public."Product" p
  SET "facetOptions" = s.options, "variantPrices" = s.prices, "inStock" = s.in_stock, "variantSummary" = s.variants
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
      EXISTS (SELECT 1 FROM public."Variant" v WHERE v."productId" = ids.id AND v."available" > 0) AS in_stock,
      coalesce((
        SELECT array_agg(ROW(v."position", v."price", v."available" > 0, coalesce((
            SELECT array_agg((e->>'name') || E'\x1f' || (e->>'value') ORDER BY ord)
            FROM jsonb_array_elements(CASE WHEN jsonb_typeof(v."options") = 'array' THEN v."options" ELSE '[]'::jsonb END) WITH ORDINALITY AS x(e, ord)
            WHERE e->>'name' IS NOT NULL AND e->>'value' IS NOT NULL
          ), ARRAY[]::text[]))::public.catalog_variant_summary ORDER BY v."position", v."id")
        FROM public."Variant" v WHERE v."productId" = ids.id
      ), ARRAY[]::public.catalog_variant_summary[]) AS variants
    FROM unnest(product_ids) AS ids(id)
  ) s
  WHERE p."id" = s.id
    AND (p."facetOptions" IS DISTINCT FROM s.options OR p."variantPrices" IS DISTINCT FROM s.prices OR p."inStock" IS DISTINCT FROM s.in_stock
      OR p."variantSummary" IS DISTINCT FROM s.variants)
$$;

-- Existing products.
SELECT public.catalog_refresh_product_facets(ARRAY(SELECT "id" FROM "Product" ORDER BY 1));
