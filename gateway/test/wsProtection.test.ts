import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { Redis } from 'ioredis';
import type { Client, SubscribePayload } from 'graphql-ws';
import { composeServices } from '@apollo/composition';
import { createLogger, createSubgraphServer, type SubgraphServer } from '@storefront/shared';
import { LiveEvents, MemoryTransport, type DomainEvent } from '@storefront/shared/events';
import { deleteRedisKeys } from '@storefront/shared/testing';
import { createGateway, type GatewayServer } from '../src/server.ts';
import { loadGatewayConfig, type GatewayConfig } from '../src/config.ts';
import { loadProtectionConfig, type ProtectionConfig } from '../src/protection/config.ts';
import { buildManifest, serializeManifest, sha256Hex } from '../src/persistedQueries/manifest.ts';
import { collect, connect, ORDER_SDL, startJwks, until, type Collected } from './wsTestKit.ts';

// Purpose-built subgraphs: "order" owns a Subscription; "catalog" extends its entity with a
// recursive field (for depth bombs) and a sliced list (for cost).
const CATALOG_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { pong: String }
  type Tick @key(fields: "id") { id: ID! label: String! parent: Tick related(first: Int = 10): [Tick!]! }
`;

// The first-party persisted query list the production-like gateway serves.
const manifest = buildManifest([
  { path: 'ticks.graphql', text: 'subscription Ticks($topic: String!) { ticks(topic: $topic) { id n label } }' },
  { path: 'ping.graphql', text: 'query Ping { ping }' },
]);
const registered = (name: string) => manifest.operations.find((o) => o.name === name)!;
const byId = (name: string, variables?: Record<string, unknown>): SubscribePayload => ({
  query: '', // graphql-ws requires a string; an empty one means "by id", as over HTTP
  variables,
  extensions: { persistedQuery: { version: 1, sha256Hash: registered(name).id } },
});

const DEPTH_BOMB = `subscription { ticks(topic: "bomb") { ${'parent { '.repeat(12)}id${' }'.repeat(12)} } }`;
// ticks 1 × (1 + related 100 × (1 + related 100 × 1)) = 10,101: over the default limit of 10,000.
const OVER_COST = 'subscription { ticks(topic: "cost") { id related(first: 100) { id related(first: 100) { id } } } }';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisPrefix = `test:gateway-ws:${randomUUID()}:`;
const manifestDir = mkdtempSync(join(tmpdir(), 'gateway-ws-pq-'));
writeFileSync(join(manifestDir, 'first-party.json'), serializeManifest(manifest));

const transport = new MemoryTransport();
let jwks: Awaited<ReturnType<typeof startJwks>>;
let live: LiveEvents;
let order: SubgraphServer;
let catalog: SubgraphServer;
let supergraphSdl: string;
let env: NodeJS.ProcessEnv;
const gateways: GatewayServer[] = [];
const clients: Client[] = [];

interface Started {
  gateway: GatewayServer;
  http: string;
  ws: string;
}

/** A gateway in front of the purpose-built subgraphs, with its own Redis prefix, trusting one proxy hop (X-Forwarded-For). */
async function startGateway(production: boolean, protection: (p: ProtectionConfig) => ProtectionConfig): Promise<Started> {
  const defaults = loadProtectionConfig(env, production);
  const config: GatewayConfig = {
    ...loadGatewayConfig(env),
    production,
    supergraphSdl,
    protection: protection({
      ...defaults,
      redisUrl,
      redisPrefix: `${redisPrefix}${gateways.length}:`,
      persistedQueries: { ...defaults.persistedQueries, manifestDir, pollMs: 0 },
      rateLimits: { ...defaults.rateLimits, trustedProxyHops: 1 },
    }),
  };
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
  const gateway = await createGateway(config, createLogger('gateway', { level: 'warn', destination: quiet }));
  gateways.push(gateway);
  const http = `${await gateway.listen(0)}/graphql`;
  return { gateway, http, ws: http.replace('http', 'ws') };
}

let safelisted: Started;
let open: Started;
let logging: Started;
let address = 0;

/** A connection from its own address (as the trusted proxy reports it), so each test has its own per-address counter. */
function connectFrom(target: Started, user = 'alice') {
  const ip = `198.51.100.${++address}`;
  return { ip, ...connect(target.ws, { authorization: `Bearer ${jwks.token(user)}` }, clients, { 'x-forwarded-for': ip }) };
}

const settled = async (op: Collected) => {
  await until(() => op.done.value || op.results.length > 0);
  return op;
};
/** The errors an operation was refused with. */
const refusal = async (client: Client, payload: SubscribePayload) => {
  const op = await settled(collect(client, payload));
  expect(op.results).toEqual([]);
  expect(op.errors).toHaveLength(1);
  return op.errors[0] as { message: string; extensions: Record<string, any> }[];
};
const publish = (topic: string, n: number) =>
  transport.publish([{ id: randomUUID(), type: 'Tick', aggregateId: `t${n}`, payload: { topic, n }, occurredAt: new Date().toISOString(), source: 'test' }]);

/** The subscription is live once its upstream is open; then an event has to come through. */
async function expectDelivers(target: Started, op: Collected, topic: string) {
  await until(() => target.gateway.subscriptions!.stats().upstreams > 0);
  await new Promise((r) => setTimeout(r, 150));
  for (let n = 1; op.results.length === 0 && n < 50; n++) {
    await publish(topic, n);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(op.errors).toEqual([]);
  expect(op.results[0].data.ticks.id).toMatch(/^t\d+$/);
  op.stop();
}

beforeAll(async () => {
  jwks = await startJwks();
  live = new LiveEvents(transport, 'order', ['Tick']);
  order = await createSubgraphServer({
    name: 'order',
    typeDefs: parse(ORDER_SDL),
    subscriptions: true,
    resolvers: {
      Query: { ping: () => 'pong' },
      Subscription: {
        ticks: {
          subscribe: (_: unknown, { topic }: { topic: string }) => live.listen(['Tick'], (e) => e.payload.topic === topic),
          resolve: (e: DomainEvent) => ({ id: e.aggregateId, n: e.payload.n }),
        },
      },
    } as any,
    createContext: (base) => base,
  });
  catalog = await createSubgraphServer({
    name: 'catalog',
    typeDefs: parse(CATALOG_SDL),
    resolvers: { Tick: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, label: `label ${ref.id}`, parent: null, related: [] }) } } as any,
    createContext: (base) => base,
  });
  const [orderUrl, catalogUrl] = await Promise.all([order.listen(0), catalog.listen(0)]);
  const composed = composeServices([
    { name: 'order', url: `${orderUrl}/graphql`, typeDefs: parse(ORDER_SDL) },
    { name: 'catalog', url: `${catalogUrl}/graphql`, typeDefs: parse(CATALOG_SDL) },
  ]);
  if (composed.errors) throw composed.errors[0];
  supergraphSdl = composed.supergraphSdl!;
  env = { ...process.env, ORDER_URL: `${orderUrl}/graphql`, CATALOG_URL: `${catalogUrl}/graphql`, JWKS_URL: jwks.url };
  [safelisted, open, logging] = await Promise.all([
    // Production defaults (first-party SAFELIST), with a per-address limit small enough to reach.
    startGateway(true, (p) => ({ ...p, rateLimits: { ...p.rateLimits, perIp: 3 } })),
    // Development: no persisted query policy and no per-address limit, to show the operation limits on their own.
    startGateway(false, (p) => p),
    startGateway(false, (p) => ({ ...p, persistedQueries: { ...p.persistedQueries, defaultPolicy: 'LOG_UNKNOWN' } })),
  ]);
  expect(safelisted.gateway.protection.stats().persistedQueries.lists).toEqual(['first-party']);
});

afterAll(async () => {
  for (const c of clients) await c.dispose();
  await Promise.all(gateways.map((g) => g.close()));
  await order?.close();
  await catalog?.close();
  await live?.close();
  await jwks?.close();
  const redis = new Redis(redisUrl);
  await deleteRedisKeys(redis, redisPrefix);
  await redis.quit();
  rmSync(manifestDir, { recursive: true, force: true });
});

describe('persisted query policy over WebSocket', () => {
  it('refuses an unregistered subscription with PERSISTED_QUERY_NOT_IN_LIST and keeps the connection', async () => {
    const before = safelisted.gateway.protection.stats().persistedQueries;
    const { client, closed } = connectFrom(safelisted);
    const errors = await refusal(client, { query: 'subscription { ticks(topic: "adhoc") { id n } }' });
    expect(errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect(errors[0].message).toContain('is not in the persisted query list "first-party"');
    // A registered body reformatted is a different operation.
    const reformatted = await refusal(client, { query: registered('Ticks').body.replace(/\s+/g, ' '), variables: { topic: 'x' } });
    expect(reformatted[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect(closed.code).toBeUndefined();

    const after = safelisted.gateway.protection.stats().persistedQueries;
    expect(after.rejected.PERSISTED_QUERY_NOT_IN_LIST - (before.rejected.PERSISTED_QUERY_NOT_IN_LIST ?? 0)).toBe(2);
    expect(after.unknownByClient['first-party'] - (before.unknownByClient['first-party'] ?? 0)).toBe(2);
    expect(safelisted.gateway.subscriptions!.stats().upstreams).toBe(0); // nothing was sent upstream
  });

  it('serves a registered subscription sent by id', async () => {
    const { client } = connectFrom(safelisted);
    await expectDelivers(safelisted, collect(client, byId('Ticks', { topic: 'by-id' })), 'by-id');
  });

  it('serves a registered subscription sent with a body identical to the registered one', async () => {
    await until(() => safelisted.gateway.subscriptions!.stats().upstreams === 0);
    const { client } = connectFrom(safelisted);
    await expectDelivers(safelisted, collect(client, { query: registered('Ticks').body, variables: { topic: 'by-body' } }), 'by-body');
  });

  it('refuses an id with a body that does not hash to it, and an unknown id', async () => {
    const { client } = connectFrom(safelisted);
    const hijack = await refusal(client, { query: '{ ping }', extensions: { persistedQuery: { version: 1, sha256Hash: registered('Ping').id } } });
    expect(hijack[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST'); // judged by the body it carries, as over HTTP
    const unknown = await refusal(client, { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex('subscription { nope }') } } });
    expect(unknown[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
  });

  it('without a policy (development): ids are looked up as over HTTP (registered, unknown, or not matching the text)', async () => {
    const { client } = connectFrom(open);
    const ping = await settled(collect(client, byId('Ping')));
    expect(ping.results).toEqual([{ data: { ping: 'pong' } }]);
    const unknown = await refusal(client, { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex('{ pong }') } } });
    expect(unknown[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const mismatch = await refusal(client, { query: '{ ping }', extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex('{ pong }') } } });
    expect(mismatch[0].extensions.code).toBe('PERSISTED_QUERY_HASH_MISMATCH');
  });

  it('LOG_UNKNOWN: serves an unlisted query and counts it once (Apollo Server does not judge it again)', async () => {
    const before = logging.gateway.protection.stats().persistedQueries.unknown;
    const { client } = connectFrom(logging);
    const ping = await settled(collect(client, { query: '{ ping }' }));
    expect(ping.results).toEqual([{ data: { ping: 'pong' } }]);
    expect(logging.gateway.protection.stats().persistedQueries.unknown - before).toBe(1);
  });
});

describe('operation limits over WebSocket', () => {
  it('refuses a depth bomb subscription with the same error as HTTP', async () => {
    const before = open.gateway.protection.stats().limits.maxDepth;
    const { client, closed } = connectFrom(open);
    const errors = await refusal(client, { query: DEPTH_BOMB });
    expect(errors[0]).toMatchObject({ message: 'Query depth limit of 10 exceeded, found 14.', extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'maxDepth', max: 10 } });
    const overHttp = await (await fetch(open.http, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: DEPTH_BOMB }) })).json();
    expect(overHttp.errors[0]).toMatchObject({ message: errors[0].message, extensions: errors[0].extensions });
    expect(open.gateway.protection.stats().limits.maxDepth - before).toBe(2); // WebSocket and HTTP
    expect(closed.code).toBeUndefined();
  });

  it('refuses an over-cost subscription, and serves it with smaller lists', async () => {
    const before = open.gateway.protection.stats().limits.maxCost;
    const { client } = connectFrom(open);
    const errors = await refusal(client, { query: OVER_COST });
    expect(errors[0]).toMatchObject({ message: 'Operation cost limit of 10000 exceeded, found 10101.', extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'maxCost', max: 10_000, cost: 10_101 } });
    expect(open.gateway.protection.stats().limits.maxCost - before).toBe(1);
    await expectDelivers(open, collect(client, { query: OVER_COST.replaceAll('100', '2') }), 'cost');
  });

  it('refuses queries over the token limit, and aliases over the alias limit, with the HTTP codes', async () => {
    const { client } = connectFrom(open);
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ping`).join(' ')} }`;
    const tokens = await refusal(client, { query: aliases(1000) });
    expect(tokens[0]).toMatchObject({ message: 'Token limit of 2000 exceeded; parsing stopped.', extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'maxTokens', max: 2000 } });
    const twenty = await refusal(client, { query: aliases(20) });
    expect(twenty.map((e) => e.extensions.limit)).toEqual(expect.arrayContaining(['maxAliases', 'maxRootFields']));
    expect(twenty.every((e) => e.extensions.code === 'QUERY_TOO_COMPLEX')).toBe(true);
  });
});

describe('rate limits over WebSocket', () => {
  it('limits subscriptions per address with RATE_LIMITED and retryAfter; another address is unaffected', async () => {
    const before = safelisted.gateway.protection.stats().rateLimited.ip;
    const busy = connectFrom(safelisted, 'bob');
    const other = connectFrom(safelisted, 'carol');
    const running = safelisted.gateway.subscriptions!.stats().subscriptions;
    const served = [1, 2, 3].map((i) => collect(busy.client, byId('Ticks', { topic: `busy${i}` })));
    await until(() => safelisted.gateway.subscriptions!.stats().subscriptions === running + 3);
    const errors = await refusal(busy.client, byId('Ticks', { topic: 'busy4' }));
    expect(errors[0]).toMatchObject({ message: 'Rate limit of 3 requests per 60s exceeded for this address', extensions: { code: 'RATE_LIMITED', limit: 'ip' } });
    expect(errors[0].extensions.retryAfter).toBeGreaterThan(0);
    expect(errors[0].extensions.retryAfter).toBeLessThanOrEqual(60);
    expect(safelisted.gateway.protection.stats().rateLimited.ip - before).toBe(1);
    expect(served.every((s) => s.errors.length === 0)).toBe(true); // what was already running keeps running
    expect(busy.closed.code).toBeUndefined();

    await expectDelivers(safelisted, collect(other.client, byId('Ticks', { topic: 'other' })), 'other');
    for (const s of served) s.stop();
  });

  it('limits queries over WebSocket too, on the same counter as HTTP requests from that address', async () => {
    const { client, ip } = connectFrom(safelisted);
    const { query: _empty, ...pingOverHttp } = byId('Ping'); // HTTP clients leave the text out
    for (let i = 0; i < 2; i++) {
      const ping = await settled(collect(client, byId('Ping')));
      expect(ping.results).toEqual([{ data: { ping: 'pong' } }]);
    }
    const http = await fetch(safelisted.http, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(pingOverHttp) });
    expect(await http.json()).toEqual({ data: { ping: 'pong' } });
    const errors = await refusal(client, byId('Ping'));
    expect(errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'ip' });
    const refusedOverHttp = await fetch(safelisted.http, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(pingOverHttp) });
    expect(refusedOverHttp.status).toBe(429);
    await refusedOverHttp.text();
  });

  it('closes a connection that keeps sending after being rate limited with 4429', async () => {
    const { client, closed } = connectFrom(safelisted);
    const ops = Array.from({ length: 10 }, () => collect(client, byId('Ping')));
    // Generous: the full suite can starve this process for seconds. On a timeout, say what did come back.
    await until(() => closed.code !== undefined, 30_000).catch(() => {
      const outcome = ops.map((o) => (o.results.length ? 'served' : o.errors.length ? String(o.errors.flat()[0]?.extensions?.code) : 'pending'));
      throw new Error(`no 4429 close; operations: ${outcome.join(', ')}`);
    });
    expect(closed.code).toBe(4429);
    expect(closed.reason).toMatch(/rate limited/i);
    const limited = ops.flatMap((o) => o.errors.flat()).filter((e: any) => e.extensions?.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(ops.filter((o) => o.results.length > 0).length).toBeLessThanOrEqual(3);
  });
});
