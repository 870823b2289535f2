import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';
import { createLogger } from '@storefront/shared';
import { deleteRedisKeys } from '@storefront/shared/testing';
import { CostAnalyzer } from '../src/protection/cost.ts';
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from '../src/protection/rateLimiter.ts';
import { MemoryStringCache, PersistedQueryCache, RedisStringCache } from '../src/protection/apqCache.ts';
import { judgeOperation } from '../src/persistedQueries/policy.ts';
import { buildManifest, sha256Hex } from '../src/persistedQueries/manifest.ts';
import type { PersistedQueryList, PersistedQueryRegistry } from '../src/persistedQueries/registry.ts';
import { apiSchemaOf } from '../src/persistedQueries/validate.ts';
import { createAuthenticator, identityApiKeyVerifier } from '../src/auth/authenticate.ts';
import { JwksCache } from '../src/auth/jwks.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';

const log = createLogger('test');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `test:gateway:${randomUUID()}:`;
const connections: Redis[] = [];
const redis = () => {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  connections.push(r);
  return r;
};
afterAll(async () => {
  if (connections[0]) await deleteRedisKeys(connections[0], prefix);
  await Promise.all(connections.map((c) => c.quit()));
});

function listOf(name: string, text: string): PersistedQueryList {
  const manifest = buildManifest([{ path: `${name}.graphql`, text }]);
  return { name, operations: new Map(manifest.operations.map((o) => [o.id, o])) };
}

describe('persisted query policy', () => {
  const list = listOf('acme', 'query Feed { products(first: 2) { totalCount } }');
  const [listed] = list.operations.values();
  const byId = { extensions: { persistedQuery: { version: 1, sha256Hash: listed.id } } };
  const byBody = { query: listed.body };
  const byBoth = { query: listed.body, ...byId };
  const reformatted = { query: listed.body.replace(/\s+/g, ' ') };
  const adHoc = { query: '{ products(first: 100) { totalCount } }' };
  const unknownId = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex('nope') } } };

  it('SAFELIST: listed operations by id or identical body only', () => {
    expect(judgeOperation('SAFELIST', list, byId)).toEqual({ allowed: true, id: listed.id, listed: true });
    expect(judgeOperation('SAFELIST', list, byBody)).toMatchObject({ allowed: true, listed: true });
    expect(judgeOperation('SAFELIST', list, byBoth)).toMatchObject({ allowed: true, listed: true });
    expect(judgeOperation('SAFELIST', list, reformatted)).toMatchObject({ allowed: false, code: 'PERSISTED_QUERY_NOT_IN_LIST' });
    expect(judgeOperation('SAFELIST', list, adHoc)).toMatchObject({ allowed: false, code: 'PERSISTED_QUERY_NOT_IN_LIST' });
    expect(judgeOperation('SAFELIST', list, unknownId)).toMatchObject({ allowed: false, code: 'PERSISTED_QUERY_NOT_IN_LIST' });
    // An id with someone else's body (hash hijacking) is judged by the body it carries.
    expect(judgeOperation('SAFELIST', list, { ...adHoc, ...byId })).toMatchObject({ allowed: false, code: 'PERSISTED_QUERY_NOT_IN_LIST' });
    const none = judgeOperation('SAFELIST', undefined, byId);
    expect(none).toMatchObject({ allowed: false, code: 'PERSISTED_QUERY_NOT_IN_LIST' });
    expect(none.allowed === false && none.message).toContain('no persisted query list');
  });

  it('REQUIRE_ID: listed operations by id alone', () => {
    expect(judgeOperation('REQUIRE_ID', list, byId)).toMatchObject({ allowed: true, listed: true });
    expect(judgeOperation('REQUIRE_ID', list, byBody)).toMatchObject({ allowed: false, code: 'PERSISTED_QUERY_ID_REQUIRED' });
    expect(judgeOperation('REQUIRE_ID', list, byBoth)).toMatchObject({ allowed: false, code: 'PERSISTED_QUERY_ID_REQUIRED' });
    expect(judgeOperation('REQUIRE_ID', list, unknownId)).toMatchObject({ allowed: false, code: 'PERSISTED_QUERY_NOT_IN_LIST' });
  });

  it('LOG_UNKNOWN and OFF: everything, with unlisted operations flagged', () => {
    expect(judgeOperation('LOG_UNKNOWN', list, adHoc)).toMatchObject({ allowed: true, listed: false });
    expect(judgeOperation('LOG_UNKNOWN', list, byId)).toMatchObject({ allowed: true, listed: true });
    expect(judgeOperation('OFF', undefined, adHoc)).toMatchObject({ allowed: true, listed: false });
    expect(judgeOperation('SAFELIST', list, {})).toMatchObject({ allowed: true, id: null }); // nothing to judge: Apollo refuses it
  });
});

describe('operation cost', () => {
  const subgraph = `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])
    type Query {
      items(first: Int = 5): [Item!]! @listSize(slicingArguments: ["first"])
      heavy: Int @cost(weight: 50)
      page(first: Int, last: Int): ItemConnection!
      feed(limit: Int = 3): FeedPage! @listSize(slicingArguments: ["limit"], sizedFields: ["entries"])
      everything: [Item!]!
    }
    type Mutation { doIt: Tag }
    type Item @key(fields: "id") @cost(weight: 3) { id: ID! tags: [Tag!]! @listSize(assumedSize: 4) }
    type Tag { name: String! }
    type ItemConnection { edges: [ItemEdge!]! total: Int! }
    type ItemEdge { node: Item! }
    type FeedPage { entries: [Item!]! }
  `;
  const composed = composeServices([{ name: 'things', url: 'http://things', typeDefs: parse(subgraph) }]);
  const supergraph = composed.supergraphSdl!;
  const schema = apiSchemaOf(supergraph);
  const analyzer = new CostAnalyzer(supergraph, { defaultListSize: 10 });
  const cost = (query: string, variables?: Record<string, unknown>) => analyzer.measure(schema, parse(query), undefined, variables).cost;

  it('reads @cost and @listSize from the composed supergraph', () => {
    expect(composed.errors).toBeUndefined();
    expect(cost('{ heavy }')).toBe(50);
    expect(cost('{ items { id } }')).toBe(5 * 3); // the slicing argument's default, the type's @cost
    expect(cost('{ items(first: 2) { tags { name } } }')).toBe(2 * (3 + 4 * 1)); // assumedSize 4
    expect(cost('{ everything { id } }')).toBe(10 * 3); // no size known: the default list size
    expect(cost('{ feed { entries { id } } }')).toBe(1 + 3 * 3); // sizedFields
    expect(cost('mutation { doIt { name } }')).toBe(10);
  });

  it('sizes lists from first/last, in the operation or its variables', () => {
    expect(cost('query($n: Int) { items(first: $n) { id } }', { n: 7 })).toBe(21);
    expect(cost('query($n: Int) { items(first: $n) { id } }')).toBe(15);
    expect(cost('query($n: Int = 4) { items(first: $n) { id } }')).toBe(12);
    // A connection passes its size to edges: max(first, last) edges of (edge 1 + node 3).
    expect(cost('{ page(first: 3, last: 8) { total edges { node { id } } } }')).toBe(1 + 8 * (1 + 3));
    expect(cost('query($f: Int) { page(first: $f) { edges { node { id } } } }', { f: 1000 })).toBe(1 + 1000 * 4);
  });

  it('costs fragments where they are spread, and a fragment bomb in linear time', () => {
    expect(cost('{ ...A ...A } fragment A on Query { heavy }')).toBe(100);
    const levels = 40;
    const bomb = `query Bomb { ...F0 } ${Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F${levels} on Query { heavy }`;
    const started = performance.now();
    const measured = analyzer.measure(schema, parse(bomb));
    expect(performance.now() - started).toBeLessThan(50);
    expect(measured.cost).toBe(50 * 2 ** levels);
    expect(measured.fields).toBe(2 ** levels);
  });

  it('prices the app\'s operations on the real supergraph within the default limit', () => {
    const sdl = readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
    const real = new CostAnalyzer(sdl, { defaultListSize: 10 });
    const api = apiSchemaOf(sdl);
    const home = 'query($first: Int = 12) { products(first: $first) { totalCount edges { node { id priceFrom { amount } images { url } } } } }';
    expect(real.measure(api, parse(home)).cost).toBe(1 + 12 * (1 + 1 + 1 + 10));
    expect(real.measure(api, parse(home), undefined, { first: 100 }).cost).toBe(1 + 100 * 13);
  });
});

async function limiterContract(name: string, make: (now: () => number) => [RateLimiter, RateLimiter]) {
  it(`${name}: refuses past the limit, with a retry-after, and shares the count between instances`, async () => {
    const [a, b] = make(Date.now);
    const key = `client:${randomUUID()}`;
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await (i % 2 ? b : a).consume(key, 5, 60_000));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
    expect(results[4].remaining).toBe(0);
    expect(results[5].retryAfterMs).toBeGreaterThan(0);
    expect(results[5].retryAfterMs).toBeLessThanOrEqual(60_000);
    expect((await a.consume(`client:${randomUUID()}`, 5, 60_000)).allowed).toBe(true);
    // A cost of 0 asks without counting.
    const budget = `cost:${randomUUID()}`;
    expect((await a.consume(budget, 10, 60_000, 0)).allowed).toBe(true);
    expect((await b.consume(budget, 10, 60_000, 4)).allowed).toBe(true);
    expect((await a.consume(budget, 10, 60_000, 4)).allowed).toBe(true);
    expect((await b.consume(budget, 10, 60_000, 4)).allowed).toBe(false);
    expect((await a.consume(budget, 10, 60_000, 2)).allowed).toBe(true);
    expect((await a.consume(budget, 10, 60_000, 0)).allowed).toBe(false);
  });

  it(`${name}: slides: the previous window counts for what still overlaps`, async () => {
    let now = 1_000_000_000_000; // a window boundary for 1 s windows
    const [a, b] = make(() => now);
    const key = `ip:${randomUUID()}`;
    for (let i = 0; i < 10; i++) expect((await a.consume(key, 10, 1_000)).allowed).toBe(true);
    const refused = await b.consume(key, 10, 1_000);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBe(1_000);
    now += 1_500; // half of the previous window still overlaps: 5 of its 10 count
    let allowed = 0;
    for (let i = 0; i < 10; i++) if ((await b.consume(key, 10, 1_000)).allowed) allowed += 1;
    expect(allowed).toBe(5);
    now += 1_000;
    expect((await a.consume(key, 10, 1_000)).allowed).toBe(true);
  });
}

describe('rate limiting', () => {
  limiterContract('Redis (two gateway instances)', (now) => [new RedisRateLimiter(redis(), prefix, log, now), new RedisRateLimiter(redis(), prefix, log, now)]);
  limiterContract('in memory (one instance)', (now) => {
    const one = new MemoryRateLimiter(now);
    return [one, one];
  });

  it('fails open when Redis is unreachable', async () => {
    const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    dead.on('error', () => {});
    const limiter = new RedisRateLimiter(dead, prefix, log);
    expect((await limiter.consume('client:x', 1, 1_000)).allowed).toBe(true);
    expect((await limiter.consume('client:x', 1, 1_000)).allowed).toBe(true);
    dead.disconnect();
  });
});

describe('APQ store', () => {
  const list = listOf('acme', 'query Feed { products(first: 2) { totalCount } }');
  const [listed] = list.operations.values();
  const registry = { operation: (id: string) => list.operations.get(id) } as unknown as PersistedQueryRegistry;

  it('is shared through Redis by every instance, with the manifests answering first', async () => {
    const one = new PersistedQueryCache(registry, new RedisStringCache(redis(), prefix, log));
    const two = new PersistedQueryCache(registry, new RedisStringCache(redis(), prefix, log));
    const hash = sha256Hex('{ __typename }');
    expect(await two.get(`apq:${hash}`)).toBeUndefined();
    await one.set(`apq:${hash}`, '{ __typename }', { ttl: 60 });
    expect(await two.get(`apq:${hash}`)).toBe('{ __typename }');
    expect(await connections.at(-1)!.ttl(`${prefix}apq:${hash}`)).toBeGreaterThan(50);
    // Listed operations come from the manifest and are never written to the store.
    expect(await two.get(`apq:${listed.id}`)).toBe(listed.body);
    await one.set(`apq:${listed.id}`, listed.body);
    expect(await connections.at(-1)!.exists(`${prefix}apq:${listed.id}`)).toBe(0);
  });

  it('keeps a bounded, expiring store in memory without Redis', async () => {
    const store = new MemoryStringCache(10);
    await store.set('a', '12345');
    await store.set('b', '12345');
    await store.set('c', '1');
    expect(await store.get('a')).toBeUndefined(); // evicted, oldest first
    expect(await store.get('b')).toBe('12345');
    await store.set('d', 'x', { ttl: 0.01 });
    await new Promise((r) => setTimeout(r, 30));
    expect(await store.get('d')).toBeUndefined();
  });
});

describe('partner keys', () => {
  it('keep the client profile at the gateway: only clientId and scopes are forwarded to subgraphs', async () => {
    const answers: Record<string, unknown>[] = [
      { clientId: 'sfc_a', name: 'A', scopes: ['orders:read:any'], rateTier: 'PREMIUM', persistedQueryPolicy: 'REQUIRE_ID', persistedQueryList: 'acme' },
      { clientId: 'sfc_b', scopes: ['orders:read'] }, // an identity that predates policies
    ];
    let calls = 0;
    const identity = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answers[calls++]));
    });
    await new Promise<void>((r) => identity.listen(0, '127.0.0.1', r));
    const verify = identityApiKeyVerifier(`http://127.0.0.1:${(identity.address() as AddressInfo).port}/graphql`, 'secret');
    const auth = createAuthenticator({ jwks: new JwksCache('http://127.0.0.1:1/jwks'), issuer: 'i', audience: 'a', verifyApiKey: verify });
    const req = (key: string) => ({ headers: { 'x-api-key': key } }) as unknown as IncomingMessage;

    expect(verify.knownValid('sfc_a.s3cret')).toBe(false);
    const a = await auth.authenticateRequest(req('sfc_a.s3cret'));
    expect(a.viewer).toEqual({ clientId: 'sfc_a', roles: [], scopes: ['orders:read:any'] });
    expect(a.client).toEqual({ clientId: 'sfc_a', name: 'A', rateTier: 'PREMIUM', persistedQueryPolicy: 'REQUIRE_ID', persistedQueryList: 'acme' });
    expect(verify.knownValid('sfc_a.s3cret')).toBe(true);
    await auth.authenticateRequest(req('sfc_a.s3cret'));
    expect(calls).toBe(1); // cached

    const b = await auth.authenticateRequest(req('sfc_b.s3cret'));
    expect(b.client).toMatchObject({ rateTier: 'FREE', persistedQueryPolicy: 'SAFELIST', persistedQueryList: null });
    await new Promise<void>((r) => identity.close(() => r()));
  });
});
