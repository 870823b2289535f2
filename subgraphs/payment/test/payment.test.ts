import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, deterministicId, newId } from '@storefront/shared';
import { countStatements } from '@storefront/shared/db';
import { createTestDatabase, gatewayHeaders, postGraphQL, type TestDatabase } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createPaymentDb, createPaymentServer, seedPayment, type PaymentDb } from '../src/index.ts';

const fixture = demoFixture();
let database: TestDatabase;
let db: PaymentDb;
let server: Awaited<ReturnType<typeof createPaymentServer>>;
let url: string;
let statements: ReturnType<typeof countStatements>;
let logged = '';

const customer = fixture.customer;
const support = fixture.users.find((u) => u.roles.includes('SUPPORT'))!;
const admin = fixture.users.find((u) => u.roles.includes('ADMIN'))!;
const asCustomer = gatewayHeaders({ userId: customer.id, roles: ['CUSTOMER'] });
const asOtherCustomer = gatewayHeaders({ userId: newId(), roles: ['CUSTOMER'] });
const asSupport = gatewayHeaders({ userId: support.id, roles: ['SUPPORT'] });
const asAdmin = gatewayHeaders({ userId: admin.id, roles: ['ADMIN'] });
const asService = gatewayHeaders({ service: 'order' });
const asAnonymous = gatewayHeaders({});

const CARD_NUMBER = '4000056655665556';

beforeAll(async () => {
  database = await createTestDatabase('payment');
  db = createPaymentDb(database.url, { logQueries: true });
  statements = countStatements(db as any);
  await seedPayment(db, fixture);
  await seedPayment(db, fixture);
  const sink = new Writable({ write(chunk, _enc, done) { logged += chunk.toString(); done(); } });
  server = await createPaymentServer({ databaseUrl: database.url, db, log: createLogger('payment', { level: 'trace', destination: sink }) });
  url = `${await server.listen(0)}/graphql`;
});

afterAll(async () => {
  await server?.close();
  await db?.$disconnect();
  await database?.drop();
});

const ORDER_PAYMENTS = /* GraphQL */ `
  query($r: [_Any!]!) {
    _entities(representations: $r) {
      ... on Order { id payment { id status amount { amount currencyCode } capturedAmount { amount } refundedAmount { amount } card { brand last4 expMonth expYear } order { id } } }
    }
  }
`;
const orderRefs = (ids: string[]) => ({ r: ids.map((id) => ({ __typename: 'Order', id })) });

const AUTHORIZE = /* GraphQL */ `
  mutation($input: AuthorizePaymentInput!) {
    authorizePayment(input: $input) { payment { id status failureCode card { last4 } } userErrors { code field message } }
  }
`;
const REFUND = /* GraphQL */ `
  mutation($input: RefundPaymentInput!) {
    refundPayment(input: $input) { payment { id status refundedAmount { amount } } userErrors { code field message } }
  }
`;

describe('payment subgraph', () => {
  it('seeds a CAPTURED VISA 4242 payment for each demo order, once', async () => {
    const rows = await db.payment.findMany({ orderBy: { createdAt: 'asc' } });
    expect(rows).toHaveLength(fixture.orders.length);
    for (const [i, order] of fixture.orders.entries()) {
      expect(rows[i]).toMatchObject({ orderId: order.id, userId: order.userId, status: 'CAPTURED', amount: order.total, capturedAmount: order.total, cardBrand: 'VISA', cardLast4: '4242' });
    }
    expect(await db.paymentEvent.count()).toBe(fixture.orders.length * 2);
  });

  it("shows a customer their own order's payment through Order entity references", async () => {
    const order = fixture.orders[0];
    const res = await postGraphQL(url, ORDER_PAYMENTS, orderRefs([order.id]), asCustomer);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data._entities[0]).toEqual({
      id: order.id,
      payment: {
        id: deterministicId('payment', order.id), status: 'CAPTURED', amount: { amount: order.total, currencyCode: 'USD' },
        capturedAmount: { amount: order.total }, refundedAmount: { amount: 0 }, card: { brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2030 },
        order: { id: order.id },
      },
    });
  });

  it("answers null for someone else's payment, by Order and by Payment reference, and to anonymous callers", async () => {
    const order = fixture.orders[0];
    const paymentId = deterministicId('payment', order.id);
    for (const headers of [asOtherCustomer, asAnonymous]) {
      const byOrder = await postGraphQL(url, ORDER_PAYMENTS, orderRefs([order.id]), headers);
      expect(byOrder.body.errors).toBeUndefined();
      expect(byOrder.body.data._entities[0]).toEqual({ id: order.id, payment: null });
      const byPayment = await postGraphQL(url, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Payment { id status } } }', { r: [{ __typename: 'Payment', id: paymentId }] }, headers);
      expect(byPayment.body.data._entities).toEqual([null]);
    }
    const root = await postGraphQL(url, 'query($id: ID!) { payment(id: $id) { id } }', { id: paymentId }, asOtherCustomer);
    expect(root.body.data.payment).toBeNull();
    const anonymousRoot = await postGraphQL(url, 'query($id: ID!) { payment(id: $id) { id } }', { id: paymentId }, asAnonymous);
    expect(anonymousRoot.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const staff = await postGraphQL(url, ORDER_PAYMENTS, orderRefs([order.id]), asSupport);
    expect(staff.body.data._entities[0].payment.id).toBe(paymentId);
  });

  it('resolves many Order references in one SQL statement', async () => {
    const ids = [...fixture.orders.map((o) => o.id), ...Array.from({ length: 8 }, () => newId())];
    statements.reset();
    const res = await postGraphQL(url, ORDER_PAYMENTS, orderRefs(ids), asCustomer);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data._entities.map((e: any) => e.payment?.status ?? null)).toEqual(ids.map((_, i) => (i < fixture.orders.length ? 'CAPTURED' : null)));
    expect(statements.count).toBe(1);
  });

  it('tokenizes a card without storing or logging the number or the CVC', async () => {
    logged = '';
    const res = await postGraphQL(
      url,
      'mutation($input: TokenizeCardInput!) { tokenizeCard(input: $input) { token card { brand last4 expMonth expYear } userErrors { code field message } } }',
      { input: { cardNumber: CARD_NUMBER, expMonth: 11, expYear: 2031, cvc: '314' } },
      asCustomer,
    );
    expect(res.body.errors).toBeUndefined();
    const { token, card, userErrors } = res.body.data.tokenizeCard;
    expect(userErrors).toEqual([]);
    expect(token).toMatch(/^tok_/);
    expect(card).toEqual({ brand: 'VISA', last4: '5556', expMonth: 11, expYear: 2031 });

    const bad = await postGraphQL(
      url,
      'mutation($input: TokenizeCardInput!) { tokenizeCard(input: $input) { token userErrors { code field message } } }',
      { input: { cardNumber: '4000056655665557', expMonth: 11, expYear: 2031, cvc: '314' } },
      asCustomer,
    );
    expect(bad.body.data.tokenizeCard).toMatchObject({ token: null, userErrors: [{ code: 'INVALID_CARD_NUMBER', field: ['input', 'cardNumber'] }] });
    expect(JSON.stringify(bad.body)).not.toContain('400005665566555');

    // Every row of every table, as text: neither the number nor the CVC appears anywhere.
    const tables = await db.$queryRaw<{ name: string }[]>`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`;
    let everything = '';
    for (const { name } of tables) {
      const rows = await db.$queryRawUnsafe<{ row: string }[]>(`SELECT row_to_json(t)::text AS row FROM "${name.replace(/"/g, '""')}" t`);
      everything += rows.map((r) => r.row).join('\n');
    }
    expect(everything).toContain(token);
    expect(everything).not.toContain(CARD_NUMBER);
    expect(everything).not.toContain('400005665566555');
    expect(everything).not.toMatch(/"cvc"|:"314"/);
    expect(logged).not.toContain('400005665566555');
    expect(logged).not.toMatch(/cvc/i);

    // The token pays for this customer only.
    const mine = await postGraphQL(url, AUTHORIZE, { input: { orderId: newId(), userId: customer.id, amount: 1_234, currencyCode: 'USD', token, idempotencyKey: newId() } }, asService);
    expect(mine.body.data.authorizePayment).toMatchObject({ payment: { status: 'AUTHORIZED', card: { last4: '5556' } }, userErrors: [] });
  });

  it("answers each of the provider's test tokens as documented", async () => {
    const authorize = (token: string) =>
      postGraphQL(url, AUTHORIZE, { input: { orderId: newId(), userId: customer.id, amount: 2_000, currencyCode: 'USD', token, idempotencyKey: newId() } }, asService);
    const [success, declined, error, timeout] = await Promise.all(['tok_success', 'tok_insufficient_funds', 'tok_processing_error', 'tok_timeout'].map(authorize));
    expect(success.body.data.authorizePayment).toMatchObject({ payment: { status: 'AUTHORIZED', card: { last4: '4242' } }, userErrors: [] });
    expect(declined.body.data.authorizePayment).toMatchObject({ payment: { status: 'FAILED', failureCode: 'insufficient_funds' }, userErrors: [{ code: 'PAYMENT_DECLINED' }] });
    expect(error.body.data.authorizePayment).toMatchObject({ payment: { status: 'FAILED', failureCode: 'processing_error' }, userErrors: [{ code: 'PROVIDER_ERROR' }] });
    expect(timeout.body.data.authorizePayment).toMatchObject({ payment: null, userErrors: [{ code: 'PROVIDER_TIMEOUT' }] });
  });

  it('runs authorize, capture and void only for services', async () => {
    const input = { orderId: newId(), userId: customer.id, amount: 500, currencyCode: 'USD', token: 'tok_success', idempotencyKey: newId() };
    for (const headers of [asCustomer, asAdmin]) {
      const res = await postGraphQL(url, AUTHORIZE, { input }, headers);
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    const ok = await postGraphQL(url, AUTHORIZE, { input }, asService);
    const id = ok.body.data.authorizePayment.payment.id;
    const capture = 'mutation($id: ID!) { capturePayment(input: { paymentId: $id }) { payment { status capturedAmount { amount } } userErrors { code } } }';
    expect((await postGraphQL(url, capture, { id }, asCustomer)).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const captured = await postGraphQL(url, capture, { id }, asService);
    expect(captured.body.data.capturePayment).toEqual({ payment: { status: 'CAPTURED', capturedAmount: { amount: 500 } }, userErrors: [] });
    const voided = await postGraphQL(url, 'mutation($id: ID!) { voidPayment(input: { paymentId: $id }) { userErrors { code } } }', { id }, asService);
    expect(voided.body.data.voidPayment.userErrors).toEqual([{ code: 'INVALID_STATE' }]);
  });

  it('lets admins refund up to the captured amount and refuses everyone else', async () => {
    const order = fixture.orders[1];
    const paymentId = deterministicId('payment', order.id);
    for (const headers of [asCustomer, asSupport]) {
      const res = await postGraphQL(url, REFUND, { input: { paymentId, amount: 100 } }, headers);
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    const part = await postGraphQL(url, REFUND, { input: { paymentId, amount: 1_000, reason: 'late delivery' } }, asAdmin);
    expect(part.body.data.refundPayment).toEqual({ payment: { id: paymentId, status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 1_000 } }, userErrors: [] });
    const over = await postGraphQL(url, REFUND, { input: { paymentId, amount: order.total } }, asAdmin);
    expect(over.body.data.refundPayment.userErrors).toMatchObject([{ code: 'REFUND_EXCEEDS_CAPTURE', field: ['input', 'amount'] }]);
    const rest = await postGraphQL(url, REFUND, { input: { paymentId, amount: order.total - 1_000 } }, asAdmin);
    expect(rest.body.data.refundPayment.payment).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: order.total } });
    const outbox = await db.outboxEvent.findMany({ where: { aggregateId: paymentId, type: 'PaymentRefunded' } });
    expect(outbox).toHaveLength(2);
  });

  it('refuses requests that do not carry the gateway signature', async () => {
    const res = await postGraphQL(url, '{ _service { sdl } }');
    expect(res.status).toBe(401);
    const forged = await postGraphQL(url, '{ _service { sdl } }', {}, { ...asCustomer, 'x-storefront-signature': 'AAAA' });
    expect(forged.status).toBe(401);
    const tokenize = await postGraphQL(url, 'mutation { tokenizeCard(input: { cardNumber: "4242424242424242", expMonth: 1, expYear: 2031, cvc: "123" }) { token } }');
    expect(tokenize.status).toBe(401);
  });
});
