import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { createClient, type Client } from 'graphql-ws';
import { SUBGRAPH_NAMES, createLogger, newId, withDatabase, type SubgraphName } from '@storefront/shared';
import { dropDatabase } from '@storefront/shared/db';
import { postGraphQL, testServerUrl, waitUntil } from '@storefront/shared/testing';
import { demoFixture, stockFor } from '@storefront/shared/fixtures';
import { createCartDb, type CartDb } from '@storefront/cart';
import { prepareDatabase } from '../../scripts/lib/stack.ts';
import { login } from './stack.ts';
import { freePort, startService, type ServiceProcess } from './processes.ts';

/**
 * Two gateway processes and two order-subgraph processes (plus one of every other subgraph), all
 * real child processes sharing one Redis: gateway A talks to order instance 1, gateway B to order
 * instance 2. A subscriber on A must see every event caused through B, each exactly once.
 * Processes use the default `storefront:events` stream, so the test owns a Redis logical database.
 */
const REDIS_DB = 7;
const REDIS_URL = `redis://127.0.0.1:6379/${REDIS_DB}`;
const fixture = demoFixture();
const paidOrder = fixture.orders.find((o) => o.status === 'PAID')!;
const run = `mp_${process.pid}_${randomBytes(3).toString('hex')}`;
const databaseUrls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, withDatabase(testServerUrl(), `${run}_${n}`)])) as Record<SubgraphName, string>;
const processes: ServiceProcess[] = [];
const clients: Client[] = [];
let gatewayA: string;
let gatewayB: string;
let cartDb: CartDb;

beforeAll(async () => {
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  redis.disconnect();
  const log = createLogger('multiprocess');
  await Promise.all(SUBGRAPH_NAMES.map((n) => prepareDatabase(n, databaseUrls[n], 'always', log)));

  const ports = Object.fromEntries(await Promise.all(SUBGRAPH_NAMES.map(async (n) => [n, await freePort()] as const))) as Record<SubgraphName, number>;
  const order2Port = await freePort();
  const [portA, portB] = [await freePort(), await freePort()];
  const urls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, `http://127.0.0.1:${ports[n]}/graphql`]));
  const env: Record<string, string> = {
    REDIS_URL,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    ...urls,
    ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_DATABASE_URL`, databaseUrls[n]])),
  };
  const subgraphs = await Promise.all([
    ...SUBGRAPH_NAMES.map((n) => startService(n, ports[n], { ...env, [`${n.toUpperCase()}_PORT`]: String(ports[n]) })),
    startService('order', order2Port, { ...env, ORDER_PORT: String(order2Port) }),
  ]);
  processes.push(...subgraphs);
  const [a, b] = await Promise.all([
    startService('gateway', portA, { ...env, GATEWAY_PORT: String(portA) }),
    startService('gateway', portB, { ...env, GATEWAY_PORT: String(portB), ORDER_URL: `http://127.0.0.1:${order2Port}/graphql` }),
  ]);
  processes.push(a, b);
  gatewayA = a.url;
  gatewayB = b.url;
  cartDb = createCartDb(databaseUrls.cart);
}, 420_000);

afterAll(async () => {
  for (const c of clients) await c.dispose();
  await cartDb?.$disconnect();
  await Promise.all(processes.map((p) => p.stop()));
  await Promise.all(Object.values(databaseUrls).map((u) => dropDatabase(u)));
}, 60_000);

function collect(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false, onNonLazyError: () => {} });
  clients.push(client);
  const results: any[] = [];
  client.subscribe({ query, variables }, { next: (r) => void results.push(r), error: (e) => void results.push({ errors: [e] }), complete: () => {} });
  return results;
}

const until = (check: () => boolean, ms = 30_000) => waitUntil(check, ms);

const ORDER_UPDATES = /* GraphQL */ `
  subscription($orderId: ID!) {
    orderStatusChanged(orderId: $orderId) { id status lines { variant { sku product { title } } } payment { status } }
  }
`;

describe('two gateways and two order subgraphs sharing Redis', () => {
  it('a subscriber on gateway A receives each event caused through gateway B exactly once', async () => {
    const customer = await login(gatewayA, 'customer');
    const admin = await login(gatewayB, 'admin');
    const customerOnB = await login(gatewayB, 'customer');
    const one = collect(gatewayA, customer, ORDER_UPDATES, { orderId: paidOrder.id });
    const mine = collect(gatewayA, customer, 'subscription { myOrderUpdates { id status } }');
    // Nothing acknowledges a subscription in graphql-ws; give the upstream subscriptions time to open.
    await new Promise((r) => setTimeout(r, 2000));

    const viaB = async (query: string, input: Record<string, unknown>, token: string) => {
      const res = await postGraphQL(gatewayB, query, { input }, { authorization: `Bearer ${token}` });
      expect(res.body.errors).toBeUndefined();
      const payload = Object.values(res.body.data as Record<string, any>)[0];
      expect(payload.userErrors).toEqual([]);
      return payload;
    };
    await viaB('mutation($input: FulfillOrderInput!) { fulfillOrder(input: $input) { userErrors { code message } } }', { orderId: paidOrder.id }, admin);
    await viaB('mutation($input: ShipOrderInput!) { shipOrder(input: $input) { userErrors { code message } } }', { orderId: paidOrder.id, trackingNumber: 'MP-1', carrier: 'DHL' }, admin);

    // A checkout through gateway B: the new order's updates reach the customer's socket on A.
    const variant = fixture.products.flatMap((p) => p.variants).find((v) => stockFor(v.sku).reduce((n, q) => n + q, 0) >= 5)!;
    const { cart } = await viaB('mutation($input: CreateCartInput!) { createCart(input: $input) { cart { id } userErrors { code } } }', {}, customerOnB);
    await cartDb.cartLine.deleteMany({ where: { cartId: cart.id } });
    await viaB('mutation($input: AddCartLinesInput!) { addCartLines(input: $input) { userErrors { code } } }', { cartId: cart.id, lines: [{ variantId: variant.id, quantity: 1 }] }, customerOnB);
    const { order } = await viaB(
      'mutation($input: CheckoutInput!) { checkout(input: $input) { order { id status } userErrors { code message } } }',
      { cartId: cart.id, paymentToken: 'tok_success', idempotencyKey: newId() },
      customerOnB,
    );
    expect(order.status).toBe('PAID');

    await until(() => one.length >= 2 && mine.some((u) => u.data?.myOrderUpdates?.id === order.id && u.data.myOrderUpdates.status === 'PAID'));
    // Duplicates (two relays, two order instances, two gateways) would arrive within moments.
    await new Promise((r) => setTimeout(r, 2000));

    expect([...one, ...mine].flatMap((r) => r.errors ?? [])).toEqual([]);
    expect(one.map((r) => r.data.orderStatusChanged.status)).toEqual(['FULFILLED', 'SHIPPED']);
    for (const r of one) {
      expect(r.data.orderStatusChanged.lines[0].variant).toEqual({ sku: paidOrder.lines[0].sku, product: { title: paidOrder.lines[0].productTitle } });
      expect(r.data.orderStatusChanged.payment.status).toBe('CAPTURED');
    }
    const seen = mine.map((r) => `${r.data.myOrderUpdates.id}:${r.data.myOrderUpdates.status}`);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((s) => s.startsWith(paidOrder.id))).toEqual([`${paidOrder.id}:FULFILLED`, `${paidOrder.id}:SHIPPED`]);
    expect(seen.filter((s) => s.startsWith(order.id)).filter((s) => !s.endsWith('PENDING_PAYMENT'))).toEqual([`${order.id}:PAID`]);
  }, 120_000);
});
