import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { postGraphQL, waitUntil as until } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createOrderDb, transition, type OrderDb } from '@storefront/order';
import type { Stack } from '../../scripts/lib/stack.ts';
import { login, startTestStack } from './stack.ts';

const fixture = demoFixture();
const paidOrder = fixture.orders.find((o) => o.status === 'PAID')!;
let stack: Stack;
let orderDb: OrderDb;
let wsUrl: string;
const tokens: Record<string, string> = {};
const clients: Client[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  wsUrl = stack.gatewayUrl.replace(/^http/, 'ws');
  for (const who of ['customer', 'admin', 'support'] as const) tokens[who] = await login(stack.gatewayUrl, who);
  orderDb = createOrderDb(stack.databaseUrls.order);
});
afterAll(async () => {
  for (const c of clients) await c.dispose();
  await orderDb?.$disconnect();
  await stack?.stop({ dropDatabases: true });
});

function connect(token?: string) {
  const closed: { code?: number; reason?: string } = {};
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    on: { closed: (e: any) => Object.assign(closed, { code: e.code, reason: e.reason }) },
  });
  clients.push(client);
  return { client, closed };
}

function collect(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const results: any[] = [];
  client.subscribe({ query, variables }, { next: (r) => void results.push(r), error: () => {}, complete: () => {} });
  return results;
}

const subscribed = async (n: number) => {
  await until(() => (stack.gateway.subscriptions?.stats().subscriptions ?? 0) >= n);
  await new Promise((r) => setTimeout(r, 300)); // the upstream subscription reaches the subgraph
};

const ORDER_UPDATES = /* GraphQL */ `
  subscription($orderId: ID!) {
    orderStatusChanged(orderId: $orderId) {
      number
      status
      lines { quantity variant { sku product { title } } }
      payment { status amount { amount } }
    }
  }
`;

describe('subscriptions through the gateway with the real subgraphs', () => {
  it('delivers an order’s status changes in order, with catalog and payment fields filled', async () => {
    const { client } = connect(tokens.customer);
    const results = collect(client, ORDER_UPDATES, { orderId: paidOrder.id });
    const mine = collect(client, 'subscription { myOrderUpdates { number status } }');
    await subscribed(2);
    for (const to of ['FULFILLED', 'SHIPPED'] as const) {
      const res = await transition({ db: orderDb }, paidOrder.id, to, { actor: 'user:admin', reason: 'e2e' });
      expect(res.userErrors).toEqual([]);
    }
    await until(() => results.length === 2 && mine.length === 2);
    expect(results.map((r) => r.errors)).toEqual([undefined, undefined]);
    expect(results.map((r) => r.data.orderStatusChanged.status)).toEqual(['FULFILLED', 'SHIPPED']);
    const update = results[1].data.orderStatusChanged;
    expect(update.number).toBe(paidOrder.number);
    expect(update.lines[0].variant.sku).toBe(paidOrder.lines[0].sku);
    expect(update.lines[0].variant.product.title).toBe(paidOrder.lines[0].productTitle);
    expect(update.payment).toEqual({ status: 'CAPTURED', amount: { amount: paidOrder.total } });
    expect(mine.map((r) => r.data.myOrderUpdates.status)).toEqual(['FULFILLED', 'SHIPPED']);
  });

  it('lets support follow any order, and refuses another customer with 4403', async () => {
    const support = connect(tokens.support);
    const seen = collect(support.client, ORDER_UPDATES, { orderId: paidOrder.id });
    await subscribed(1);
    await transition({ db: orderDb }, paidOrder.id, 'DELIVERED', { actor: 'system' });
    await until(() => seen.length === 1);
    expect(seen[0].data.orderStatusChanged.status).toBe('DELIVERED');

    // The admin is not the owner but holds orders:read:any; a fresh customer without it is refused.
    const reg = await postGraphQL(stack.gatewayUrl, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken userErrors { code } } }', {
      i: { email: 'stranger@example.com', password: 'Stranger#2026!x', name: 'Stranger' },
    });
    const stranger = connect(reg.body.data.register.accessToken);
    collect(stranger.client, ORDER_UPDATES, { orderId: paidOrder.id });
    await until(() => stranger.closed.code !== undefined);
    expect(stranger.closed.code).toBe(4403);
  });

  it('refuses a connection without a token with 4401', async () => {
    const anonymous = connect();
    collect(anonymous.client, ORDER_UPDATES, { orderId: paidOrder.id });
    await until(() => anonymous.closed.code !== undefined);
    expect(anonymous.closed.code).toBe(4401);
  });

  it('pushes new availability to stockLevelChanged subscribers when stock changes', async () => {
    const variant = fixture.products[3].variants[0];
    const { client } = connect(tokens.customer);
    const seen = collect(client, 'subscription($ids: [ID!]!) { stockLevelChanged(variantIds: $ids) { available inStock variant { sku } } }', { ids: [variant.id] });
    await subscribed(1);
    const restock = await postGraphQL(
      stack.gatewayUrl,
      'mutation($i: RestockVariantInput!) { restockVariant(input: $i) { userErrors { code message } } }',
      { i: { variantId: variant.id, locationId: fixture.warehouses[0].id, quantity: 5, reason: 'e2e' } },
      { authorization: `Bearer ${tokens.admin}` },
    );
    expect(restock.body.errors).toBeUndefined();
    expect(restock.body.data.restockVariant.userErrors).toEqual([]);
    await until(() => seen.length === 1);
    const [ams, nyc] = (await import('@storefront/shared/fixtures')).stockFor(variant.sku);
    expect(seen[0].data.stockLevelChanged).toEqual({ available: ams + nyc + 5, inStock: true, variant: { sku: variant.sku } });
  });

  it('keeps a subscription across a restart of the order subgraph', async () => {
    const { client } = connect(tokens.admin);
    const seen = collect(client, ORDER_UPDATES, { orderId: paidOrder.id });
    await subscribed(1);
    await stack.stopSubgraph('order');
    await stack.startSubgraph('order');
    // The gateway reconnects with backoff; refunds issued after that must reach the subscriber.
    const start = Date.now();
    while (seen.length === 0 && Date.now() - start < 10_000) {
      await transition({ db: orderDb }, paidOrder.id, 'PARTIALLY_REFUNDED', { actor: 'system' });
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0].data.orderStatusChanged.status).toBe('PARTIALLY_REFUNDED');
  });
});
