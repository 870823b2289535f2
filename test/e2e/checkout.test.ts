import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId } from '@storefront/shared';
import { gatewayHeaders, postGraphQL } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createCartDb, createCatalogClient, createSagaClients, createServiceCaller, resumeStuckCheckouts, type CartDb } from '@storefront/cart';
import { createInventoryDb, type InventoryDb } from '@storefront/inventory';
import { createOrderDb, type OrderDb } from '@storefront/order';
import { createPaymentDb, type PaymentDb } from '@storefront/payment';
import type { Stack } from '../../scripts/lib/stack.ts';
import { login, startTestStack } from './stack.ts';

/**
 * The checkout saga across the whole stack (real PostgreSQL, Redis when REDIS_URL is set).
 * The seeded customer checks out through the gateway. The 200-buyer stampede uses 200 distinct
 * customers (a user has one ACTIVE cart, and minting 200 logins is not the point): those requests
 * go to the cart subgraph with the same signed identity headers the gateway forwards.
 */
const fixture = demoFixture();
const variants = fixture.products.flatMap((p) => p.variants);
let stack: Stack;
let token: string;
let cartDb: CartDb;
let inventoryDb: InventoryDb;
let orderDb: OrderDb;
let paymentDb: PaymentDb;

beforeAll(async () => {
  stack = await startTestStack();
  token = await login(stack.gatewayUrl, 'customer');
  cartDb = createCartDb(stack.databaseUrls.cart);
  inventoryDb = createInventoryDb(stack.databaseUrls.inventory);
  orderDb = createOrderDb(stack.databaseUrls.order);
  paymentDb = createPaymentDb(stack.databaseUrls.payment);
}, 120_000);

afterAll(async () => {
  await Promise.all([cartDb?.$disconnect(), inventoryDb?.$disconnect(), orderDb?.$disconnect(), paymentDb?.$disconnect()]);
  await stack?.stop({ dropDatabases: true });
});

const CHECKOUT = `mutation($input: CheckoutInput!) { checkout(input: $input) { checkoutId order { id status } userErrors { code field message } } }`;
/** Straight to the cart subgraph: Order there is only a reference (id). */
const CHECKOUT_DIRECT = `mutation($input: CheckoutInput!) { checkout(input: $input) { checkoutId order { id } userErrors { code field message } } }`;
const CREATE = `mutation($input: CreateCartInput!) { createCart(input: $input) { cart { id } userErrors { code } } }`;
const asCustomer = () => ({ authorization: `Bearer ${token}` });

/** Exactly `units` of a variant, all at the first location. */
async function setStock(variantId: string, units: number) {
  const levels = await inventoryDb.stockLevel.findMany({ where: { variantId }, orderBy: { locationId: 'asc' } });
  for (const [i, level] of levels.entries()) {
    await inventoryDb.stockLevel.update({ where: { variantId_locationId: { variantId, locationId: level.locationId } }, data: { onHand: i === 0 ? units : 0, reserved: 0 } });
  }
}

async function stockOf(variantId: string) {
  const levels = await inventoryDb.stockLevel.findMany({ where: { variantId } });
  return { onHand: levels.reduce((n, l) => n + l.onHand, 0), reserved: levels.reduce((n, l) => n + l.reserved, 0) };
}

/** The customer's active cart holding exactly these lines (via the gateway). */
async function customerCart(lines: { variantId: string; quantity: number }[]): Promise<string> {
  const res = await postGraphQL(stack.gatewayUrl, CREATE, { input: {} }, asCustomer());
  const cartId = res.body.data.createCart.cart.id;
  await cartDb.cartLine.deleteMany({ where: { cartId } });
  await cartDb.cartLine.createMany({ data: lines.map((l) => ({ id: newId(), cartId, variantId: l.variantId, quantity: l.quantity, unitPrice: 1, currency: 'USD' })) });
  return cartId;
}

async function checkoutAsCustomer(input: Record<string, unknown>) {
  const res = await postGraphQL(stack.gatewayUrl, CHECKOUT, { input }, asCustomer());
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.checkout;
}

describe('checkout: concurrency', () => {
  it('200 concurrent buyers of a 50-unit variant: exactly 50 PAID, 150 OUT_OF_STOCK, never oversold', async () => {
    const variant = variants[20];
    await setStock(variant.id, 50);
    const start = await stockOf(variant.id);
    const cartUrl = stack.subgraphUrls.cart;
    const buyers = await Promise.all(Array.from({ length: 200 }, async () => {
      const userId = newId();
      const headers = gatewayHeaders({ userId, roles: ['CUSTOMER'] });
      const res = await postGraphQL(cartUrl, CREATE, { input: { lines: [{ variantId: variant.id, quantity: 1 }] } }, headers);
      return { userId, headers, cartId: res.body.data.createCart.cart.id as string };
    }));
    let minAvailable = Infinity;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const s = await stockOf(variant.id);
        minAvailable = Math.min(minAvailable, s.onHand - s.reserved);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const results = await Promise.all(buyers.map((b) =>
      postGraphQL(cartUrl, CHECKOUT_DIRECT, { input: { cartId: b.cartId, paymentToken: 'tok_success', idempotencyKey: newId() } }, b.headers)));
    watching = false;
    await watcher;
    expect(results.filter((r) => r.status !== 200 || r.body.errors).map((r) => JSON.stringify(r.body.errors))).toEqual([]);
    const codes = results.map((r) => r.body.data.checkout.userErrors.map((e: any) => e.code).join());
    expect(codes.filter((c) => c === '')).toHaveLength(50);
    expect(codes.filter((c) => c === 'OUT_OF_STOCK')).toHaveLength(150);

    const orderIds = results.flatMap((r) => (r.body.data.checkout.order ? [r.body.data.checkout.order.id] : []));
    expect(orderIds).toHaveLength(50);
    const orders = await orderDb.order.findMany({ where: { id: { in: orderIds } } });
    expect(orders.every((o) => o.status === 'PAID')).toBe(true);
    const end = await stockOf(variant.id);
    expect(end.onHand - end.reserved).toBe(0);
    expect(end.reserved).toBe(0);
    expect(minAvailable).toBeGreaterThanOrEqual(0);
    const committed = await inventoryDb.reservationLine.aggregate({ _sum: { quantity: true }, where: { variantId: variant.id, reservation: { status: 'COMMITTED' } } });
    expect(end.onHand + (committed._sum.quantity ?? 0)).toBe(start.onHand);
    expect(committed._sum.quantity).toBe(50);
    expect(await paymentDb.payment.count({ where: { orderId: { in: orderIds }, status: 'CAPTURED' } })).toBe(50);
  }, 240_000);

  it('the same idempotency key 20 times at once: one order, one authorization, 20 identical answers', async () => {
    const variant = variants[21];
    await setStock(variant.id, 10);
    const cartId = await customerCart([{ variantId: variant.id, quantity: 2 }]);
    const key = newId();
    const input = { cartId, paymentToken: 'tok_success', idempotencyKey: key };
    const answers = await Promise.all(Array.from({ length: 20 }, () => checkoutAsCustomer(input)));
    expect(answers[0].userErrors).toEqual([]);
    expect(answers[0].order.status).toBe('PAID');
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(await orderDb.order.count({ where: { idempotencyKey: answers[0].checkoutId } })).toBe(1);
    expect(await paymentDb.payment.count({ where: { orderId: answers[0].order.id } })).toBe(1);
    expect(await cartDb.checkoutAttempt.count({ where: { idempotencyKey: key } })).toBe(1);
    expect((await stockOf(variant.id)).onHand).toBe(8);

    // A replay after success returns the stored result; the same key with another input is refused.
    expect(await checkoutAsCustomer(input)).toEqual(answers[0]);
    const reused = await checkoutAsCustomer({ ...input, paymentToken: 'tok_insufficient_funds' });
    expect(reused.userErrors.map((e: any) => e.code)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    const attempt = await cartDb.checkoutAttempt.findFirstOrThrow({ where: { idempotencyKey: key } });
    expect(attempt.expiresAt.getTime() - attempt.createdAt.getTime()).toBeGreaterThanOrEqual(24 * 3600_000);
    expect((await cartDb.cart.findUniqueOrThrow({ where: { id: cartId } })).status).toBe('CONVERTED');
  }, 120_000);
});

describe('checkout: payment failures compensate', () => {
  for (const [token, code] of [['tok_insufficient_funds', 'PAYMENT_DECLINED'], ['tok_timeout', 'PAYMENT_FAILED'], ['tok_processing_error', 'PAYMENT_FAILED']] as const) {
    it(`${token}: ${code}, reservation released, order PAYMENT_FAILED, nothing captured`, async () => {
      const variant = variants[22];
      await setStock(variant.id, 5);
      const cartId = await customerCart([{ variantId: variant.id, quantity: 3 }]);
      const result = await checkoutAsCustomer({ cartId, paymentToken: token, idempotencyKey: newId() });
      expect(result.userErrors.map((e: any) => e.code)).toEqual([code]);
      expect(result.order.status).toBe('PAYMENT_FAILED');
      expect(await stockOf(variant.id)).toEqual({ onHand: 5, reserved: 0 });
      const reservation = await inventoryDb.reservation.findUniqueOrThrow({ where: { reference: result.checkoutId } });
      expect(reservation.status).toBe('RELEASED');
      const payments = await paymentDb.payment.findMany({ where: { orderId: result.order.id } });
      expect(payments.every((p) => p.capturedAmount === 0 && p.status !== 'AUTHORIZED')).toBe(true);
      // The cart stays ACTIVE, to try another card.
      expect((await cartDb.cart.findUniqueOrThrow({ where: { id: cartId } })).status).toBe('ACTIVE');
    }, 60_000);
  }
});

describe('checkout: bad input gets userErrors, never a 500', () => {
  it('answers each bad input with its code', async () => {
    const variant = variants[23];
    await setStock(variant.id, 5);
    const cartId = await customerCart([{ variantId: variant.id, quantity: 1 }]);
    const codes = async (input: Record<string, unknown>) => (await checkoutAsCustomer(input)).userErrors.map((e: any) => e.code);
    expect(await codes({ cartId, paymentToken: 'tok_success' })).toEqual(['IDEMPOTENCY_KEY_REQUIRED']);
    expect(await codes({ cartId, paymentToken: 'tok_success', idempotencyKey: '  ' })).toEqual(['IDEMPOTENCY_KEY_REQUIRED']);
    expect(await codes({ cartId, paymentToken: '4242 4242 4242 4242', idempotencyKey: newId() })).toEqual(['INVALID_PAYMENT_TOKEN']);
    expect(await codes({ cartId: newId(), paymentToken: 'tok_success', idempotencyKey: newId() })).toEqual(['CART_NOT_FOUND']);
    // Someone else's cart looks exactly like a missing one.
    const other = await postGraphQL(stack.subgraphUrls.cart, CREATE, { input: { lines: [{ variantId: variant.id, quantity: 1 }] } }, gatewayHeaders({ userId: newId(), roles: ['CUSTOMER'] }));
    expect(await codes({ cartId: other.body.data.createCart.cart.id, paymentToken: 'tok_success', idempotencyKey: newId() })).toEqual(['CART_NOT_FOUND']);
    expect(await codes({ cartId, paymentToken: 'tok_success', idempotencyKey: newId(), shippingAddress: { name: 'X', line1: '', city: 'A', postalCode: '1', country: 'ZZ' } })).toEqual(['INVALID_ADDRESS']);

    await cartDb.cartLine.deleteMany({ where: { cartId } });
    expect(await codes({ cartId, paymentToken: 'tok_success', idempotencyKey: newId() })).toEqual(['CART_EMPTY']);
    await cartDb.cartLine.create({ data: { id: newId(), cartId, variantId: newId(), quantity: 1, unitPrice: 100, currency: 'USD' } });
    expect(await codes({ cartId, paymentToken: 'tok_success', idempotencyKey: newId() })).toEqual(['VARIANT_NOT_FOUND']);
    await cartDb.cartLine.deleteMany({ where: { cartId } });

    // Quantities are refused when they enter the cart (0, negative, 10^9): the cart never holds them.
    for (const quantity of [0, -1, 1_000_000_000]) {
      const res = await postGraphQL(stack.gatewayUrl, `mutation($input: AddCartLinesInput!) { addCartLines(input: $input) { userErrors { code } } }`,
        { input: { cartId, lines: [{ variantId: variant.id, quantity }] } }, asCustomer());
      expect(res.body.data.addCartLines.userErrors.map((e: any) => e.code)).toEqual(['INVALID_QUANTITY']);
    }

    await cartDb.cart.update({ where: { id: cartId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await codes({ cartId, paymentToken: 'tok_success', idempotencyKey: newId() })).toEqual(['CART_EXPIRED']);
    expect((await stockOf(variant.id)).reserved).toBe(0);
  }, 60_000);
});

describe('checkout: risk', () => {
  it('declines a billing/shipping country mismatch with RISK_DECLINED and keeps nothing held', async () => {
    const variant = variants[25];
    await setStock(variant.id, 5);
    const cartId = await customerCart([{ variantId: variant.id, quantity: 1 }]);
    const result = await checkoutAsCustomer({
      cartId, paymentToken: 'tok_success', idempotencyKey: newId(), billingCountry: 'US',
      shippingAddress: { name: 'Dana Customer', line1: '1 Canal Street', city: 'Amsterdam', postalCode: '1011AA', country: 'NL' },
    });
    expect(result.userErrors.map((e: any) => e.code)).toEqual(['RISK_DECLINED']);
    expect(result.order?.status ?? null).not.toBe('PAID');
    expect((await stockOf(variant.id)).reserved).toBe(0);
  }, 60_000);
});

describe('checkout: recovery', () => {
  it('a subgraph stopped mid-saga: compensated at once or by the sweeper, no reservation left behind', async () => {
    const variant = variants[24];
    await setStock(variant.id, 100);
    const cartUrl = stack.subgraphUrls.cart;
    const buyers = await Promise.all(Array.from({ length: 12 }, async () => {
      const headers = gatewayHeaders({ userId: newId(), roles: ['CUSTOMER'] });
      const res = await postGraphQL(cartUrl, CREATE, { input: { lines: [{ variantId: variant.id, quantity: 1 }] } }, headers);
      return { headers, cartId: res.body.data.createCart.cart.id as string };
    }));
    // Payment goes away while checkouts run: those past authorization finish, the others compensate.
    const running = Promise.all(buyers.map((b, i) =>
      new Promise((r) => setTimeout(r, i * 15)).then(() =>
        postGraphQL(cartUrl, CHECKOUT_DIRECT, { input: { cartId: b.cartId, paymentToken: 'tok_success', idempotencyKey: newId() } }, b.headers))));
    await new Promise((r) => setTimeout(r, 60));
    await stack.stopSubgraph('payment');
    const results = await running;
    expect(results.filter((r) => r.status !== 200 || r.body.errors).map((r) => JSON.stringify(r.body.errors))).toEqual([]);
    await stack.startSubgraph('payment');

    // A checkout whose driver died right after reserving (its lease ran out): the sweeper undoes it.
    const saga = createSagaClients(createServiceCaller());
    const orphanId = newId();
    const held = await saga.reserve(orphanId, [{ variantId: variant.id, quantity: 2 }], 900);
    expect(held.reservation?.status).toBe('ACTIVE');
    await cartDb.checkoutAttempt.create({
      data: {
        id: orphanId, ownerId: newId(), idempotencyKey: newId(), requestHash: 'x', cartId: newId(), step: 'RESERVED', reservationId: held.reservation!.id,
        snapshot: { currency: 'USD', lines: [{ variantId: variant.id, sku: variant.sku, productTitle: 'x', quantity: 2, unitPrice: variant.price }], totals: { subtotal: 2 * variant.price, discountTotal: 0, shippingTotal: 0, taxTotal: 0, total: 2 * variant.price }, shippingAddress: null },
        paymentToken: 'tok_success', leaseOwner: 'dead', leaseUntil: new Date(Date.now() - 1000), expiresAt: new Date(Date.now() + 25 * 3600_000),
      },
    });

    const deps = { db: cartDb, catalog: createCatalogClient(), saga, log: createLogger('test-sweeper') };
    for (let i = 0; i < 20; i++) {
      if ((await cartDb.checkoutAttempt.count({ where: { finishedAt: null } })) === 0) break;
      // Leases of interrupted requests run out after LEASE_MS; age them so the test need not wait.
      await cartDb.checkoutAttempt.updateMany({ where: { finishedAt: null }, data: { leaseUntil: new Date(Date.now() - 1000) } });
      await resumeStuckCheckouts(deps);
    }
    const attempts = await cartDb.checkoutAttempt.findMany({});
    expect(attempts.filter((a) => !a.finishedAt)).toEqual([]);
    for (const a of attempts) expect(['COMPLETED', 'FAILED']).toContain(a.step);
    expect(await inventoryDb.reservation.count({ where: { status: 'ACTIVE' } })).toBe(0);
    expect((await inventoryDb.reservation.findUniqueOrThrow({ where: { reference: orphanId } })).status).toBe('RELEASED');
    const orders = await orderDb.order.findMany({ where: { idempotencyKey: { in: attempts.map((a) => a.id) } } });
    for (const o of orders) {
      const a = attempts.find((x) => x.id === o.idempotencyKey)!;
      expect(o.status).toBe(a.step === 'COMPLETED' ? 'PAID' : a.failureCode === 'PAYMENT_FAILED' ? 'PAYMENT_FAILED' : 'CANCELLED');
    }
    const captured = await paymentDb.payment.count({ where: { orderId: { in: orders.map((o) => o.id) }, status: 'CAPTURED' } });
    expect(captured).toBe(attempts.filter((a) => a.step === 'COMPLETED' && orders.some((o) => o.idempotencyKey === a.id)).length);
    expect(await paymentDb.payment.count({ where: { orderId: { in: orders.map((o) => o.id) }, status: 'AUTHORIZED' } })).toBe(0);
    const s = await stockOf(variant.id);
    expect(s.reserved).toBe(0);
    const sold = await orderDb.orderLine.aggregate({ _sum: { quantity: true }, where: { variantId: variant.id, order: { status: 'PAID' } } });
    expect(s.onHand).toBe(100 - (sold._sum.quantity ?? 0));
  }, 180_000);
});
