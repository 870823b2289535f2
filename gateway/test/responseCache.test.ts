import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { Redis } from 'ioredis';
import { composeServices } from '@apollo/composition';
import type { ApolloServerPlugin } from '@apollo/server';
import { createLogger, createSubgraphServer, hasScope, setPublicMaxAge, type BaseRequestContext, type SubgraphServer } from '@storefront/shared';
import { createGateway, type GatewayServer } from '../src/server.ts';
import { loadGatewayConfig, type GatewayConfig } from '../src/config.ts';
import { loadProtectionConfig } from '../src/protection/config.ts';
import { CATALOG_CHANGED, MemoryTransport } from '@storefront/shared/events';
import { deleteRedisKeys } from '@storefront/shared/testing';
import { startJwks, until } from './wsTestKit.ts';

// Three purpose-built subgraphs. "catalog" answers customers alike (public for 5 s) and editors with drafts (no
// header); "inventory" adds stock, public for 2 s; "order" adds a personal field and never sends a header.
const CATALOG_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { shelf(tag: String!): [Item!]! items(ids: [ID!]!): [Item!]! broken: String changing: String slow(tag: String!): String }
  type Mutation { touch: Boolean touchItems(ids: [ID!]!): [Item!]! }
  type Item @key(fields: "id") { id: ID! title: String! }
`;
const INVENTORY_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { locations: [String!]! }
  type Item @key(fields: "id") { id: ID! inStock: Boolean! }
`;
const ORDER_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { me: String slowMine: String }
  type Item @key(fields: "id") { id: ID! boughtByMe: Boolean! }
`;

const calls = { catalog: 0, inventory: 0, order: 0 };
const failing = new Set<string>();
const concurrent = { now: 0, max: 0 };
/**
 * Marks every query's answer public for `seconds`, except for viewers `privileged` says see more. Answers with
 * errors too (real subgraphs do not), so that what the tests show about errors is the gateway's own doing.
 */
const publicFor = (seconds: number, privileged: (ctx: BaseRequestContext) => boolean = () => false): ApolloServerPlugin<BaseRequestContext> => ({
  async requestDidStart({ contextValue }) {
    if (privileged(contextValue)) return;
    return {
      async willSendResponse({ operation, response }) {
        if (operation?.operation === 'query') setPublicMaxAge(response.http.headers, seconds * 1000);
      },
    };
  },
});
const editor = (ctx: BaseRequestContext) => hasScope(ctx.viewer, 'catalog:write');

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisPrefix = `test:gateway-response-cache:${randomUUID()}:`;
let jwks: Awaited<ReturnType<typeof startJwks>>;
const subgraphs: SubgraphServer[] = [];
let env: NodeJS.ProcessEnv;
let supergraphSdl: string;
const gateways: GatewayServer[] = [];

const transport = new MemoryTransport();
const announce = () =>
  transport.publish([{ id: randomUUID(), type: CATALOG_CHANGED, aggregateId: 'catalog', payload: { reason: 'write' }, occurredAt: new Date().toISOString(), source: 'catalog' }]);

async function startGateway(responseCacheBytes: number) {
  const defaults = loadProtectionConfig(env, false);
  const config: GatewayConfig = {
    ...loadGatewayConfig(env),
    production: false,
    supergraphSdl,
    responseCacheBytes,
    protection: { ...defaults, redisUrl, redisPrefix: `${redisPrefix}${gateways.length}:` },
  };
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
  const gateway = await createGateway(config, createLogger('gateway', { level: 'warn', destination: quiet }), { events: transport });
  gateways.push(gateway);
  return { gateway, url: `${await gateway.listen(0)}/graphql` };
}

let cached: Awaited<ReturnType<typeof startGateway>>;
let uncached: Awaited<ReturnType<typeof startGateway>>;

async function post(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, cacheControl: res.headers.get('cache-control'), age: res.headers.get('age'), body: (await res.json()) as any };
}

beforeAll(async () => {
  jwks = await startJwks();
  const specs = [
    {
      name: 'catalog' as const, sdl: CATALOG_SDL, plugins: [publicFor(5, editor)],
      resolvers: {
        Query: {
          shelf: (_: unknown, { tag }: { tag: string }, ctx: BaseRequestContext) => {
            calls.catalog += 1;
            return [{ id: `${tag}-1`, title: `${tag} one` }, ...(editor(ctx) ? [{ id: `${tag}-draft`, title: `${tag} draft` }] : [])];
          },
          // Takes a while, so identical requests overlap; fails while `failing` holds the tag.
          slow: async (_: unknown, { tag }: { tag: string }) => {
            calls.catalog += 1;
            await new Promise((r) => setTimeout(r, 300));
            if (failing.has(tag)) throw new Error('catalog could not answer');
            return `slow ${tag}`;
          },
          // Catalog changes while this is being answered: the gateway has cleared its cache before the answer arrives.
          changing: async () => {
            calls.catalog += 1;
            const clears = cached.gateway.responseCache!.stats().clears;
            await announce();
            await until(() => cached.gateway.responseCache!.stats().clears > clears, 5_000);
            return 'answered across a change';
          },
          broken: () => {
            calls.catalog += 1;
            throw new Error('catalog could not answer');
          },
          items: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => ({ id, title: id })),
        },
        Mutation: { touch: () => (calls.catalog += 1) > 0, touchItems: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => ({ id, title: id })) },
        Item: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, title: ref.id }) },
      },
    },
    {
      name: 'inventory' as const, sdl: INVENTORY_SDL, plugins: [publicFor(2)],
      resolvers: {
        Query: { locations: () => ['AMS'] },
        Item: {
          __resolveReference: (ref: { id: string }) => ((calls.inventory += 1), { id: ref.id }),
          // Items whose id starts with "bad" fail, as a subgraph's field can.
          inStock: (item: { id: string }) => {
            if (item.id.startsWith('bad')) throw new Error('no stock for this one');
            return true;
          },
        },
      },
    },
    {
      name: 'order' as const, sdl: ORDER_SDL, plugins: [],
      resolvers: {
        Query: {
          me: () => null,
          slowMine: async () => {
            calls.order += 1;
            concurrent.now += 1;
            concurrent.max = Math.max(concurrent.max, concurrent.now);
            await new Promise((r) => setTimeout(r, 300));
            concurrent.now -= 1;
            return 'personal';
          },
        },
        Item: { __resolveReference: (ref: { id: string }) => ((calls.order += 1), { id: ref.id, boughtByMe: false }) } },
    },
  ];
  const urls: Record<string, string> = {};
  for (const spec of specs) {
    const server = await createSubgraphServer({ name: spec.name, typeDefs: parse(spec.sdl), resolvers: spec.resolvers as any, plugins: spec.plugins, createContext: (base) => base });
    subgraphs.push(server);
    urls[spec.name] = `${await server.listen(0)}/graphql`;
  }
  const composed = composeServices(specs.map((s) => ({ name: s.name, url: urls[s.name], typeDefs: parse(s.sdl) })));
  if (composed.errors) throw composed.errors[0];
  supergraphSdl = composed.supergraphSdl!;
  env = { ...process.env, CATALOG_URL: urls.catalog, INVENTORY_URL: urls.inventory, ORDER_URL: urls.order, JWKS_URL: jwks.url };
  [cached, uncached] = await Promise.all([startGateway(8 * 1024 * 1024), startGateway(0)]);
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await transport.close();
  await Promise.all(subgraphs.map((s) => s.close()));
  await jwks?.close();
  const redis = new Redis(redisUrl);
  await deleteRedisKeys(redis, redisPrefix);
  await redis.quit();
});

/** Announces a catalog change and waits until the cached gateway has emptied its cache. */
async function emptied() {
  const clears = cached.gateway.responseCache!.stats().clears;
  await announce();
  await until(() => cached.gateway.responseCache!.stats().clears > clears, 5_000);
}

const SHELF = 'query Shelf($tag: String!) { shelf(tag: $tag) { id title } }';
const SHELF_WITH_STOCK = 'query ShelfWithStock($tag: String!) { shelf(tag: $tag) { id title inStock } }';

describe('gateway response cache', () => {
  it('answers a query every subgraph marked public from memory, with its Cache-Control and Age, for anonymous callers and customers alike', async () => {
    const before = { ...calls };
    const first = await post(cached.url, SHELF, { tag: 'a' });
    expect(first.body).toEqual({ data: { shelf: [{ id: 'a-1', title: 'a one' }] } });
    expect(first.cacheControl).toBe('max-age=5, public');
    expect(calls.catalog - before.catalog).toBe(1);

    const again = await post(cached.url, SHELF, { tag: 'a' }, jwks.token('alice'));
    expect(again.body).toEqual(first.body);
    expect(again.cacheControl).toBe('max-age=5, public');
    expect(again.age).not.toBeNull();
    expect(calls.catalog - before.catalog).toBe(1);
    expect(cached.gateway.responseCache!.stats()).toMatchObject({ hits: 1 });

    await post(cached.url, SHELF, { tag: 'b' }); // other variables, another entry
    expect(calls.catalog - before.catalog).toBe(2);
  });

  it('keeps an answer no longer than the shortest max-age of the subgraphs it came from', async () => {
    const before = { ...calls };
    const first = await post(cached.url, SHELF_WITH_STOCK, { tag: 'stock' });
    expect(first.body.data.shelf).toEqual([{ id: 'stock-1', title: 'stock one', inStock: true }]);
    expect(first.cacheControl).toBe('max-age=2, public');
    await post(cached.url, SHELF_WITH_STOCK, { tag: 'stock' });
    expect([calls.catalog - before.catalog, calls.inventory - before.inventory]).toEqual([1, 1]);
    await new Promise((r) => setTimeout(r, 2_100));
    await post(cached.url, SHELF_WITH_STOCK, { tag: 'stock' });
    expect([calls.catalog - before.catalog, calls.inventory - before.inventory]).toEqual([2, 2]);
  });

  it('never stores an answer that a subgraph without a Cache-Control header took part in', async () => {
    const before = { ...calls };
    for (let i = 0; i < 2; i++) {
      const personal = await post(cached.url, 'query Mine { shelf(tag: "mine") { id boughtByMe } }', {}, jwks.token('alice'));
      expect(personal.body.data.shelf).toEqual([{ id: 'mine-1', boughtByMe: false }]);
      expect(personal.cacheControl).toBe('no-store');
    }
    expect([calls.catalog - before.catalog, calls.order - before.order]).toEqual([2, 2]);
  });

  it('serves editors fresh answers, never a shopper\'s cached one, and does not store theirs', async () => {
    const before = { ...calls };
    const editorToken = jwks.token('ed', '15m', { roles: ['ADMIN'], scope: 'catalog:write' });
    const shopper = await post(cached.url, SHELF, { tag: 'drafts' });
    expect(shopper.body.data.shelf).toHaveLength(1);
    const bypassed = cached.gateway.responseCache!.stats().bypassed;

    const seen = await post(cached.url, SHELF, { tag: 'drafts' }, editorToken);
    expect(seen.body.data.shelf.map((i: { id: string }) => i.id)).toEqual(['drafts-1', 'drafts-draft']);
    expect(seen.cacheControl).toBe('no-store');
    expect(cached.gateway.responseCache!.stats().bypassed).toBe(bypassed + 1);

    const shopperAgain = await post(cached.url, SHELF, { tag: 'drafts' });
    expect(shopperAgain.body).toEqual(shopper.body);
    expect(calls.catalog - before.catalog).toBe(2); // the shopper's first request and the editor's
  });

  it('never stores errors or mutations', async () => {
    const before = { ...calls };
    for (let i = 0; i < 2; i++) {
      const failed = await post(cached.url, '{ broken }');
      expect(failed.body.errors).toHaveLength(1);
      expect(failed.cacheControl).toBe('no-store'); // though catalog marked it public
      const touched = await post(cached.url, 'mutation { touch }');
      expect(touched.body).toEqual({ data: { touch: true } });
    }
    expect(calls.catalog - before.catalog).toBe(4);
  });

  it('empties the cache when catalog announces a change, so the next request asks the subgraphs again', async () => {
    const before = calls.catalog;
    await post(cached.url, SHELF, { tag: 'changed' });
    await post(cached.url, SHELF, { tag: 'changed' });
    expect(calls.catalog - before).toBe(1);
    await emptied();
    await post(cached.url, SHELF, { tag: 'changed' });
    expect(calls.catalog - before).toBe(2);
  });

  it('does not store an answer fetched across a change: it may predate it', async () => {
    const before = calls.catalog;
    for (let i = 0; i < 2; i++) {
      const res = await post(cached.url, '{ changing }');
      expect(res.body).toEqual({ data: { changing: 'answered across a change' } });
      expect(res.cacheControl).toBe('max-age=5, public');
    }
    expect(calls.catalog - before).toBe(2);
  });

  it('lets one of several concurrent misses of a query cached before fetch it, and gives the others its answer', async () => {
    const SLOW = 'query Slow($tag: String!) { slow(tag: $tag) }';
    await post(cached.url, SLOW, { tag: 'herd' }); // cached once: now known cacheable
    await emptied(); // the next requests all miss at once
    const before = { calls: calls.catalog, stats: cached.gateway.responseCache!.stats() };
    const herd = await Promise.all(Array.from({ length: 5 }, () => post(cached.url, SLOW, { tag: 'herd' })));
    for (const res of herd) {
      expect(res.body).toEqual({ data: { slow: 'slow herd' } });
      expect(res.cacheControl).toBe('max-age=5, public');
    }
    expect(calls.catalog - before.calls).toBe(1);
    const after = cached.gateway.responseCache!.stats();
    expect([after.misses - before.stats.misses, after.coalesced - before.stats.coalesced]).toEqual([1, 4]);
  });

  it("runs each request itself when the shared fetch's answer cannot be shared", async () => {
    const SLOW = 'query Slow($tag: String!) { slow(tag: $tag) }';
    await post(cached.url, SLOW, { tag: 'flaky' });
    await emptied();
    failing.add('flaky');
    const before = calls.catalog;
    const results = await Promise.all(Array.from({ length: 3 }, () => post(cached.url, SLOW, { tag: 'flaky' })));
    expect(results.every((r) => r.body.errors?.length === 1)).toBe(true);
    expect(calls.catalog - before).toBe(3);
    failing.delete('flaky');
  });

  it('never holds up identical queries that are not cacheable: they run side by side', async () => {
    const before = { calls: calls.order, coalesced: cached.gateway.responseCache!.stats().coalesced };
    concurrent.max = 0;
    const results = await Promise.all(Array.from({ length: 4 }, () => post(cached.url, '{ slowMine }', {}, jwks.token('alice'))));
    expect(results.every((r) => r.body.data?.slowMine === 'personal')).toBe(true);
    expect(calls.order - before.calls).toBe(4);
    expect(concurrent.max).toBeGreaterThan(1);
    expect(cached.gateway.responseCache!.stats().coalesced).toBe(before.coalesced);
  });

  it('asks the subgraphs every time when GATEWAY_RESPONSE_CACHE_MB is 0, still passing their Cache-Control on', async () => {
    expect(uncached.gateway.responseCache).toBeNull();
    const before = calls.catalog;
    for (let i = 0; i < 2; i++) expect((await post(uncached.url, SHELF, { tag: 'off' })).cacheControl).toBe('max-age=5, public');
    expect(calls.catalog - before).toBe(2);
  });
});

describe('gateway entity cache', () => {
  const ITEMS = 'query Items($ids: [ID!]!) { items(ids: $ids) { id inStock } }';
  const ITEMS_TITLED = 'query ItemsTitled($ids: [ID!]!) { items(ids: $ids) { id title inStock } }';
  const items = (ids: string[]) => ({ data: { items: ids.map((id) => ({ id, inStock: true })) } });
  const id = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

  it('answers the entities other queries fetched from memory, and sends the subgraph only the others, in order', async () => {
    const [a, b, c] = [id('a'), id('b'), id('c')];
    const before = { inventory: calls.inventory, stats: cached.gateway.responseCache!.stats() };
    expect((await post(cached.url, ITEMS, { ids: [a, b] })).body).toEqual(items([a, b]));
    expect(calls.inventory - before.inventory).toBe(2);
    // Another query (another whole-response key) listing the same entities and a new one.
    const mixed = await post(cached.url, ITEMS, { ids: [c, b, a] });
    expect(mixed.body).toEqual(items([c, b, a]));
    expect(calls.inventory - before.inventory).toBe(3); // only c
    // What is left of the held entities' two seconds, in whole seconds.
    expect(mixed.cacheControl).toBe('max-age=1, public');
    const stats = cached.gateway.responseCache!.stats();
    expect([stats.entityHits - before.stats.entityHits, stats.entityMisses - before.stats.entityMisses]).toEqual([2, 3]);
    // The entities of another selection are other entries.
    const titled = await post(cached.url, ITEMS_TITLED, { ids: [a] });
    expect(titled.body).toEqual({ data: { items: [{ id: a, title: a, inStock: true }] } });
    expect(calls.inventory - before.inventory).toBe(4);
  });

  it('keeps entities no longer than their max-age, and empties them with the response cache', async () => {
    const a = id('aged');
    const before = calls.inventory;
    await post(cached.url, ITEMS, { ids: [a] });
    await post(cached.url, ITEMS, { ids: [a, a] });
    expect(calls.inventory - before).toBe(1);
    await new Promise((r) => setTimeout(r, 2_100));
    await post(cached.url, ITEMS, { ids: [a, a, a] });
    expect(calls.inventory - before).toBe(2);
    await emptied();
    await post(cached.url, ITEMS, { ids: [a, a, a, a] });
    expect(calls.inventory - before).toBe(3);
  });

  it('reads entities fresh for editors, after mutations, and with the cache off; and keeps none of theirs', async () => {
    const a = id('fresh');
    const editorToken = jwks.token('ed', '15m', { roles: ['ADMIN'], scope: 'catalog:write' });
    const before = calls.inventory;
    await post(cached.url, ITEMS, { ids: [a] }, editorToken);
    await post(cached.url, ITEMS, { ids: [a] }, editorToken);
    expect(calls.inventory - before).toBe(2);
    const touched = await post(cached.url, 'mutation Touch($ids: [ID!]!) { touchItems(ids: $ids) { id inStock } }', { ids: [a] });
    expect(touched.body).toEqual({ data: { touchItems: [{ id: a, inStock: true }] } });
    expect(calls.inventory - before).toBe(3);
    await post(cached.url, ITEMS, { ids: [a] }); // a shopper's query fetches it: nothing of the editor's was kept
    expect(calls.inventory - before).toBe(4);
    await post(uncached.url, ITEMS, { ids: [a] });
    await post(uncached.url, ITEMS, { ids: [a] });
    expect(calls.inventory - before).toBe(6);
  });

  it('puts a failed entity\'s error at its place in the whole list, and keeps nothing from a fetch with errors', async () => {
    const [good, bad, other] = [id('good'), id('bad'), id('other')];
    await post(cached.url, ITEMS, { ids: [good] });
    const before = calls.inventory;
    const res = await post(cached.url, ITEMS, { ids: [good, other, bad] });
    expect(calls.inventory - before).toBe(2); // other and bad, not good
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].path).toEqual(['items', 2, 'inStock']);
    expect(res.cacheControl).toBe('no-store');
    await post(cached.url, ITEMS, { ids: [other] });
    expect(calls.inventory - before).toBe(3); // other was not kept from the fetch that had errors
  });
});
