import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { newId } from '@storefront/shared';
import { postGraphQL, waitUntil as until } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createCartDb, type CartDb } from '@storefront/cart';
import { createInventoryDb, type InventoryDb } from '@storefront/inventory';
import type { Stack } from '../../scripts/lib/stack.ts';
import { login, startTestStack } from './stack.ts';

/**
 * Live updates driven by a real checkout: the customer subscribes before checking out (the order
 * id does not exist yet, so `myOrderUpdates`), the saga places and pays the order, and an admin
 * fulfils and ships it through the gateway. Every update carries catalog and payment fields.
 */
const fixture = demoFixture();
let stack: Stack;
let wsUrl: string;
let cartDb: CartDb;
let inventoryDb: InventoryDb;
const tokens: Record<string, string> = {};
const clients: Client[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  wsUrl = stack.gatewayUrl.replace(/^http/, 'ws');
  for (const who of ['customer', 'admin'] as const) tokens[who] = await login(stack.gatewayUrl, who);
  cartDb = createCartDb(stack.databaseUrls.cart);
  inventoryDb = createInventoryDb(stack.databaseUrls.inventory);
}, 300_000);
afterAll(async () => {
  for (const c of clients) await c.dispose();
  await Promise.all([cartDb?.$disconnect(), inventoryDb?.$disconnect()]);
  await stack?.stop({ dropDatabases: true });
});

function connect(token: string) {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false, onNonLazyError: () => {} });
  clients.push(client);
  return client;
}

function collect(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const results: any[] = [];
  client.subscribe({ query, variables }, { next: (r) => void results.push(r), error: (e) => void results.push({ errors: [e] }), complete: () => {} });
  return results;
}

const activeSubscriptions = () => stack.gateway.subscriptions?.stats().subscriptions ?? 0;
const subscribed = async (n: number) => {
  await until(() => activeSubscriptions() >= n);
  await new Promise((r) => setTimeout(r, 300)); // the upstream subscription reaches the subgraph
};

const asAdmin = () => ({ authorization: `Bearer ${tokens.admin}` });
const asCustomer = () => ({ authorization: `Bearer ${tokens.customer}` });

/** The customer's active cart holding exactly these lines, built through the gateway. */
async function customerCart(lines: { variantId: string; quantity: number }[]): Promise<string> {
  const created = await postGraphQL(stack.gatewayUrl, 'mutation($input: CreateCartInput!) { createCart(input: $input) { cart { id } userErrors { code } } }', { input: {} }, asCustomer());
  const cartId = created.body.data.createCart.cart.id as string;
  await cartDb.cartLine.deleteMany({ where: { cartId } });
  const added = await postGraphQL(stack.gatewayUrl, 'mutation($input: AddCartLinesInput!) { addCartLines(input: $input) { userErrors { code message } } }', { input: { cartId, lines } }, asCustomer());
  expect(added.body.errors).toBeUndefined();
  expect(added.body.data.addCartLines.userErrors).toEqual([]);
  return cartId;
}

async function checkout(cartId: string) {
  const res = await postGraphQL(
    stack.gatewayUrl,
    'mutation($input: CheckoutInput!) { checkout(input: $input) { order { id number status } userErrors { code message } } }',
    { input: { cartId, paymentToken: 'tok_success', idempotencyKey: newId() } },
    asCustomer(),
  );
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data.checkout.userErrors).toEqual([]);
  return res.body.data.checkout.order as { id: string; number: string; status: string };
}

async function available(variantId: string) {
  const levels = await inventoryDb.stockLevel.findMany({ where: { variantId } });
  return levels.reduce((n, l) => n + l.onHand - l.reserved, 0);
}

const MY_ORDER_UPDATES = /* GraphQL */ `
  subscription {
    myOrderUpdates {
      id
      number
      status
      total { amount currencyCode }
      lines { quantity variant { id sku product { title } } }
      payment { status amount { amount } }
    }
  }
`;

describe('live updates driven by a checkout', () => {
  it('a customer sees PAID, FULFILLED and SHIPPED of the order they check out, each with catalog and payment fields', async () => {
    const product = fixture.products[1];
    const variant = product.variants[0];
    const cartId = await customerCart([{ variantId: variant.id, quantity: 2 }]);
    const base = activeSubscriptions();
    const updates = collect(connect(tokens.customer), MY_ORDER_UPDATES);
    await subscribed(base + 1);

    const order = await checkout(cartId);
    expect(order.status).toBe('PAID');
    await until(() => updates.some((u) => u.data?.myOrderUpdates?.status === 'PAID'));

    const admin = async (mutation: string, input: Record<string, unknown>) => {
      const res = await postGraphQL(stack.gatewayUrl, mutation, { input }, asAdmin());
      expect(res.body.errors).toBeUndefined();
      expect(Object.values(res.body.data as Record<string, any>)[0].userErrors).toEqual([]);
    };
    await admin('mutation($input: FulfillOrderInput!) { fulfillOrder(input: $input) { userErrors { code message } } }', { orderId: order.id });
    await admin('mutation($input: ShipOrderInput!) { shipOrder(input: $input) { userErrors { code message } } }', { orderId: order.id, trackingNumber: 'TRACK-1', carrier: 'PostNL' });
    await until(() => updates.some((u) => u.data?.myOrderUpdates?.status === 'SHIPPED'));

    expect(updates.flatMap((u) => u.errors ?? [])).toEqual([]);
    const mine = updates.map((u) => u.data.myOrderUpdates);
    expect(mine.every((u) => u.id === order.id)).toBe(true);
    // The saga may announce the order before payment (PENDING_PAYMENT); after it, exactly these, in order.
    const statuses = mine.map((u) => u.status).filter((s) => s !== 'PENDING_PAYMENT');
    expect(statuses).toEqual(['PAID', 'FULFILLED', 'SHIPPED']);
    for (const u of mine.filter((m) => m.status !== 'PENDING_PAYMENT')) {
      expect(u.number).toBe(order.number);
      expect(u.lines).toEqual([{ quantity: 2, variant: { id: variant.id, sku: variant.sku, product: { title: product.title } } }]);
      expect(u.payment).not.toBeNull();
      expect(u.payment.amount.amount).toBe(u.total.amount);
    }
    const byStatus = Object.fromEntries(mine.map((u) => [u.status, u]));
    // Authorized (or already captured) once paid; captured by fulfilment at the latest.
    expect(['AUTHORIZED', 'CAPTURED']).toContain(byStatus.PAID.payment.status);
    expect(byStatus.FULFILLED.payment.status).toBe('CAPTURED');
    expect(byStatus.SHIPPED.payment.status).toBe('CAPTURED');
  }, 60_000);

  it('a checkout touching a variant pushes the new availability to stockLevelChanged subscribers', async () => {
    const variant = fixture.products[2].variants[0];
    const before = await available(variant.id);
    expect(before).toBeGreaterThanOrEqual(3);
    const cartId = await customerCart([{ variantId: variant.id, quantity: 3 }]);
    const base = activeSubscriptions();
    const seen = collect(connect(tokens.customer), 'subscription($ids: [ID!]!) { stockLevelChanged(variantIds: $ids) { available inStock variant { id sku } } }', { ids: [variant.id] });
    await subscribed(base + 1);

    await checkout(cartId);
    expect(await available(variant.id)).toBe(before - 3);
    await until(() => seen.some((s) => s.data?.stockLevelChanged?.available === before - 3));
    expect(seen.flatMap((s) => s.errors ?? [])).toEqual([]);
    const last = seen[seen.length - 1].data.stockLevelChanged;
    expect(last).toEqual({ available: before - 3, inStock: before - 3 > 0, variant: { id: variant.id, sku: variant.sku } });
  }, 60_000);
});
