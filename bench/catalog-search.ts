// Catalog search benchmark, direct to the subgraph (no gateway): `npx tsx bench/catalog-search.ts`.
// Creates its own database on the PostgreSQL server of DATABASE_URL (default 127.0.0.1:5432), seeds a large
// deterministic catalog, starts the catalog subgraph in-process and drives it with a closed loop of concurrent
// requests, then prints RPS and latency percentiles and writes bench/results/catalog-search.json.
// Knobs: BENCH_SECONDS (per scenario, default 15), BENCH_CONCURRENCY (10), BENCH_PRODUCTS (10000), BENCH_KEEP_DB=1.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createLogger, withDatabase } from '@storefront/shared';
import { applyMigrations, dropDatabase, ensureDatabase } from '@storefront/shared/db';
import { gatewayHeaders, testServerUrl } from '@storefront/shared/testing';
import { createCatalogDb, createCatalogServer } from '../subgraphs/catalog/src/index.ts';
import { generateCatalog, writeCatalog } from './lib/catalogData.ts';
import { formatTable, runLoad, type LoadResult } from './lib/load.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const productCount = Number(process.env.BENCH_PRODUCTS ?? 10_000);

const SEARCH_PAGE = /* GraphQL */ `
  query SearchPage($search: String, $filter: ProductFilter, $after: String) {
    products(first: 24, search: $search, filter: $filter, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      facets {
        inStock
        brands { value count selected }
        categories { category { id name } count selected }
        options { name values { value count selected } }
        priceRanges { min { amount currencyCode } max { amount } count }
      }
      edges {
        cursor
        node {
          id slug title brand
          priceFrom { amount currencyCode }
          images { url altText }
          category { id name }
          variants { id sku title price { amount currencyCode } compareAtPrice { amount } }
        }
      }
    }
  }
`;

const PRODUCT_PAGE = /* GraphQL */ `
  query ProductPage($id: ID!) {
    product(id: $id) {
      id slug title description brand status createdAt
      priceFrom { amount currencyCode }
      images { url altText }
      category { id name breadcrumbs { id name slug } }
      variants { id sku title options { name value } price { amount currencyCode } compareAtPrice { amount } weightGrams }
    }
  }
`;

const SEARCHES = ['jacket', 'wool sweater', 'cast iron skillet', 'running shoe', 'linen', 'headphones', 'café', 'waterproof backpack', 'hoodei', 'merino'];

const databaseUrl = withDatabase(testServerUrl(), `bench_catalog_${process.pid}`);
console.log(`catalog-search bench: ${productCount} products, concurrency ${concurrency}, ${seconds}s per scenario`);
await dropDatabase(databaseUrl);
await ensureDatabase(databaseUrl);
await applyMigrations('catalog', databaseUrl);
const db = createCatalogDb(databaseUrl, { max: concurrency + 2 });

const seedStarted = performance.now();
const catalog = generateCatalog(productCount, 5);
await writeCatalog(db, catalog);
const seedSeconds = Math.round((performance.now() - seedStarted) / 100) / 10;
console.log(`seeded ${catalog.products.length} products, ${catalog.variants.length} variants in ${seedSeconds}s`);

const server = await createCatalogServer({ databaseUrl, db, log: createLogger('catalog', { level: 'warn' }) });
const url = `${await server.listen(0)}/graphql`;
const headers = { 'content-type': 'application/json', ...gatewayHeaders({ userId: 'bench-shopper', roles: ['CUSTOMER'] }) };

const active = catalog.products.filter((p) => p.status === 'ACTIVE');
const apparel = catalog.categories.find((c) => c.slug === 'apparel')!.id;
const footwear = catalog.categories.find((c) => c.slug === 'footwear')!.id;

async function post(query: string, variables: Record<string, unknown>, check: (data: any) => boolean): Promise<boolean> {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (res.status !== 200 || body.errors || !body.data || !check(body.data)) {
    if (process.env.BENCH_DEBUG) console.error(JSON.stringify(body).slice(0, 500));
    return false;
  }
  return true;
}

const scenarios: { name: string; request: (i: number) => Promise<boolean> }[] = [
  {
    name: 'search page (24, facets)',
    request: (i) => post(SEARCH_PAGE, { search: SEARCHES[i % SEARCHES.length] }, (d) => d.products.edges.length > 0),
  },
  {
    name: 'filtered listing (24, facets)',
    request: (i) =>
      post(
        SEARCH_PAGE,
        i % 2
          ? { filter: { categoryId: apparel, options: [{ name: 'Size', values: ['M', 'L'] }], inStock: true, maxPrice: 6000 } }
          : { filter: { categoryId: footwear, minPrice: 8000, inStock: true } },
        (d) => d.products.edges.length > 0,
      ),
  },
  {
    name: 'product page',
    request: (i) => post(PRODUCT_PAGE, { id: active[(i * 7919) % active.length].id }, (d) => d.product?.variants.length === 5),
  },
];

const results: LoadResult[] = [];
try {
  for (const scenario of scenarios) {
    const result = await runLoad({ name: scenario.name, concurrency, durationMs: seconds * 1000, warmupMs: 2000, request: scenario.request });
    results.push(result);
    console.log(`  ${scenario.name}: ${result.rps} req/s, p50 ${result.latencyMs.p50} ms, p95 ${result.latencyMs.p95} ms, p99 ${result.latencyMs.p99} ms, errors ${result.errors}`);
  }
} finally {
  await server.close();
  await db.$disconnect();
  if (!process.env.BENCH_KEEP_DB) await dropDatabase(databaseUrl);
}

console.log(`\n${formatTable(results)}\n`);
const output = {
  benchmark: 'catalog-search',
  generatedAt: new Date().toISOString(),
  target: 'catalog subgraph, direct (in-process server, HTTP on localhost)',
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100), node: process.version, platform: `${os.platform()} ${os.release()}` },
  dataset: { products: catalog.products.length, activeProducts: active.length, variants: catalog.variants.length, categories: catalog.categories.length, seedSeconds },
  settings: { concurrency, secondsPerScenario: seconds, warmupSeconds: 2, searches: SEARCHES },
  direct: results,
  // Filled in by the lead: the same scenarios through the gateway.
  gateway: null,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/catalog-search.json', import.meta.url), `${JSON.stringify(output, null, 2)}\n`);
console.log('wrote bench/results/catalog-search.json');
