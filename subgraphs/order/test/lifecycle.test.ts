import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId } from '@storefront/shared';
import { createTestDatabase, gatewayHeaders, postGraphQL, type TestDatabase } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createOrderDb, createOrderServer, type OrderDb } from '../src/index.ts';
import { createPaymentDb, createPaymentServer, TEST_TOKENS, type PaymentDb } from '../../payment/src/index.ts';
import { commit, createInventoryContext, createInventoryDb, createInventoryServer, reserve, restock, seedInventory, type InventoryDb } from '../../inventory/src/index.ts';

/**
 * The order lifecycle against real payment and inventory subgraphs (in-process, own databases),
 * called by order over HTTP with its service identity, as in production.
 */
const log = createLogger('order-lifecycle-test', { level: 'silent' });
const fixture = demoFixture();
const [AMS] = fixture.warehouses.map((w) => w.id);
const dbs: TestDatabase[] = [];
let orderDb: OrderDb;
let paymentDb: PaymentDb;
let inventoryDb: InventoryDb;
const servers: { close(): Promise<void> }[] = [];
let url: string;
const saved = { PAYMENT_URL: process.env.PAYMENT_URL, INVENTORY_URL: process.env.INVENTORY_URL };

const customer = newId();
const asCustomer = gatewayHeaders({ userId: customer, roles: ['CUSTOMER'] });
const asStranger = gatewayHeaders({ userId: newId(), roles: ['CUSTOMER'] });
const asAdmin = gatewayHeaders({ userId: newId(), roles: ['ADMIN'] });
const inventoryService = () => createInventoryContext(inventoryDb)({ requestId: newId(), viewer: { roles: [], scopes: [], service: 'cart' }, log });

beforeAll(async () => {
  const [o, p, i] = await Promise.all([createTestDatabase('order'), createTestDatabase('payment'), createTestDatabase('inventory')]);
  dbs.push(o, p, i);
  orderDb = createOrderDb(o.url);
  paymentDb = createPaymentDb(p.url);
  inventoryDb = createInventoryDb(i.url);
  await seedInventory(inventoryDb, fixture);
  const payment = await createPaymentServer({ databaseUrl: p.url, db: paymentDb, log });
  const inventory = await createInventoryServer({ databaseUrl: i.url, db: inventoryDb, log, sweepIntervalMs: 0 });
  const order = await createOrderServer({ databaseUrl: o.url, db: orderDb, log });
  servers.push(order, payment, inventory);
  process.env.PAYMENT_URL = `${await payment.listen(0)}/graphql`;
  process.env.INVENTORY_URL = `${await inventory.listen(0)}/graphql`;
  url = `${await order.listen(0)}/graphql`;
});

afterAll(async () => {
  for (const s of servers) await s.close();
  Object.assign(process.env, saved);
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  await Promise.all([orderDb?.$disconnect(), paymentDb?.$disconnect(), inventoryDb?.$disconnect()]);
  for (const d of dbs) await d.drop();
});

/** What a successful checkout leaves behind: stock committed, payment authorized (not captured), order PAID. */
async function paidOrder(total = 10_000, options: { commitStock?: boolean } = {}) {
  const variantId = newId();
  await restock(createInventoryContext(inventoryDb)({ requestId: newId(), viewer: { userId: newId(), roles: ['ADMIN'], scopes: ['inventory:write'] }, log }), { variantId, locationId: AMS, quantity: 10, reason: 'test' });
  const checkoutId = newId();
  const held = await reserve(inventoryService(), { reference: checkoutId, lines: [{ variantId, quantity: 2 }] });
  if (options.commitStock !== false) await commit(inventoryService(), held.reservation!.id);
  const orderId = newId();
  await orderDb.order.create({
    data: {
      id: orderId, number: `T-${orderId.slice(0, 8)}`, userId: customer, status: 'PAID', subtotal: total, total, idempotencyKey: checkoutId,
      lines: { create: [{ id: newId(), variantId, sku: 'SKU', productTitle: 'Thing', quantity: 2, unitPrice: total / 2, lineTotal: total }] },
    },
  });
  const auth = await postGraphQL(process.env.PAYMENT_URL!, `mutation($input: AuthorizePaymentInput!) { authorizePayment(input: $input) { payment { id } userErrors { code } } }`,
    { input: { orderId, userId: customer, amount: total, currencyCode: 'USD', token: TEST_TOKENS.success, idempotencyKey: checkoutId } }, gatewayHeaders({ service: 'cart' }));
  expect(auth.body.data.authorizePayment.userErrors).toEqual([]);
  return { orderId, variantId, paymentId: auth.body.data.authorizePayment.payment.id as string };
}

const stockOf = async (variantId: string) => (await inventoryDb.stockLevel.findMany({ where: { variantId } })).reduce((s, l) => ({ onHand: s.onHand + l.onHand, reserved: s.reserved + l.reserved }), { onHand: 0, reserved: 0 });
const mutate = (name: string, input: Record<string, unknown>, headers: Record<string, string>) =>
  postGraphQL(url, `mutation($input: ${name[0].toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { order { id status shipment { carrier trackingNumber } statusHistory { from to actor reason } } userErrors { code field message } } }`, { input }, headers);

describe('order lifecycle', () => {
  it('a customer cancels a PAID order: stock returns, the authorization is voided; a second cancel changes nothing', async () => {
    const { orderId, variantId, paymentId } = await paidOrder();
    expect(await stockOf(variantId)).toEqual({ onHand: 8, reserved: 0 });
    const res = await mutate('cancelOrder', { orderId, reason: 'changed my mind' }, asCustomer);
    expect(res.body.data.cancelOrder.userErrors).toEqual([]);
    expect(res.body.data.cancelOrder.order.status).toBe('CANCELLED');
    expect(await stockOf(variantId)).toEqual({ onHand: 10, reserved: 0 });
    expect((await paymentDb.payment.findUniqueOrThrow({ where: { id: paymentId } })).status).toBe('VOIDED');
    const again = await mutate('cancelOrder', { orderId }, asCustomer);
    expect(again.body.data.cancelOrder.userErrors).toEqual([]);
    expect(await stockOf(variantId)).toEqual({ onHand: 10, reserved: 0 });
    expect(await orderDb.outboxEvent.count({ where: { aggregateId: orderId, type: 'OrderStatusChanged' } })).toBe(1);
  });

  it("someone else's order reads as not found; an uncommitted reservation is released on cancel", async () => {
    const { orderId, variantId } = await paidOrder(5_000, { commitStock: false });
    const stranger = await mutate('cancelOrder', { orderId }, asStranger);
    expect(stranger.body.data.cancelOrder).toMatchObject({ order: null, userErrors: [{ code: 'ORDER_NOT_FOUND' }] });
    expect(await stockOf(variantId)).toEqual({ onHand: 10, reserved: 2 });
    await mutate('cancelOrder', { orderId }, asCustomer);
    expect(await stockOf(variantId)).toEqual({ onHand: 10, reserved: 0 });
  });

  it('an admin fulfils (capturing), ships with tracking, delivers, refunds partially then fully; the customer cannot', async () => {
    const { orderId, paymentId } = await paidOrder(10_000);
    const denied = await mutate('fulfillOrder', { orderId }, asCustomer);
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await orderDb.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe('PAID');

    const early = await mutate('shipOrder', { orderId, trackingNumber: 'X', carrier: 'DHL' }, asAdmin);
    expect(early.body.data.shipOrder.userErrors[0].code).toBe('INVALID_TRANSITION');

    const fulfilled = await mutate('fulfillOrder', { orderId }, asAdmin);
    expect(fulfilled.body.data.fulfillOrder.userErrors).toEqual([]);
    expect(await paymentDb.payment.findUniqueOrThrow({ where: { id: paymentId } })).toMatchObject({ status: 'CAPTURED', capturedAmount: 10_000 });

    const cancelLate = await mutate('cancelOrder', { orderId }, asCustomer);
    expect(cancelLate.body.data.cancelOrder.userErrors[0].code).toBe('INVALID_TRANSITION');

    const blank = await mutate('shipOrder', { orderId, trackingNumber: ' ', carrier: 'DHL' }, asAdmin);
    expect(blank.body.data.shipOrder.userErrors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'trackingNumber'] });
    const shipped = await mutate('shipOrder', { orderId, trackingNumber: '3SABC123', carrier: 'PostNL' }, asAdmin);
    expect(shipped.body.data.shipOrder.order).toMatchObject({ status: 'SHIPPED', shipment: { carrier: 'PostNL', trackingNumber: '3SABC123' } });
    expect((await mutate('markOrderDelivered', { orderId }, asAdmin)).body.data.markOrderDelivered.order.status).toBe('DELIVERED');

    const partial = await mutate('refundOrder', { orderId, amount: 3_000, reason: 'damaged item' }, asAdmin);
    expect(partial.body.data.refundOrder.order.status).toBe('PARTIALLY_REFUNDED');
    const tooMuch = await mutate('refundOrder', { orderId, amount: 7_001, reason: 'more' }, asAdmin);
    expect(tooMuch.body.data.refundOrder.userErrors[0].code).toBe('REFUND_EXCEEDS_CAPTURE');
    const rest = await mutate('refundOrder', { orderId, reason: 'returned' }, asAdmin);
    const order = rest.body.data.refundOrder.order;
    expect(order.status).toBe('REFUNDED');
    expect(await paymentDb.payment.findUniqueOrThrow({ where: { id: paymentId } })).toMatchObject({ status: 'REFUNDED', refundedAmount: 10_000 });
    expect(order.statusHistory.map((h: any) => h.to)).toEqual(['FULFILLED', 'SHIPPED', 'DELIVERED', 'PARTIALLY_REFUNDED', 'REFUNDED']);
    expect(order.statusHistory.every((h: any) => h.actor?.startsWith('user:'))).toBe(true);
    const terminal = await mutate('refundOrder', { orderId, amount: 1, reason: 'again' }, asAdmin);
    expect(terminal.body.data.refundOrder.userErrors[0].code).toBe('INVALID_TRANSITION');
  });
});
