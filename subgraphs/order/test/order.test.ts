import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicId, newId } from '@storefront/shared';
import { countStatements } from '@storefront/shared/db';
import { createTestDatabase, gatewayHeaders, postGraphQL, type TestDatabase } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createOrderDb, createOrderServer, nextOrderNumber, seedOrder, transition, type OrderDb } from '../src/index.ts';

const fixture = demoFixture();
const variants = fixture.products.flatMap((p) => p.variants.map((v) => ({ ...v, productTitle: p.title })));
const A = fixture.customer.id;
const B = deterministicId('user', 'order-test-b@storefront.dev');
const HOUR = 3_600_000;

const asUser = (userId: string) => gatewayHeaders({ userId, roles: ['CUSTOMER'] });
const asA = () => asUser(A);
const asB = () => asUser(B);
const asSupport = () => gatewayHeaders({ userId: deterministicId('user', 'support@storefront.dev'), roles: ['SUPPORT'] });
const asService = () => gatewayHeaders({ service: 'gateway-test' });

let database: TestDatabase;
let db: OrderDb;
let server: Awaited<ReturnType<typeof createOrderServer>>;
let url: string;
let statements: ReturnType<typeof countStatements>;

beforeAll(async () => {
  database = await createTestDatabase('order');
  db = createOrderDb(database.url, { logQueries: true });
  statements = countStatements(db as any);
  await seedOrder(db, fixture);
  await seedOrder(db, fixture); // idempotent
  server = await createOrderServer({ databaseUrl: database.url, db });
  url = `${await server.listen(0)}/graphql`;
});

afterAll(async () => {
  await server?.close();
  await db?.$disconnect();
  await database?.drop();
});

async function gql(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const res = await postGraphQL(url, query, variables, headers);
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return res.body.data;
}

let numbers = 0;
/** Orders for a user straight into the database, `count` of them an hour apart (newest last), two lines each. */
async function makeOrders(userId: string, count: number, options: { start?: Date; status?: 'PENDING_PAYMENT' | 'PAID'; samePlacedAt?: boolean } = {}) {
  const start = options.start ?? new Date(Date.UTC(2026, 0, 1));
  const orders = Array.from({ length: count }, (_, i) => {
    const lines = [0, 1].map((k) => {
      const v = variants[(numbers * 2 + k) % variants.length];
      return { id: newId(), variantId: v.id, sku: v.sku, productTitle: v.productTitle, quantity: k + 1, unitPrice: v.price, lineTotal: (k + 1) * v.price, position: k };
    });
    const subtotal = lines.reduce((s, l) => s + l.lineTotal, 0);
    numbers += 1;
    return {
      id: newId(), number: `T-${numbers}`, userId, status: options.status ?? 'PAID', subtotal, total: subtotal + 500, shippingTotal: 500,
      placedAt: new Date(start.getTime() + (options.samePlacedAt ? 0 : i * HOUR)), lines,
    } as const;
  });
  await db.order.createMany({ data: orders.map(({ lines: _lines, ...o }) => o) });
  await db.orderLine.createMany({ data: orders.flatMap((o) => o.lines.map((l) => ({ ...l, orderId: o.id }))) });
  return orders;
}

const ORDER_FIELDS = /* GraphQL */ `
  id number status placedAt customer { id }
  subtotal { amount currencyCode } shippingTotal { amount } total { amount currencyCode }
  lines { id sku productTitle quantity variant { id } unitPrice { amount currencyCode } lineTotal { amount } }
  statusHistory { from to actor reason at }
`;
const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
const ORDER_REF = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { ${ORDER_FIELDS} } } }`;
const USER_ORDERS = /* GraphQL */ `
  query($r: [_Any!]!, $first: Int, $after: String) {
    _entities(representations: $r) {
      ... on User { id orders(first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id number placedAt total { amount } lines { sku quantity } } } } }
    }
  }
`;
const userRefs = (...ids: string[]) => ids.map((id) => ({ __typename: 'User', id }));
const orderRefs = (...ids: string[]) => ids.map((id) => ({ __typename: 'Order', id }));

describe('order subgraph: reading orders', () => {
  it('serves a seeded order to its customer with lines, totals and status history', async () => {
    const demo = fixture.orders[0];
    const { order } = await gql(ORDER, { id: demo.id }, asA());
    expect(order).toMatchObject({ id: demo.id, number: demo.number, status: 'DELIVERED', placedAt: demo.placedAt.toISOString(), customer: { id: A } });
    expect(order.total).toEqual({ amount: demo.total, currencyCode: 'USD' });
    expect(order.lines.map((l: any) => [l.sku, l.quantity, l.unitPrice.amount, l.lineTotal.amount, l.variant.id])).toEqual(
      demo.lines.map((l) => [l.sku, l.quantity, l.unitPrice, l.quantity * l.unitPrice, l.variantId]),
    );
    expect(order.statusHistory.map((h: any) => [h.from, h.to])).toEqual([
      [null, 'PENDING_PAYMENT'], ['PENDING_PAYMENT', 'PAID'], ['PAID', 'FULFILLED'], ['FULFILLED', 'SHIPPED'], ['SHIPPED', 'DELIVERED'],
    ]);
    // Who changed the status is for staff: the customer sees null, support sees the actor.
    expect(order.statusHistory.every((h: any) => h.actor === null)).toBe(true);
    const staff = await gql(ORDER, { id: demo.id }, asSupport());
    expect(staff.order.statusHistory[1].actor).toBe('service:payment');
  });

  it("answers null to another customer for A's order: root field and Order references alike", async () => {
    const demo = fixture.orders[0];
    expect((await gql(ORDER, { id: demo.id }, asB())).order).toBeNull();
    expect((await gql(ORDER_REF, { r: orderRefs(demo.id) }, asB()))._entities).toEqual([null]);
    expect((await gql(ORDER, { id: demo.id }, gatewayHeaders({}))).order).toBeNull();
    expect((await gql(ORDER, { id: newId() }, asA())).order).toBeNull();
    expect((await gql(ORDER_REF, { r: orderRefs(demo.id) }, asA()))._entities[0].id).toBe(demo.id);
    expect((await gql(ORDER, { id: demo.id }, asSupport())).order.id).toBe(demo.id);
  });

  it("lists a user's orders for them and for staff only: others get an empty connection", async () => {
    const mine = await gql(USER_ORDERS, { r: userRefs(A) }, asA());
    const newestFirst = [...fixture.orders].sort((a, b) => b.placedAt.getTime() - a.placedAt.getTime());
    expect(mine._entities[0].orders.totalCount).toBe(fixture.orders.length);
    expect(mine._entities[0].orders.edges.map((e: any) => e.node.number)).toEqual(newestFirst.map((o) => o.number));

    const theirs = await gql(USER_ORDERS, { r: userRefs(A) }, asB());
    expect(theirs._entities[0].orders).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, edges: [] });
    const anonymous = await gql(USER_ORDERS, { r: userRefs(A) }, gatewayHeaders({}));
    expect(anonymous._entities[0].orders.edges).toEqual([]);
    const staff = await gql(USER_ORDERS, { r: userRefs(A) }, asSupport());
    expect(staff._entities[0].orders.totalCount).toBe(fixture.orders.length);
  });

  it('pages through orders newest first with keyset cursors, ties included', async () => {
    const C = newId();
    const spread = await makeOrders(C, 17);
    const tied = await makeOrders(C, 6, { start: new Date(Date.UTC(2026, 5, 1)), samePlacedAt: true }); // same placedAt, newest of all
    const expected = [...spread, ...tied].sort((a, b) => b.placedAt.getTime() - a.placedAt.getTime() || (a.id < b.id ? 1 : -1)).map((o) => o.id);

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const data = await gql(USER_ORDERS, { r: userRefs(C), first: 5, after }, asUser(C));
      const conn = data._entities[0].orders;
      expect(conn.totalCount).toBe(23);
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...conn.edges.map((e: any) => e.node.id));
      pages += 1;
      if (!conn.pageInfo.hasNextPage) break;
      expect(conn.edges).toHaveLength(5);
      after = conn.pageInfo.endCursor;
    }
    expect(pages).toBe(5);
    expect(seen).toEqual(expected);

    // An order placed after the first page was read does not shift the next page.
    const first = (await gql(USER_ORDERS, { r: userRefs(C), first: 5 }, asUser(C)))._entities[0].orders;
    await makeOrders(C, 1, { start: new Date(Date.UTC(2027, 0, 1)) });
    const second = (await gql(USER_ORDERS, { r: userRefs(C), first: 5, after: first.pageInfo.endCursor }, asUser(C)))._entities[0].orders;
    expect(second.edges.map((e: any) => e.node.id)).toEqual(expected.slice(5, 10));
  });

  it('refuses forged cursors and oversized pages as bad input', async () => {
    const forged = await postGraphQL(url, USER_ORDERS, { r: userRefs(A), after: 'not-a-cursor' }, asA());
    expect(forged.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const wrongKind = Buffer.from(JSON.stringify(['product:newest', '2026-01-01T00:00:00.000Z', 'x'])).toString('base64url');
    const other = await postGraphQL(url, USER_ORDERS, { r: userRefs(A), after: wrongKind }, asA());
    expect(other.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const badDate = Buffer.from(JSON.stringify(['order:newest', 'yesterday', 'x'])).toString('base64url');
    const date = await postGraphQL(url, USER_ORDERS, { r: userRefs(A), after: badDate }, asA());
    expect(date.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const tooMany = await postGraphQL(url, USER_ORDERS, { r: userRefs(A), first: 1000 }, asA());
    expect(tooMany.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('resolves Order and User.orders references in a constant number of statements', async () => {
    const users = Array.from({ length: 10 }, () => newId());
    const orders = (await Promise.all(users.map((u) => makeOrders(u, 4)))).flat();

    const measure = async (query: string, variables: Record<string, unknown>) => {
      statements.reset();
      const data = await gql(query, variables, asService());
      return { n: statements.count, data };
    };
    const fewOrders = await measure(ORDER_REF, { r: orderRefs(...orders.slice(0, 2).map((o) => o.id)) });
    const manyOrders = await measure(ORDER_REF, { r: orderRefs(...orders.map((o) => o.id), newId()) });
    expect(manyOrders.data._entities).toHaveLength(41);
    expect(manyOrders.data._entities.slice(0, 40).map((o: any) => o.id)).toEqual(orders.map((o) => o.id));
    expect(manyOrders.data._entities.slice(0, 40).every((o: any) => o.lines.length === 2)).toBe(true);
    expect(manyOrders.data._entities[40]).toBeNull();
    expect(fewOrders.n).toBe(3); // orders, lines, history
    expect(manyOrders.n).toBe(fewOrders.n);

    const fewUsers = await measure(USER_ORDERS, { r: userRefs(...users.slice(0, 2)), first: 3 });
    const manyUsers = await measure(USER_ORDERS, { r: userRefs(...users), first: 3 });
    for (const [i, user] of manyUsers.data._entities.entries()) {
      expect(user.orders.totalCount).toBe(4);
      expect(user.orders.pageInfo.hasNextPage).toBe(true);
      const own = orders.filter((o) => o.userId === users[i]).sort((a, b) => b.placedAt.getTime() - a.placedAt.getTime());
      expect(user.orders.edges.map((e: any) => e.node.id)).toEqual(own.slice(0, 3).map((o) => o.id));
    }
    expect(fewUsers.n).toBe(4); // page ids, page rows, counts, lines
    expect(manyUsers.n).toBe(fewUsers.n);
  });
});

describe('order subgraph: status transitions', () => {
  const historyOf = (orderId: string) => db.orderStatusHistory.findMany({ where: { orderId }, orderBy: { at: 'asc' } });
  const outboxOf = (orderId: string) => db.outboxEvent.findMany({ where: { aggregateId: orderId }, orderBy: { occurredAt: 'asc' } });

  it('moves an order along, recording history and an OrderStatusChanged outbox event each time', async () => {
    const [order] = await makeOrders(newId(), 1, { status: 'PENDING_PAYMENT' });
    const steps = ['PAID', 'FULFILLED', 'SHIPPED', 'PARTIALLY_REFUNDED', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const;
    for (const [i, to] of steps.entries()) {
      const result = await transition({ db }, order.id, to, { actor: 'service:test', reason: `step ${i}`, at: new Date(Date.UTC(2026, 1, 1, i)) });
      expect(result.userErrors).toEqual([]);
      expect(result.order!.status).toBe(to);
    }
    expect((await db.order.findUniqueOrThrow({ where: { id: order.id } })).status).toBe('REFUNDED');
    const history = await historyOf(order.id);
    expect(history.map((h) => [h.from, h.to, h.actor, h.reason])).toEqual(
      steps.map((to, i) => [i === 0 ? 'PENDING_PAYMENT' : steps[i - 1], to, 'service:test', `step ${i}`]),
    );
    const events = await outboxOf(order.id);
    expect(events).toHaveLength(steps.length);
    expect(events.every((e) => e.type === 'OrderStatusChanged' && e.publishedAt === null)).toBe(true);
    expect(events[0].payload).toEqual({
      orderId: order.id, orderNumber: order.number, userId: order.userId, from: 'PENDING_PAYMENT', to: 'PAID', actor: 'service:test', reason: 'step 0',
      total: { amount: order.total, currencyCode: 'USD' }, occurredAt: new Date(Date.UTC(2026, 1, 1, 0)).toISOString(),
    });

    // The change shows through the API too.
    const data = await gql(ORDER, { id: order.id }, asService());
    expect(data.order.status).toBe('REFUNDED');
    expect(data.order.statusHistory.map((h: any) => h.to)).toEqual([...steps]);
  });

  it('refuses transitions the state machine does not allow, writing nothing', async () => {
    const [order] = await makeOrders(newId(), 1, { status: 'PENDING_PAYMENT' });
    for (const to of ['SHIPPED', 'DELIVERED', 'REFUNDED', 'PENDING_PAYMENT'] as const) {
      const result = await transition({ db }, order.id, to, { actor: 'system' });
      expect(result.userErrors).toEqual([{ code: 'INVALID_TRANSITION', field: ['status'], message: expect.stringContaining(`PENDING_PAYMENT to ${to}`) }]);
      expect(result.order!.status).toBe('PENDING_PAYMENT');
    }
    expect((await transition({ db }, order.id, 'CANCELLED', { actor: 'system' })).userErrors).toEqual([]);
    const after = await transition({ db }, order.id, 'PAID', { actor: 'system' });
    expect(after.userErrors.map((e) => e.code)).toEqual(['INVALID_TRANSITION']);
    expect((await historyOf(order.id)).map((h) => h.to)).toEqual(['CANCELLED']);
    expect(await outboxOf(order.id)).toHaveLength(1);

    const missing = await transition({ db }, newId(), 'PAID', { actor: 'system' });
    expect(missing).toEqual({ order: null, userErrors: [{ code: 'ORDER_NOT_FOUND', field: ['orderId'], message: expect.any(String) }] });
  });

  it('lets exactly one of two racing transitions win', async () => {
    const orders = await makeOrders(newId(), 5, { status: 'PENDING_PAYMENT' });
    for (const order of orders) {
      const results = await Promise.all([
        transition({ db }, order.id, 'PAID', { actor: 'service:payment' }),
        transition({ db }, order.id, 'PAYMENT_FAILED', { actor: 'service:payment' }),
      ]);
      expect(results.filter((r) => r.userErrors.length === 0)).toHaveLength(1);
      const history = await historyOf(order.id);
      expect(history).toHaveLength(1);
      expect((await db.order.findUniqueOrThrow({ where: { id: order.id } })).status).toBe(history[0].to);
      expect(await outboxOf(order.id)).toHaveLength(1);
    }
  });

  it('rolls the status and history back when the outbox write fails', async () => {
    const [order] = await makeOrders(newId(), 1, { status: 'PENDING_PAYMENT' });
    await db.$executeRawUnsafe(`
      CREATE FUNCTION test_refuse_outbox() RETURNS trigger AS $$
      BEGIN IF NEW.payload->>'reason' = 'refuse-outbox' THEN RAISE EXCEPTION 'outbox refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await db.$executeRawUnsafe(`CREATE TRIGGER test_refuse_outbox BEFORE INSERT ON "OutboxEvent" FOR EACH ROW EXECUTE FUNCTION test_refuse_outbox()`);
    try {
      await expect(transition({ db }, order.id, 'PAID', { actor: 'system', reason: 'refuse-outbox' })).rejects.toThrow();
      expect((await db.order.findUniqueOrThrow({ where: { id: order.id } })).status).toBe('PENDING_PAYMENT');
      expect(await historyOf(order.id)).toEqual([]);
    } finally {
      await db.$executeRawUnsafe('DROP TRIGGER test_refuse_outbox ON "OutboxEvent"');
      await db.$executeRawUnsafe('DROP FUNCTION test_refuse_outbox()');
    }
  });
});

describe('order subgraph: numbers and access', () => {
  it('hands out unique, increasing order numbers from the database sequence', async () => {
    const numbersOut = await Promise.all(Array.from({ length: 20 }, () => nextOrderNumber(db)));
    expect(new Set(numbersOut).size).toBe(20);
    expect(numbersOut.every((n) => /^SF-\d{6,}$/.test(n))).toBe(true);
    const values = numbersOut.map((n) => Number(n.slice(3))).sort((a, b) => a - b);
    expect(values[0]).toBeGreaterThan(100_000);
    expect(numbersOut).not.toContain(fixture.orders[0].number);
  });

  it('refuses requests without the gateway signature', async () => {
    const res = await postGraphQL(url, '{ _service { sdl } }');
    expect(res.status).toBe(401);
    const forged = await postGraphQL(url, ORDER, { id: fixture.orders[0].id }, { ...asA(), 'x-storefront-signature': 'AAAA' });
    expect(forged.status).toBe(401);
  });
});
