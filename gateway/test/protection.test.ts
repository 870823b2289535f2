import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { serverAudits } from 'graphql-http';
import { createLogger, SUBGRAPH_NAMES } from '@storefront/shared';
import { demoFixture } from '@storefront/shared/fixtures';
import { deleteRedisKeys, gatewayHeaders } from '@storefront/shared/testing';
import type { Stack } from '../../scripts/lib/stack.ts';
import { startTestStack } from '../../test/e2e/stack.ts';
import { createGateway, type GatewayServer } from '../src/server.ts';
import { loadGatewayConfig, type GatewayConfig } from '../src/config.ts';
import { loadProtectionConfig, type ProtectionConfig } from '../src/protection/config.ts';
import { buildManifest, MANIFEST_DIR, parseManifest, serializeManifest, sha256Hex, type ManifestOperation } from '../src/persistedQueries/manifest.ts';

const fixture = demoFixture();
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisPrefix = `test:gateway:${randomUUID()}:`;
const manifestDir = mkdtempSync(join(tmpdir(), 'gateway-pq-'));
for (const file of readdirSync(MANIFEST_DIR)) copyFileSync(join(MANIFEST_DIR, file), join(manifestDir, file));
const manifestOp = (list: string, name: string): ManifestOperation =>
  parseManifest(readFileSync(join(MANIFEST_DIR, `${list}.json`), 'utf8'), list).operations.find((o) => o.name === name)!;

let stack: Stack;
let redis: Redis;
const gateways: GatewayServer[] = [];
const logs: string[] = [];

type Overrides = { production?: boolean; protection?: (p: ProtectionConfig) => ProtectionConfig; subgraphUrls?: Partial<GatewayConfig['subgraphUrls']> };

/** A gateway in front of the test stack's subgraphs, sharing one Redis prefix with the others. */
async function startGateway({ production = false, protection = (p) => p, subgraphUrls = {} }: Overrides = {}): Promise<{ gateway: GatewayServer; url: string }> {
  const env = { ...process.env, ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, stack.subgraphUrls[n]])) };
  const base = loadGatewayConfig(env);
  const defaults = loadProtectionConfig(env, production);
  const config: GatewayConfig = {
    ...base,
    production,
    subgraphUrls: { ...base.subgraphUrls, ...subgraphUrls },
    protection: protection({
      ...defaults,
      redisUrl,
      redisPrefix,
      persistedQueries: { ...defaults.persistedQueries, manifestDir, pollMs: 25 },
      rateLimits: { ...defaults.rateLimits, perIp: 0, perClient: { FREE: 5, STANDARD: 10_000, PREMIUM: 10_000 } },
    }),
  };
  const destination = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const gateway = await createGateway(config, createLogger('gateway', { level: 'info', destination }));
  gateways.push(gateway);
  return { gateway, url: `${await gateway.listen(0)}/graphql` };
}

interface Reply {
  status: number;
  headers: Headers;
  body: any;
  ms: number;
}

async function send(url: string, body: unknown, headers: Record<string, string> = {}, method: 'POST' | 'GET' = 'POST'): Promise<Reply> {
  const started = performance.now();
  const res = await fetch(url, {
    method,
    headers: method === 'POST' ? { 'content-type': 'application/json', ...headers } : headers,
    body: method === 'POST' ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* HTML or plain text */
  }
  return { status: res.status, headers: res.headers, body: parsed, ms: performance.now() - started };
}

const getUrl = (url: string, params: Record<string, unknown>) => {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  return u.toString();
};
const byId = (id: string, variables?: Record<string, unknown>) => ({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: id } } });
const HEALTHY = '{ products(first: 1) { totalCount } }';

/** The follow-up request every attack test ends with: normal traffic is still served. */
async function expectHealthy(url: string, headers: Record<string, string> = {}) {
  const res = await send(url, { query: HEALTHY }, headers);
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data.products.totalCount).toBe(fixture.products.length);
  expect((await fetch(new URL('/health', url))).status).toBe(200);
}

/** A fast, clear rejection: the status, the code, and an answer well under a second. */
function expectRejected(res: Reply, status: number, code: string, extensions: Record<string, unknown> = {}) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.data ?? null).toBeNull();
  expect(res.body.errors[0].extensions).toMatchObject({ code, ...extensions });
  expect(res.ms).toBeLessThan(1_000);
}

const admin = { userId: fixture.users[2].id, roles: ['ADMIN' as const] };
interface Partner {
  clientId: string;
  key: string;
}
async function createPartner(input: Record<string, unknown>): Promise<Partner> {
  const res = await send(
    stack.subgraphUrls.identity,
    {
      query: 'mutation($input: CreateApiClientInput!) { createApiClient(input: $input) { clientSecret apiClient { clientId } userErrors { code message } } }',
      variables: { input: { scopes: ['orders:read:any'], ...input } },
    },
    gatewayHeaders(admin),
  );
  const created = res.body.data.createApiClient;
  expect(created.userErrors).toEqual([]);
  return { clientId: created.apiClient.clientId, key: `${created.apiClient.clientId}.${created.clientSecret}` };
}
const as = (p: Partner) => ({ 'x-api-key': p.key });

let dev: { gateway: GatewayServer; url: string };
let dev2: { gateway: GatewayServer; url: string };
let prod: { gateway: GatewayServer; url: string };
/** Production, but with the persisted query policy off, to show the other production settings on their own. */
let prodOpen: { gateway: GatewayServer; url: string };
let acme: Partner;
let acmeIdsOnly: Partner;
let acmeFree: Partner;
let watcher: Partner;
let globex: Partner;

beforeAll(async () => {
  stack = await startTestStack();
  redis = new Redis(redisUrl);
  [dev, dev2, prod, prodOpen] = await Promise.all([
    startGateway(),
    startGateway(),
    startGateway({ production: true }),
    startGateway({ production: true, protection: (p) => ({ ...p, persistedQueries: { ...p.persistedQueries, defaultPolicy: 'OFF' } }) }),
  ]);
  [acme, acmeIdsOnly, acmeFree, watcher, globex] = await Promise.all([
    createPartner({ name: 'Acme', persistedQueryPolicy: 'SAFELIST', persistedQueryList: 'acme' }),
    createPartner({ name: 'Acme (ids only)', persistedQueryPolicy: 'REQUIRE_ID', persistedQueryList: 'acme' }),
    createPartner({ name: 'Acme (free tier)', persistedQueryPolicy: 'SAFELIST', persistedQueryList: 'acme', rateTier: 'FREE' }),
    createPartner({ name: 'Watcher', persistedQueryPolicy: 'LOG_UNKNOWN', persistedQueryList: 'acme' }),
    createPartner({ name: 'Globex', persistedQueryPolicy: 'SAFELIST', persistedQueryList: 'globex' }),
  ]);
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await stack?.stop({ dropDatabases: true });
  if (redis) {
    await deleteRedisKeys(redis, redisPrefix);
    await redis.quit();
  }
  rmSync(manifestDir, { recursive: true, force: true });
});

describe('GraphQL over HTTP conformance', () => {
  it('passes every MUST audit of graphql-http', async () => {
    const results = await Promise.all(serverAudits({ url: dev.url }).map(async (audit) => ({ name: audit.name, result: await audit.fn() })));
    const must = results.filter((r) => r.name.startsWith('MUST'));
    expect(must.length).toBeGreaterThanOrEqual(10);
    expect(must.filter((r) => r.result.status !== 'ok').map((r) => `${r.name}: ${r.result.status === 'ok' ? '' : r.result.reason}`)).toEqual([]);
  });
});

describe('attacks get a fast, clear rejection and the gateway stays healthy', () => {
  it('a depth bomb', async () => {
    const nested = `${'parent { '.repeat(12)}id${' }'.repeat(12)}`;
    const res = await send(dev.url, { query: `{ categories { ${nested} } }` });
    expectRejected(res, 400, 'QUERY_TOO_COMPLEX', { limit: 'maxDepth', max: 10 });
    expect(res.body.errors[0].message).toBe('Query depth limit of 10 exceeded, found 14.');
    await expectHealthy(dev.url);
  });

  it('1,000 aliases of an expensive field (the parser stops at the token limit), and 20 (the alias limit)', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: products(first: 100) { totalCount }`).join(' ')} }`;
    const thousand = await send(dev.url, { query: aliases(1000) });
    expectRejected(thousand, 400, 'QUERY_TOO_COMPLEX', { limit: 'maxTokens', max: 2000 });
    expect(thousand.body.errors[0].message).toBe('Token limit of 2000 exceeded; parsing stopped.');
    const twenty = await send(dev.url, { query: aliases(20) });
    expect(twenty.status).toBe(400);
    const limits = twenty.body.errors.map((e: any) => e.extensions.limit);
    expect(limits).toEqual(expect.arrayContaining(['maxAliases', 'maxRootFields']));
    expect(twenty.body.errors.find((e: any) => e.extensions.limit === 'maxAliases').message).toBe('Aliases limit of 15 exceeded, found 20.');
    await expectHealthy(dev.url);
  });

  it('an operation too expensive for its list sizes', async () => {
    const query = '{ products(first: 100) { edges { node { variants { stock { locations { location { name } } } } } } } }';
    const res = await send(dev.url, { query });
    expectRejected(res, 400, 'QUERY_TOO_COMPLEX', { limit: 'maxCost', max: 10_000, cost: 1 + 100 * (2 + 10 * (2 + 10 * 2)) });
    expect((await send(dev.url, { query: query.replace('100', '2') })).body.errors).toBeUndefined();
    await expectHealthy(dev.url);
  });

  it('a circular fragment, a fragment bomb and a huge fragment', async () => {
    const circular = await send(dev.url, { query: 'query { ...A } fragment A on Query { categories { id } ...B } fragment B on Query { ...A }' });
    expectRejected(circular, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(circular.body.errors[0].message).toMatch(/Cannot spread fragment "A" within itself/);

    const levels = 24;
    const bomb = `query Bomb { ...F0 } ${Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F${levels} on Query { __typename }`;
    expectRejected(await send(dev.url, { query: bomb }), 400, 'QUERY_TOO_COMPLEX', { limit: 'maxFields', found: 2 ** levels });

    const huge = `query { ...Huge } fragment Huge on Query { ${Array.from({ length: 3000 }, () => '__typename').join(' ')} }`;
    expectRejected(await send(dev.url, { query: huge }), 400, 'QUERY_TOO_COMPLEX', { limit: 'maxTokens' });
    await expectHealthy(dev.url);
  });

  it('a 1 MB query', async () => {
    const query = `{ products(first: 1) { totalCount } } # ${'x'.repeat(1024 * 1024)}`;
    const res = await send(dev.url, { query });
    expectRejected(res, 413, 'PAYLOAD_TOO_LARGE');
    await expectHealthy(dev.url);
  });

  it('a batch of 100 operations (batches of up to 10 are served)', async () => {
    const res = await send(dev.url, Array.from({ length: 100 }, () => ({ query: HEALTHY })));
    expectRejected(res, 400, 'BATCH_TOO_LARGE');
    expect(res.body.errors[0].message).toBe('A batch may hold at most 10 operations; this one has 100.');
    const small = await send(dev.url, Array.from({ length: 3 }, () => ({ query: HEALTHY })));
    expect(small.status).toBe(200);
    expect(small.body.map((r: any) => r.data.products.totalCount)).toEqual([3, 3, 3].map(() => fixture.products.length));
    await expectHealthy(dev.url);
  });

  it('introspection in production (development keeps it)', async () => {
    const introspection = { query: '{ __schema { queryType { name } } }' };
    const refused = await send(prodOpen.url, introspection);
    expectRejected(refused, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(refused.body.errors[0].message).toMatch(/introspection is not allowed/);
    // With the production default policy, an introspection query is not even in the list.
    expectRejected(await send(prod.url, introspection), 400, 'PERSISTED_QUERY_NOT_IN_LIST');
    expect((await send(dev.url, introspection)).body.data.__schema.queryType.name).toBe('Query');
    await expectHealthy(prodOpen.url);
  });

  it('an unknown persisted id: not found for APQ clients, not in the list for a safelisted partner', async () => {
    const unknown = byId(sha256Hex(`{ never(sent: "${randomUUID()}") }`));
    const apq = await send(dev.url, unknown);
    expect(apq.status).toBe(200); // Apollo's APQ contract: the client retries with the query text
    expect(apq.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expectRejected(await send(dev.url, unknown, as(acme)), 400, 'PERSISTED_QUERY_NOT_IN_LIST');
    await expectHealthy(dev.url, as(watcher));
  });

  it('a partner running an operation outside its list: refused, logged and counted', async () => {
    const before = dev.gateway.protection.stats().persistedQueries;
    const otherPartners = await send(dev.url, byId(manifestOp('shipfast', 'ShipfastOrder').id, { id: fixture.orders[0].id }), as(acme));
    expectRejected(otherPartners, 400, 'PERSISTED_QUERY_NOT_IN_LIST');
    expect(otherPartners.body.errors[0].message).toContain('is not in the persisted query list "acme"');
    expect(otherPartners.headers.get('cache-control')).toBe('private, no-store');
    const adHoc = await send(dev.url, { query: '{ order(id: "x") { number } }' }, as(acme));
    expectRejected(adHoc, 400, 'PERSISTED_QUERY_NOT_IN_LIST');
    const inBatch = await send(dev.url, [{ query: manifestOp('acme', 'AcmeProduct').body, variables: { id: fixture.products[0].id } }, { query: HEALTHY }], as(acme));
    expectRejected(inBatch, 400, 'PERSISTED_QUERY_NOT_IN_LIST');

    const after = dev.gateway.protection.stats().persistedQueries;
    expect(after.rejected.PERSISTED_QUERY_NOT_IN_LIST - (before.rejected.PERSISTED_QUERY_NOT_IN_LIST ?? 0)).toBe(3);
    expect(after.unknownByClient[acme.clientId] - (before.unknownByClient[acme.clientId] ?? 0)).toBe(3);
    const lines = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'operation not in persisted query list (refused)' && l.caller === acme.clientId);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines[0]).toMatchObject({ level: 40, policy: 'SAFELIST', list: 'acme', outcome: 'PERSISTED_QUERY_NOT_IN_LIST' });
    await expectHealthy(dev.url);
  });

  it('a partner exceeding its rate, counted across gateway instances: 429 with Retry-After', async () => {
    const feed = byId(manifestOp('acme', 'AcmeProductFeed').id, { first: 1 });
    const served: Reply[] = [];
    for (let i = 0; i < 5; i++) served.push(await send(i % 2 ? dev2.url : dev.url, feed, as(acmeFree)));
    expect(served.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(served[4].headers.get('ratelimit-remaining')).toBe('0');
    const refused = await send(dev2.url, feed, as(acmeFree));
    expectRejected(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await send(dev.url, feed, as(acmeFree))).status).toBe(429);
    expect((await send(dev.url, feed, as(acme))).status).toBe(200); // another client is unaffected
    await expectHealthy(dev.url);
  });

  it('a partner using up its cost budget: 429 naming the budget', async () => {
    const spender = await createPartner({ name: 'Spender', persistedQueryPolicy: 'SAFELIST', persistedQueryList: 'acme' });
    const budgeted = await startGateway({ protection: (p) => ({ ...p, rateLimits: { ...p.rateLimits, costBudget: { ...p.rateLimits.costBudget, STANDARD: 7_000 } } }) });
    const feed = byId(manifestOp('acme', 'AcmeProductFeed').id, { first: 100 }); // cost 2 + 100 × (2 + 10 × 3) = 3202
    expect((await send(budgeted.url, feed, as(spender))).body.errors).toBeUndefined();
    expect((await send(budgeted.url, feed, as(spender))).body.errors).toBeUndefined();
    const refused = await send(budgeted.url, feed, as(spender));
    expectRejected(refused, 429, 'RATE_LIMITED', { limit: 'costBudget', max: 7_000, cost: 3202 });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await send(budgeted.url, byId(feed.extensions.persistedQuery.sha256Hash, { first: 1 }), as(spender))).body.errors).toBeUndefined(); // a cheap one still fits
    expect(budgeted.gateway.protection.stats().rateLimited.costBudget).toBe(1);
    await expectHealthy(budgeted.url);
  });

  it('queries that do not come over HTTP (the WebSocket path) are held to the same policy', async () => {
    const res = await prod.gateway.apollo.executeOperation({ query: HEALTHY }, { contextValue: { requestId: randomUUID(), viewer: { roles: [], scopes: [] } } });
    expect(res.body.kind === 'single' && res.body.singleResult.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    const listed = await prod.gateway.apollo.executeOperation(
      { query: manifestOp('first-party', 'HomeProducts').body, variables: { first: 1 } },
      { contextValue: { requestId: randomUUID(), viewer: { roles: [], scopes: [] } } },
    );
    expect(listed.body.kind === 'single' && (listed.body.singleResult.data as any).products.edges).toHaveLength(1);
  });

  it('too many requests from one address, and too many bad partner keys from one address', async () => {
    const limited = await startGateway({ protection: (p) => ({ ...p, rateLimits: { ...p.rateLimits, perIp: 4, authFailuresPerIp: 2 } }) });
    for (let i = 0; i < 4; i++) expect((await send(limited.url, { query: HEALTHY })).status).toBe(200);
    const refused = await send(limited.url, { query: HEALTHY });
    expectRejected(refused, 429, 'RATE_LIMITED', { limit: 'ip' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    const bad = { 'x-api-key': `${acme.clientId}.wrong-secret` };
    expect((await send(limited.url, { query: HEALTHY }, bad)).status).toBe(401);
    expect((await send(limited.url, { query: HEALTHY }, bad)).status).toBe(401);
    expectRejected(await send(limited.url, { query: HEALTHY }, bad), 429, 'RATE_LIMITED', { limit: 'authFailures' });
    await expectHealthy(dev.url);
  });
});

describe('persisted queries', () => {
  it('a partner sending only the hash of a registered operation gets its data (POST, and GET for CDN caching)', async () => {
    const feed = manifestOp('acme', 'AcmeProductFeed');
    const res = await send(dev.url, byId(feed.id, { first: 2 }), as(acme));
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.products.edges).toHaveLength(2);
    expect(res.body.data.products.edges[0].node.variants[0].price.currencyCode).toBe('USD');
    expect(typeof res.body.data.products.edges[0].node.variants[0].stock.available).toBe('number');

    const get = await send(getUrl(dev.url, { variables: { first: 2 }, extensions: byId(feed.id).extensions }), undefined, { ...as(acme), 'apollo-require-preflight': 'true' }, 'GET');
    expect(get.status).toBe(200);
    expect(get.body.data).toEqual(res.body.data);
    // The identical body is accepted too; a reformatted one is a different operation.
    expect((await send(dev.url, { query: feed.body, variables: { first: 1 } }, as(acme))).body.errors).toBeUndefined();
    expect((await send(dev.url, { query: feed.body.replace(/\s+/g, ' '), variables: { first: 1 } }, as(acme))).status).toBe(400);
  });

  it('REQUIRE_ID: by id only', async () => {
    const product = manifestOp('acme', 'AcmeProduct');
    const variables = { id: fixture.products[0].id };
    expectRejected(await send(dev.url, { query: product.body, variables }, as(acmeIdsOnly)), 400, 'PERSISTED_QUERY_ID_REQUIRED');
    const ok = await send(dev.url, byId(product.id, variables), as(acmeIdsOnly));
    expect(ok.body.data.product.title).toBe(fixture.products[0].title);
  });

  it('LOG_UNKNOWN: serves operations outside the list, and logs and counts them', async () => {
    const before = dev.gateway.protection.stats().persistedQueries.unknownByClient[watcher.clientId] ?? 0;
    const res = await send(dev.url, { query: '{ locations { code } }' }, as(watcher));
    expect(res.body.data.locations.map((l: any) => l.code).sort()).toEqual(['AMS', 'NYC']);
    expect(dev.gateway.protection.stats().persistedQueries.unknownByClient[watcher.clientId]).toBe(before + 1);
    expect(logs.some((l) => l.includes('operation not in persisted query list (logged)') && l.includes(watcher.clientId))).toBe(true);
    expect((await send(dev.url, byId(manifestOp('acme', 'AcmeProduct').id, { id: fixture.products[0].id }), as(watcher))).body.errors).toBeUndefined();
    expect(dev.gateway.protection.stats().persistedQueries.unknownByClient[watcher.clientId]).toBe(before + 1);
  });

  it('first-party APQ round trip, shared by gateway instances through Redis, with the hash verified', async () => {
    const query = `query Apq { products(first: 1) { totalCount edges { node { title } } } } # ${randomUUID()}`;
    const hash = sha256Hex(query);
    const miss = await send(dev.url, byId(hash));
    expect(miss.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const register = await send(dev.url, { query, ...byId(hash) });
    expect(register.body.data.products.totalCount).toBe(fixture.products.length);
    for (let i = 0; i < 50 && !(await redis.exists(`${redisPrefix}apq:${hash}`)); i++) await new Promise((r) => setTimeout(r, 10));
    const elsewhere = await send(dev2.url, byId(hash));
    expect(elsewhere.body).toEqual(register.body);
    const get = await send(getUrl(dev2.url, { extensions: byId(hash).extensions }), undefined, { 'apollo-require-preflight': 'true' }, 'GET');
    expect(get.body).toEqual(register.body);

    const mismatch = await send(dev.url, { query: '{ locations { code } }', ...byId(hash) });
    expectRejected(mismatch, 400, 'PERSISTED_QUERY_HASH_MISMATCH');
    expect((await send(dev2.url, byId(hash))).body).toEqual(register.body); // the mismatch did not overwrite it
  });

  it('CSRF prevention stays on: a GET without a preflight-forcing header is refused', async () => {
    const res = await send(getUrl(dev.url, { query: HEALTHY }), undefined, {}, 'GET');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toMatch(/Cross-Site Request Forgery/);
  });

  it('production defaults first-party traffic to its safelist: listed ids work, ad-hoc and APQ registration do not', async () => {
    const home = manifestOp('first-party', 'HomeProducts');
    const listed = await send(prod.url, byId(home.id, { first: 2 }));
    expect(listed.body.data.products.edges).toHaveLength(2);
    expectRejected(await send(prod.url, { query: HEALTHY }), 400, 'PERSISTED_QUERY_NOT_IN_LIST');
    const query = `{ locations { id } } # ${randomUUID()}`;
    expectRejected(await send(prod.url, { query, ...byId(sha256Hex(query)) }), 400, 'PERSISTED_QUERY_NOT_IN_LIST');
    expect(await redis.exists(`${redisPrefix}apq:${sha256Hex(query)}`)).toBe(0);
  });

  it('a new manifest is picked up without restarting the gateway', async () => {
    const ops = buildManifest([{ path: 'globex.graphql', text: 'query GlobexLocations { locations { code name } }' }]);
    const [op] = ops.operations;
    expectRejected(await send(dev.url, byId(op.id), as(globex)), 400, 'PERSISTED_QUERY_NOT_IN_LIST');
    const loads = dev.gateway.protection.stats().persistedQueries.loads;
    writeFileSync(join(manifestDir, 'globex.json'), serializeManifest(ops));
    for (let i = 0; i < 200 && dev.gateway.protection.stats().persistedQueries.loads === loads; i++) await new Promise((r) => setTimeout(r, 10));
    expect(dev.gateway.protection.stats().persistedQueries.lists).toContain('globex');
    const res = await send(dev.url, byId(op.id), as(globex));
    expect(res.body.data.locations).toHaveLength(2);
    rmSync(join(manifestDir, 'globex.json'));
  });
});

describe('production mode', () => {
  let fake: Server;
  let masked: { gateway: GatewayServer; url: string };
  beforeAll(async () => {
    // A catalog that fails the way a real bug would: an internal message, a stack trace.
    fake = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: null, errors: [{ message: 'connect ECONNREFUSED 10.0.0.7:5432 (password hunter2)', extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['Error: connect ECONNREFUSED', '    at /srv/catalog/db.ts:12:3'] } }] }));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const catalog = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/graphql`;
    masked = await startGateway({ production: true, subgraphUrls: { catalog }, protection: (p) => ({ ...p, persistedQueries: { ...p.persistedQueries, defaultPolicy: 'OFF' } }) });
  });
  afterAll(() => new Promise<void>((r) => fake.close(() => r())));

  it('masks internal errors with the request id and sends no stack traces', async () => {
    const res = await send(masked.url, { query: HEALTHY });
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } });
    expect(Object.keys(res.body.errors[0].extensions).sort()).toEqual(['code', 'requestId']);
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2|stacktrace|db\.ts/);
    expect(logs.some((l) => l.includes(requestId!) || l.includes('hunter2'))).toBe(true); // the detail stays in the server's log
  });

  it('turns off Sandbox and field suggestions (development keeps both)', async () => {
    const html = { accept: 'text/html' };
    const prodPage = await fetch(prod.url, { headers: html });
    expect(prodPage.headers.get('content-type')).not.toContain('text/html');
    const devPage = await fetch(dev.url, { headers: html });
    expect(devPage.headers.get('content-type')).toContain('text/html');
    await devPage.text();
    await prodPage.text();

    const typo = { query: '{ product(id: "x") { titl } }' };
    expect((await send(dev.url, typo)).body.errors[0].message).toMatch(/Did you mean "title"/);
    const hidden = await send(prodOpen.url, typo);
    expect(hidden.body.errors[0].message).toBe('Cannot query field "titl" on type "Product".');
  });
});
