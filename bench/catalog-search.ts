// Catalog search benchmark: `npx tsx bench/catalog-search.ts`.
// Seeds (or reuses) a large deterministic catalog in bench_catalog / bench_inventory on the PostgreSQL server of
// DATABASE_URL (default 127.0.0.1:5432), runs the catalog and inventory subgraphs and the gateway as separate
// processes in production mode (as deployed: NODE_ENV=production, limits and rate limits on), and drives them from
// this process with a closed loop of concurrent clients. Two catalog processes run, one with its caches (search
// results, whole customer responses and the rows customer reads load, CATALOG_SEARCH_CACHE_MS) on and one with them
// off, each behind its own gateway: the first with its response and entity caches on (GATEWAY_RESPONSE_CACHE_MB; they
// keep what catalog and inventory mark public, for their max-age), the second with them off. Each page is measured direct to a catalog and through its gateway; the app's pages, which add stock
// from inventory, only through the gateways. The repeated pages cycle through 10 popular searches (all cache hits
// when on); the long-tail rows make every request a new search (all misses).
// Prints RPS, latency percentiles and the gateway-over-direct throughput ratio; writes bench/results/catalog-search.json.
// Knobs: BENCH_SECONDS (per scenario, default 15), BENCH_CONCURRENCY (10), BENCH_PRODUCTS (10000), BENCH_RESEED=1,
// BENCH_ONLY (a regular expression: run only the scenarios it matches, print them, and leave the results file alone).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { signIdentity } from '@storefront/shared';
import { REPO_ROOT } from '@storefront/shared/db';
import { testServerUrl } from '@storefront/shared/testing';
import { prepareCatalogBench } from './lib/catalogBenchDb.ts';
import { formatTable, runLoad, type LoadResult } from './lib/load.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const productCount = Number(process.env.BENCH_PRODUCTS ?? 10_000);
const SECRET = 'catalog-search-bench-secret-0123456789abcdef';
const PORTS = { gateway: 4960, catalog: 4961, inventory: 4962, catalogUncached: 4963, gatewayUncached: 4964 };

const PRODUCT_CARD = /* GraphQL */ `
  id slug title brand
  priceFrom { amount currencyCode }
  images { url altText }
  category { id name }
`;
const FACETS = /* GraphQL */ `
  facets {
    inStock
    brands { value count selected }
    categories { category { id name } count selected }
    options { name values { value count selected } }
    priceRanges { min { amount currencyCode } max { amount } count }
  }
`;
const searchPage = (stock: boolean) => /* GraphQL */ `
  query SearchPage($search: String, $filter: ProductFilter, $after: String) {
    products(first: 24, search: $search, filter: $filter, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      ${FACETS}
      edges {
        cursor
        node {
          ${PRODUCT_CARD}
          variants { id sku title price { amount currencyCode } compareAtPrice { amount } ${stock ? 'stock { available inStock }' : ''} }
        }
      }
    }
  }
`;
const productPage = (stock: boolean) => /* GraphQL */ `
  query ProductPage($id: ID!) {
    product(id: $id) {
      ${PRODUCT_CARD}
      description status createdAt
      category { breadcrumbs { id name slug } }
      variants { id sku title options { name value } price { amount currencyCode } compareAtPrice { amount } weightGrams ${stock ? 'stock { available inStock }' : ''} }
    }
  }
`;

const SEARCHES = ['jacket', 'wool sweater', 'cast iron skillet', 'running shoe', 'linen', 'headphones', 'café', 'waterproof backpack', 'hoodei', 'merino'];

// A skewed mix, as shoppers' searches are: 500 distinct searches (each term plain, in stock only, or under one of 48
// price caps), drawn by a Zipf law (s = 1) over their popularity rank with a fixed seed. The 10 plain searches are
// the most popular; together they draw 43% of requests, the top 100 draw 76%.
const SKEWED = Array.from({ length: 500 }, (_, rank) => {
  const search = SEARCHES[rank % SEARCHES.length];
  const variant = Math.floor(rank / SEARCHES.length);
  return variant === 0 ? { search } : variant === 1 ? { search, filter: { inStock: true } } : { search, filter: { maxPrice: 1_000 * variant } };
});
const zipfCdf = (() => {
  const weights = SKEWED.map((_, rank) => 1 / (rank + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  return weights.map((w) => (sum += w / total));
})();
/** The i-th request's search: a deterministic uniform draw (an integer hash of i) mapped through the Zipf CDF. */
function skewedSearch(i: number) {
  let x = (i + 1) * 0x9e3779b1;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  const u = ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
  let lo = 0;
  let hi = zipfCdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (zipfCdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return SKEWED[lo];
}

// ---- the services, each its own process --------------------------------------------------------------------------

const children: ChildProcess[] = [];
const tsx = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
function serve(service: string, env: Record<string, string>, ready: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, join(REPO_ROOT, 'scripts', 'serve.ts'), service], {
      env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', REDIS_URL: '', INTERNAL_HMAC_SECRET: SECRET, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('exit', (code) => reject(new Error(`${service} exited ${code}: ${stderr.slice(-2000)}`)));
    const deadline = Date.now() + 60_000;
    const poll = async () => {
      try {
        if ((await fetch(ready)).ok) return resolve();
      } catch { /* not up yet */ }
      if (Date.now() > deadline) return reject(new Error(`${service} did not become ready`));
      setTimeout(poll, 200);
    };
    void poll();
  });
}

console.log(`catalog-search bench: ${productCount} products, concurrency ${concurrency}, ${seconds}s per scenario`);
const serverUrl = process.env.DATABASE_URL ?? testServerUrl();
const bench = await prepareCatalogBench(serverUrl, productCount);
console.log(bench.seedSeconds === null ? 'reusing the seeded bench databases' : `seeded in ${bench.seedSeconds}s`);
const { catalog } = bench;

const url = (port: number) => `http://127.0.0.1:${port}`;
const METRICS_TOKEN = 'catalog-search-bench-metrics';
const results: LoadResult[] = [];
const responseCache: Record<string, number> = {};
try {
  await Promise.all([
    serve('catalog', { CATALOG_DATABASE_URL: bench.catalogUrl, CATALOG_PORT: String(PORTS.catalog) }, `${url(PORTS.catalog)}/health`),
    // The same catalog with its caches off: every request pays for its statements.
    serve('catalog', { CATALOG_DATABASE_URL: bench.catalogUrl, CATALOG_PORT: String(PORTS.catalogUncached), CATALOG_SEARCH_CACHE_MS: '0' }, `${url(PORTS.catalogUncached)}/health`),
    serve('inventory', { INVENTORY_DATABASE_URL: bench.inventoryUrl, INVENTORY_PORT: String(PORTS.inventory) }, `${url(PORTS.inventory)}/health`),
  ]);
  const gateway = (port: number, catalogPort: number, responseCacheMb: string) =>
    serve('gateway', {
      GATEWAY_PORT: String(port),
      GATEWAY_RESPONSE_CACHE_MB: responseCacheMb,
      METRICS_TOKEN,
      CATALOG_URL: `${url(catalogPort)}/graphql`,
      INVENTORY_URL: `${url(PORTS.inventory)}/graphql`,
      // The bench sends ad-hoc documents (the catalog-only twins of the app's pages), so no safelist; every other
      // protection (limits, cost, per-IP rate limit raised above the bench's rate) stays on.
      PQ_DEFAULT_POLICY: 'off',
      RATE_LIMIT_PER_IP: '1000000',
    }, `${url(port)}/health`);
  await Promise.all([gateway(PORTS.gateway, PORTS.catalog, '64'), gateway(PORTS.gatewayUncached, PORTS.catalogUncached, '0')]);

  // One keep-alive pool per target, as a mobile client's HTTP stack would hold.
  const pools = new Map<string, Pool>();
  const identity = signIdentity({ userId: 'bench-shopper', roles: ['CUSTOMER'], scopes: [] } as never, SECRET);
  type Target = 'direct, cache off' | 'gateway, cache off' | 'direct' | 'gateway';
  const origins: Record<Target, string> = {
    'direct, cache off': url(PORTS.catalogUncached), 'gateway, cache off': url(PORTS.gatewayUncached), direct: url(PORTS.catalog), gateway: url(PORTS.gateway),
  };
  async function post(target: Target, query: string, variables: Record<string, unknown>, check: (data: any) => boolean): Promise<boolean> {
    const origin = origins[target];
    let pool = pools.get(origin);
    if (!pool) pools.set(origin, (pool = new Pool(origin, { connections: concurrency })));
    const res = await pool.request({
      path: '/graphql', method: 'POST', body: JSON.stringify({ query, variables }),
      // The subgraph only answers signed gateway traffic; the bench signs as the gateway would.
      headers: { 'content-type': 'application/json', ...(target.startsWith('gateway') ? {} : identity) },
    });
    const body = (await res.body.json()) as { data?: any; errors?: unknown[] };
    if (res.statusCode !== 200 || body.errors || !body.data || !check(body.data)) {
      if (process.env.BENCH_DEBUG) console.error(JSON.stringify(body).slice(0, 500));
      return false;
    }
    return true;
  }

  const active = catalog.products.filter((p) => p.status === 'ACTIVE');
  const apparel = catalog.categories.find((c) => c.slug === 'apparel')!.id;
  const footwear = catalog.categories.find((c) => c.slug === 'footwear')!.id;
  const filters = [
    { categoryId: apparel, options: [{ name: 'Size', values: ['M', 'L'] }], inStock: true, maxPrice: 6000 },
    { categoryId: footwear, minPrice: 8000, inStock: true },
  ];
  const hasEdges = (d: any) => d.products.edges.length > 0;
  const hasStock = (d: any) => d.products.edges.every((e: any) => e.node.variants.every((v: any) => v.stock !== null));
  const fullProduct = (d: any) => d.product?.variants.length === 5;

  const scenarios: { name: string; request: (i: number) => Promise<boolean> }[] = [];
  for (const target of ['direct, cache off', 'gateway, cache off', 'direct', 'gateway'] as const) {
    scenarios.push(
      { name: `search page (24, facets): ${target}`, request: (i) => post(target, searchPage(false), { search: SEARCHES[i % SEARCHES.length] }, hasEdges) },
      { name: `filtered listing (24, facets): ${target}`, request: (i) => post(target, searchPage(false), { filter: filters[i % 2] }, hasEdges) },
      { name: `product page: ${target}`, request: (i) => post(target, productPage(false), { id: active[(i * 7919) % active.length].id }, fullProduct) },
    );
  }
  // The long tail: every request a search nobody made in the last TTL (a price cap that changes each time), so
  // the caches miss and only add their own cost.
  for (const target of ['direct', 'gateway'] as const) {
    scenarios.push({
      name: `search page, long tail (24, facets): ${target}`,
      request: (i) => post(target, searchPage(false), { search: SEARCHES[i % SEARCHES.length], filter: { maxPrice: 20_000 + ((i * 7) % 100_000) } }, (d) => Array.isArray(d.products.edges)),
    });
  }
  for (const target of ['gateway, cache off', 'gateway'] as const) {
    scenarios.push(
      { name: `search page with stock: ${target}`, request: (i) => post(target, searchPage(true), { search: SEARCHES[i % SEARCHES.length] }, (d) => hasEdges(d) && hasStock(d)) },
      { name: `product page with stock: ${target}`, request: (i) => post(target, productPage(true), { id: active[(i * 7919) % active.length].id }, (d) => fullProduct(d) && d.product.variants.every((v: any) => v.stock)) },
      { name: `search page with stock, skewed mix of 500: ${target}`, request: (i) => post(target, searchPage(true), skewedSearch(i), (d) => Array.isArray(d.products.edges) && hasStock(d)) },
    );
  }

  /** The cached gateway's response-cache counters (GET /metrics). */
  async function cacheCounters(): Promise<Record<string, number>> {
    const metrics = await (await fetch(`${url(PORTS.gateway)}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    const counters: Record<string, number> = {};
    for (const [, outcome, count] of metrics.matchAll(/^gateway_response_cache_total\{outcome="(\w+)"\} (\d+)$/gm)) counters[outcome] = Number(count);
    return counters;
  }

  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
  for (const scenario of scenarios.filter((s) => !only || only.test(s.name))) {
    const before = await cacheCounters();
    const result: LoadResult & { gatewayResponseCacheHitRatio?: number } = await runLoad({ name: scenario.name, concurrency, durationMs: seconds * 1000, warmupMs: 2000, request: scenario.request });
    const after = await cacheCounters();
    const hits = after.hit - before.hit;
    const misses = after.miss - before.miss;
    // Warm-up included: the counters cannot tell the two phases apart.
    if (scenario.name.endsWith(': gateway') && hits + misses > 0) result.gatewayResponseCacheHitRatio = Math.round((hits / (hits + misses)) * 1000) / 1000;
    results.push(result);
    const ratio = result.gatewayResponseCacheHitRatio === undefined ? '' : `, gateway cache hit ratio ${result.gatewayResponseCacheHitRatio}`;
    console.log(`  ${scenario.name}: ${result.rps} req/s, p50 ${result.latencyMs.p50} ms, p95 ${result.latencyMs.p95} ms, p99 ${result.latencyMs.p99} ms, errors ${result.errors}${ratio}`);
  }
  await Promise.all([...pools.values()].map((p) => p.close()));
  Object.assign(responseCache, await cacheCounters());
  console.log('gateway response cache (the cached gateway, whole run):', responseCache);
} finally {
  for (const child of children) {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
  }
}

const rps = (name: string) => results.find((r) => r.name === name)?.rps ?? NaN;
// Each gateway fronts its own catalog process, so each ratio is the gateway's own cost over that catalog: with
// the caches off, over a catalog doing all its work per request; with them on, over one answering from memory.
const PAGES = ['search page (24, facets)', 'filtered listing (24, facets)', 'product page'];
const ratioOf = (gateway: string, direct: string) =>
  Object.fromEntries(PAGES.map((page) => [page, Math.round((rps(`${page}: ${gateway}`) / rps(`${page}: ${direct}`)) * 100) / 100]));
const ratios = { cacheOff: ratioOf('gateway, cache off', 'direct, cache off'), cacheOn: ratioOf('gateway', 'direct') };
console.log(`\n${formatTable(results)}\n`);
console.log('gateway-over-direct throughput:', ratios);
const output = {
  benchmark: 'catalog-search',
  generatedAt: new Date().toISOString(),
  setup: 'catalog, inventory and gateway as separate processes in production mode on this machine; the load generator in a fourth',
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100), node: process.version, platform: `${os.platform()} ${os.release()}` },
  dataset: { products: catalog.products.length, activeProducts: catalog.products.filter((p) => p.status === 'ACTIVE').length, variants: catalog.variants.length, categories: catalog.categories.length, seedSeconds: bench.seedSeconds },
  settings: { concurrency, secondsPerScenario: seconds, warmupSeconds: 2, searches: SEARCHES },
  results,
  gatewayOverDirect: ratios,
  gatewayResponseCache: responseCache,
};
if (!process.env.BENCH_ONLY) {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/catalog-search.json', import.meta.url), `${JSON.stringify(output, null, 2)}\n`);
  console.log('wrote bench/results/catalog-search.json');
}
process.exit(0);
