import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import WebSocket from 'ws';
import type { Client } from 'graphql-ws';
import { composeServices } from '@apollo/composition';
import { createSubgraphServer, forbidden, SUBGRAPH_NAMES, type SubgraphServer } from '@storefront/shared';
import { LiveEvents, MemoryTransport, type DomainEvent } from '@storefront/shared/events';
import { createGateway, type GatewayServer } from '../src/server.ts';
import { loadGatewayConfig } from '../src/config.ts';
import { collect as collectOperation, connect as connectTo, ORDER_SDL, startJwks, until } from './wsTestKit.ts';

// Two purpose-built subgraphs: "order" owns a Subscription whose entity "catalog" extends.
const CATALOG_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { pong: String }
  type Tick @key(fields: "id") { id: ID! label: String! seenBy: String blob: String }
`;

const transport = new MemoryTransport();
let jwks: Awaited<ReturnType<typeof startJwks>>;
let live: LiveEvents;
let order: SubgraphServer;
let catalog: SubgraphServer;
let orderPort = 0;
let gateway: GatewayServer;
let wsUrl: string;
const clients: Client[] = [];
let gatewayClosed = false;

const token = (sub: string, expiresIn?: number | string) => jwks.token(sub, expiresIn);

async function startOrder() {
  order = await createSubgraphServer({
    name: 'order',
    typeDefs: parse(ORDER_SDL),
    subscriptions: true,
    resolvers: {
      Subscription: {
        ticks: {
          subscribe: (_: unknown, { topic }: { topic: string }, ctx: any) => {
            if (topic === 'private' && ctx.viewer.userId !== 'alice') throw forbidden('Not your topic');
            return live.listen(['Tick'], (e) => e.payload.topic === topic);
          },
          resolve: (e: DomainEvent) => ({ id: e.aggregateId, n: e.payload.n }),
        },
      },
    } as any,
    createContext: (base) => base,
  });
  const url = await order.listen(orderPort);
  orderPort = Number(new URL(url).port);
  return url;
}

const publish = (topic: string, n: number) =>
  transport.publish([{ id: randomUUID(), type: 'Tick', aggregateId: `t${n}`, payload: { topic, n }, occurredAt: new Date().toISOString(), source: 'test' }]);

beforeAll(async () => {
  jwks = await startJwks();
  live = new LiveEvents(transport, 'order', ['Tick']);
  const orderUrl = await startOrder();
  catalog = await createSubgraphServer({
    name: 'catalog',
    typeDefs: parse(CATALOG_SDL),
    resolvers: { Tick: { __resolveReference: (ref: { id: string }, ctx: any) => ({ id: ref.id, label: `label ${ref.id}`, seenBy: ctx.viewer.userId, blob: 'x'.repeat(32_768) }) } } as any,
    createContext: (base) => base,
  });
  const catalogUrl = await catalog.listen(0);
  const composed = composeServices([
    { name: 'order', url: `${orderUrl}/graphql`, typeDefs: parse(ORDER_SDL) },
    { name: 'catalog', url: `${catalogUrl}/graphql`, typeDefs: parse(CATALOG_SDL) },
  ]);
  if (composed.errors) throw composed.errors[0];
  const env = { ...process.env, ORDER_URL: `${orderUrl}/graphql`, CATALOG_URL: `${catalogUrl}/graphql`, JWKS_URL: jwks.url };
  const config = { ...loadGatewayConfig(env), supergraphSdl: composed.supergraphSdl!, subscriptionLimits: { perConnection: 3, maxQueuedResults: 5 } };
  gateway = await createGateway(config);
  wsUrl = `${(await gateway.listen(0)).replace('http', 'ws')}/graphql`;
  expect(SUBGRAPH_NAMES).toContain('order');
});

afterAll(async () => {
  for (const c of clients) await c.dispose();
  if (!gatewayClosed) await gateway?.close();
  await order?.close();
  await catalog?.close();
  await live?.close();
  await jwks?.close();
});

const connect = (connectionParams: Record<string, unknown>) => connectTo(wsUrl, connectionParams, clients);
const collect = (client: Client, query: string, variables: Record<string, unknown>) => collectOperation(client, { query, variables });

const QUERY = 'subscription($topic: String!) { ticks(topic: $topic) { id n label seenBy } }';

describe('federated subscriptions through the gateway', () => {
  it('delivers each event with fields from another subgraph, in order, with the subscriber identity', async () => {
    const { client } = connect({ authorization: `Bearer ${token('alice')}` });
    const sub = collect(client, QUERY, { topic: 'a' });
    await until(() => gateway.subscriptions!.stats().upstreams === 1);
    await new Promise((r) => setTimeout(r, 100));
    for (let n = 1; n <= 3; n++) await publish('a', n);
    await until(() => sub.results.length === 3);
    expect(sub.results.map((r) => r.data.ticks)).toEqual([1, 2, 3].map((n) => ({ id: `t${n}`, n, label: `label t${n}`, seenBy: 'alice' })));
    sub.stop();
  });

  it('shares one upstream stream between identical subscriptions of one identity', async () => {
    await until(() => gateway.subscriptions!.stats().upstreams === 0);
    const { client } = connect({ authorization: `Bearer ${token('bob')}` });
    const before = 0;
    const one = collect(client, QUERY, { topic: 'shared' });
    const two = collect(client, QUERY, { topic: 'shared' });
    await until(() => gateway.subscriptions!.stats().subscriptions >= 2);
    await new Promise((r) => setTimeout(r, 150));
    expect(gateway.subscriptions!.stats().upstreams).toBe(before + 1);
    await publish('shared', 7);
    await until(() => one.results.length === 1 && two.results.length === 1);
    expect(one.results[0]).toEqual(two.results[0]);
    one.stop();
    two.stop();
  });

  it('closes with 4401 without a token, and with an invalid token', async () => {
    const none = connect({});
    collect(none.client, QUERY, { topic: 'x' });
    await until(() => none.closed.code !== undefined);
    expect(none.closed.code).toBe(4401);
    const bad = connect({ authorization: 'Bearer not-a-token' });
    collect(bad.client, QUERY, { topic: 'x' });
    await until(() => bad.closed.code !== undefined);
    expect(bad.closed.code).toBe(4401);
  });

  it('closes with 4403 when the owning subgraph refuses the subscription', async () => {
    const { client, closed } = connect({ authorization: `Bearer ${token('mallory')}` });
    collect(client, QUERY, { topic: 'private' });
    await until(() => closed.code !== undefined);
    expect(closed.code).toBe(4403);
  });

  it('closes with 4401 when the access token expires during the subscription', async () => {
    const { client, closed } = connect({ authorization: `Bearer ${token('carol', 2)}` });
    collect(client, QUERY, { topic: 'y' });
    await until(() => closed.code !== undefined, 5000);
    expect(closed.code).toBe(4401);
    expect(closed.reason).toContain('expired');
  });

  it('limits subscriptions per connection', async () => {
    const { client, closed } = connect({ authorization: `Bearer ${token('dave')}` });
    for (let i = 0; i < 4; i++) collect(client, QUERY, { topic: `limit${i}` });
    await until(() => closed.code !== undefined);
    expect(closed.code).toBe(4429);
  });

  it('keeps the subscription across a restart of the owning subgraph', async () => {
    const { client } = connect({ authorization: `Bearer ${token('erin')}` });
    const sub = collect(client, QUERY, { topic: 'restart' });
    await until(() => gateway.subscriptions!.stats().subscriptions >= 1);
    await new Promise((r) => setTimeout(r, 150));
    await publish('restart', 1);
    await until(() => sub.results.length === 1);
    await order.close();
    await startOrder();
    // The gateway reconnects with backoff; events published after it is back must arrive.
    const start = Date.now();
    let n = 2;
    while (sub.results.length < 2 && Date.now() - start < 8000) {
      await publish('restart', n++);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(sub.results.length).toBeGreaterThanOrEqual(2);
    expect(sub.errors).toEqual([]);
    expect(sub.results.at(-1).data.ticks.label).toMatch(/^label t\d+$/);
  });

  it('cuts off a slow consumer instead of buffering for it without bound', async () => {
    // A raw graphql-transport-ws client that stops reading its socket after subscribing.
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token('frank')}` } }));
    await new Promise((r) => socket.once('message', r));
    const before = gateway.subscriptions!.stats().subscriptions;
    const big = 'subscription($topic: String!) { ticks(topic: $topic) { id blob } }';
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: big, variables: { topic: 'slow' } } }));
    await until(() => gateway.subscriptions!.stats().subscriptions === before + 1);
    await new Promise((r) => setTimeout(r, 150));
    (socket as any)._socket.pause();
    // Big events fill the kernel buffers, then the socket's own buffer, then the subscriber's queue.
    for (let n = 0; gateway.subscriptions!.stats().subscriptions > before && n < 5000; n++) {
      await publish('slow', n);
      if (n % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    try {
      await until(() => gateway.subscriptions!.stats().subscriptions === before, 30_000);
    } finally {
      socket.terminate();
    }
  }, 60_000);

  it('closes sockets with 1012 on shutdown so clients know to reconnect', async () => {
    const { client, closed, state } = connect({ authorization: `Bearer ${token('grace')}` });
    collect(client, QUERY, { topic: 'bye' });
    await until(() => state.connected);
    gatewayClosed = true;
    await gateway.close();
    await until(() => closed.code !== undefined);
    expect(closed.code).toBe(1012);
  });
});
