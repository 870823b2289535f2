import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId, type Viewer } from '@storefront/shared';
import { createTestDatabase, type TestDatabase } from '@storefront/shared/testing';
import { createPaymentContext, createPaymentDb, createPaymentServer, createSimulatedProvider, TEST_TOKENS, type PaymentDb, type PaymentProvider } from '../src/index.ts';
import { authorizePayment, capturePayment, type AuthorizeInput } from '../src/services/payments.ts';
import { DEFAULT_RISK_RULES } from '../src/services/risk.ts';
import { tokenizeCard } from '../src/services/tokens.ts';
import { SIGNATURE_HEADER, signWebhook, WEBHOOK_PATH } from '../src/webhooks.ts';

const SECRET = 'test-webhook-secret';
let database: TestDatabase;
let db: PaymentDb;
let provider: PaymentProvider;
let server: Awaited<ReturnType<typeof createPaymentServer>>;
let base: string;

const SERVICE: Viewer = { roles: [], scopes: [], service: 'cart' };
const log = createLogger('payment-test', { level: 'silent' });
const asService = (rules = DEFAULT_RISK_RULES) => createPaymentContext(db, provider, rules)({ requestId: 'test', viewer: SERVICE, log });

const authInput = (over: Partial<AuthorizeInput> = {}): AuthorizeInput => ({
  orderId: newId(), userId: newId(), amount: 10_000, currencyCode: 'USD', token: TEST_TOKENS.success, idempotencyKey: newId(), ...over,
});

async function freshToken(userId: string, cardNumber = '4242424242424242') {
  const ctx = createPaymentContext(db, provider)({ requestId: 't', viewer: { userId, roles: ['CUSTOMER'], scopes: [] }, log });
  const res = await tokenizeCard(ctx, { cardNumber, expMonth: 12, expYear: 2031, cvc: '123' });
  expect(res.userErrors).toEqual([]);
  return res.token!;
}

beforeAll(async () => {
  database = await createTestDatabase('payment');
  db = createPaymentDb(database.url);
  provider = createSimulatedProvider(db);
  server = await createPaymentServer({ databaseUrl: database.url, db, provider, log, webhookSecret: SECRET });
  base = await server.listen(0);
});

afterAll(async () => {
  await server?.close();
  await db?.$disconnect();
  await database?.drop();
});

describe('risk check before authorization', () => {
  it('declines an amount above the limit with RISK_DECLINED, never calls the provider and records the decision', async () => {
    const input = authInput({ amount: DEFAULT_RISK_RULES.maxAmount + 1 });
    const res = await authorizePayment(asService(), input);
    expect(res.payment).toBeNull();
    expect(res.userErrors).toEqual([expect.objectContaining({ code: 'RISK_DECLINED' })]);
    expect(await db.payment.count({ where: { orderId: input.orderId } })).toBe(0);
    const decision = await db.riskDecision.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } });
    expect(decision).toMatchObject({ outcome: 'DECLINED', rules: ['AMOUNT_LIMIT'], orderId: input.orderId, amount: input.amount });
    // A replay with the same key gets the recorded decision, not a second row.
    const again = await authorizePayment(asService(), input);
    expect(again.userErrors[0].code).toBe('RISK_DECLINED');
    expect(await db.riskDecision.count({ where: { orderId: input.orderId } })).toBe(1);
  });

  it('declines a billing/shipping country mismatch and approves matching countries', async () => {
    const mismatch = await authorizePayment(asService(), authInput({ billingCountry: 'nl', shippingCountry: 'US' }));
    expect(mismatch.userErrors[0]).toMatchObject({ code: 'RISK_DECLINED' });
    expect(mismatch.userErrors[0].message).toContain('COUNTRY_MISMATCH');
    const same = authInput({ billingCountry: 'NL', shippingCountry: 'nl' });
    const ok = await authorizePayment(asService(), same);
    expect(ok.userErrors).toEqual([]);
    expect(ok.payment?.status).toBe('AUTHORIZED');
    expect(await db.riskDecision.findUniqueOrThrow({ where: { idempotencyKey: same.idempotencyKey } })).toMatchObject({ outcome: 'APPROVED', rules: [], billingCountry: 'NL', shippingCountry: 'NL' });
  });

  it('card velocity: the same card (even under fresh tokens) pays for at most 5 orders in the window', async () => {
    const results = [];
    for (let i = 0; i < DEFAULT_RISK_RULES.cardVelocity.max + 1; i++) {
      // A different customer each time, so only the card rule can fire.
      const userId = newId();
      results.push(await authorizePayment(asService(), authInput({ userId, token: await freshToken(userId, '5555555555554444') })));
    }
    expect(results.slice(0, -1).every((r) => r.userErrors.length === 0)).toBe(true);
    expect(results.at(-1)!.userErrors[0].code).toBe('RISK_DECLINED');
    expect(results.at(-1)!.userErrors[0].message).toContain('CARD_VELOCITY');
  });

  it('customer velocity: at most 10 orders per customer in the window; retries of one order do not count', async () => {
    const userId = newId();
    // Cards are shared with other tests: only the customer rule is under test here.
    const rules = { ...DEFAULT_RISK_RULES, cardVelocity: { max: 1000, windowMs: 60_000 } };
    const first = authInput({ userId, token: await freshToken(userId, '4000056655665556') });
    for (let i = 0; i < 3; i++) await authorizePayment(asService(rules), { ...first, idempotencyKey: newId() });
    const outcomes: string[] = [];
    for (let i = 0; i < DEFAULT_RISK_RULES.customerVelocity.max; i++) {
      // A different card each time, so only the customer rule can fire.
      const card = ['4242424242424242', '5555555555554444', '4000056655665556', '4111111111111111', '6011111111111117'][i % 5];
      const res = await authorizePayment(asService(rules), authInput({ userId, token: await freshToken(userId, card) }));
      outcomes.push(res.userErrors[0]?.message ?? 'ok');
    }
    // 1 (retried) + 9 more are allowed; the 11th distinct order is refused.
    expect(outcomes.slice(0, 9)).toEqual(Array(9).fill('ok'));
    expect(outcomes[9]).toContain('CUSTOMER_VELOCITY');
  });

  it('the shared test tokens are exempt from velocity (load tests), not from the amount limit', async () => {
    const userId = newId();
    for (let i = 0; i < 12; i++) expect((await authorizePayment(asService(), authInput({ userId }))).userErrors).toEqual([]);
  });
});

describe('provider webhook', () => {
  async function capturedPayment() {
    const res = await authorizePayment(asService(), authInput());
    return res.payment!;
  }
  const post = (body: string, signature?: string) =>
    fetch(`${base}${WEBHOOK_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature ? { [SIGNATURE_HEADER]: signature } : {}) }, body });

  it('applies a signed late capture once; a redelivery of the same event id is a no-op', async () => {
    const payment = await capturedPayment();
    const body = JSON.stringify({ id: `evt_${newId()}`, type: 'payment.captured', data: { providerRef: payment.providerRef } });
    const first = await post(body, signWebhook(SECRET, body));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ received: true, duplicate: false, outcome: 'applied' });
    expect(await db.payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: 'CAPTURED', capturedAmount: payment.amount });

    const replay = await post(body, signWebhook(SECRET, body));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ duplicate: true });
    expect(await db.paymentEvent.count({ where: { paymentId: payment.id, kind: 'CAPTURE' } })).toBe(1);
    expect(await db.outboxEvent.count({ where: { aggregateId: payment.id, type: 'PaymentCaptured' } })).toBe(1);
  });

  it('applies provider-side refunds but never beyond what was captured', async () => {
    const auth = await capturedPayment();
    await capturePayment(asService(), { paymentId: auth.id });
    const refund = (amount: number) => {
      const body = JSON.stringify({ id: `evt_${newId()}`, type: 'payment.refunded', data: { providerRef: auth.providerRef, amount } });
      return post(body, signWebhook(SECRET, body)).then((r) => r.json());
    };
    expect(await refund(4_000)).toMatchObject({ outcome: 'applied' });
    expect(await refund(7_000)).toMatchObject({ outcome: 'ignored: refund exceeds capture' });
    expect(await refund(6_000)).toMatchObject({ outcome: 'applied' });
    expect(await db.payment.findUniqueOrThrow({ where: { id: auth.id } })).toMatchObject({ status: 'REFUNDED', refundedAmount: 10_000, capturedAmount: 10_000 });
    expect(await db.outboxEvent.count({ where: { aggregateId: auth.id, type: 'PaymentRefunded' } })).toBe(2);
  });

  it('rejects a wrong signature, a stale timestamp, a missing header and a body changed after signing', async () => {
    const payment = await capturedPayment();
    const body = JSON.stringify({ id: `evt_${newId()}`, type: 'payment.captured', data: { providerRef: payment.providerRef } });
    const wrongKey = await post(body, signWebhook('not-the-secret', body));
    const stale = await post(body, signWebhook(SECRET, body, new Date(Date.now() - 6 * 60_000)));
    const future = await post(body, signWebhook(SECRET, body, new Date(Date.now() + 6 * 60_000)));
    const missing = await post(body);
    const tampered = await post(body.replace('payment.captured', 'payment.voided'), signWebhook(SECRET, body));
    for (const res of [wrongKey, stale, future, missing, tampered]) expect(res.status).toBe(401);
    expect((await stale.json()).message).toBe('timestamp outside tolerance');
    expect((await db.payment.findUniqueOrThrow({ where: { id: payment.id } })).status).toBe('AUTHORIZED');
    expect(await db.webhookEvent.count({ where: { id: JSON.parse(body).id } })).toBe(0);
  });

  it('answers 400 to a signed but malformed body and records unknown types as ignored', async () => {
    const bad = 'not json';
    expect((await post(bad, signWebhook(SECRET, bad))).status).toBe(400);
    const unknown = JSON.stringify({ id: `evt_${newId()}`, type: 'payment.disputed', data: {} });
    const res = await post(unknown, signWebhook(SECRET, unknown));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'ignored: unknown type payment.disputed' });
  });
});
