import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId, type Viewer } from '@storefront/shared';
import { createTestDatabase, type TestDatabase } from '@storefront/shared/testing';
import { createPaymentContext, createPaymentDb, createSimulatedProvider, ProviderTimeoutError, TEST_TOKENS, type PaymentDb, type PaymentProvider } from '../src/index.ts';
import { authorizePayment, capturePayment, refundPayment, voidPayment, type AuthorizeInput } from '../src/services/payments.ts';
import { tokenizeCard } from '../src/services/tokens.ts';
import { brandOf, checkCard, luhnValid } from '../src/services/cards.ts';

let database: TestDatabase;
let db: PaymentDb;
let provider: PaymentProvider;
const TIMEOUT_MS = 150;

const SERVICE: Viewer = { roles: [], scopes: [], service: 'order' };
const userA = newId();
const userB = newId();
const ctxFor = (viewer: Viewer, p: PaymentProvider = provider) =>
  createPaymentContext(db, p)({ requestId: 'test', viewer, log: createLogger('payment-test') });
const asService = (p?: PaymentProvider) => ctxFor(SERVICE, p);
const asAdmin = () => ctxFor({ userId: newId(), roles: ['ADMIN'], scopes: ['payments:read:any', 'payments:write:any'] });

/** A provider that counts calls and lets a test replace one operation. */
function spy(overrides: Partial<PaymentProvider> = {}) {
  const calls: string[] = [];
  const wrapped: PaymentProvider = {
    name: provider.name,
    tokenize: (...a) => (calls.push('tokenize'), (overrides.tokenize ?? provider.tokenize)(...a)),
    authorize: (...a) => (calls.push('authorize'), (overrides.authorize ?? provider.authorize)(...a)),
    capture: (...a) => (calls.push('capture'), (overrides.capture ?? provider.capture)(...a)),
    void: (...a) => (calls.push('void'), (overrides.void ?? provider.void)(...a)),
    refund: (...a) => (calls.push('refund'), (overrides.refund ?? provider.refund)(...a)),
  };
  return { provider: wrapped, calls };
}

const authInput = (over: Partial<AuthorizeInput> = {}): AuthorizeInput => ({
  orderId: newId(), userId: userA, amount: 10_000, currencyCode: 'USD', token: TEST_TOKENS.success, idempotencyKey: newId(), ...over,
});

async function authorized(amount = 10_000) {
  const res = await authorizePayment(asService(), authInput({ amount }));
  expect(res.userErrors).toEqual([]);
  return res.payment!;
}

async function captured(amount = 10_000) {
  const p = await authorized(amount);
  const res = await capturePayment(asService(), { paymentId: p.id });
  expect(res.userErrors).toEqual([]);
  return res.payment!;
}

const ledger = (paymentId: string) => db.paymentEvent.findMany({ where: { paymentId }, orderBy: { at: 'asc' } });
const outbox = (paymentId: string) => db.outboxEvent.findMany({ where: { aggregateId: paymentId }, orderBy: { occurredAt: 'asc' } });

beforeAll(async () => {
  database = await createTestDatabase('payment');
  db = createPaymentDb(database.url);
  provider = createSimulatedProvider(db, { timeoutMs: TIMEOUT_MS });
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('card rules', () => {
  it('checks the Luhn digit and reads the brand from the prefix', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(brandOf('4242424242424242')).toBe('VISA');
    expect(brandOf('5555555555554444')).toBe('MASTERCARD');
    expect(brandOf('2223003122003222')).toBe('MASTERCARD');
    expect(brandOf('378282246310005')).toBe('AMEX');
    expect(brandOf('6011111111111117')).toBe('DISCOVER');
    expect(brandOf('3566002020360505')).toBe('UNKNOWN');
  });

  it('refuses bad numbers, expiries and security codes without echoing the number', () => {
    const now = new Date(Date.UTC(2026, 5, 15));
    const card = { cardNumber: '4242 4242 4242 4242', expMonth: 12, expYear: 2030, cvc: '123' };
    expect(checkCard(card, now)).toMatchObject({ ok: true, card: { brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2030 } });
    const bad = checkCard({ ...card, cardNumber: '4242 4242 4242 4241' }, now);
    expect(bad).toMatchObject({ ok: false, code: 'INVALID_CARD_NUMBER', field: 'cardNumber' });
    expect(JSON.stringify(bad)).not.toContain('424242');
    expect(checkCard({ ...card, cardNumber: '4242-abcd' }, now)).toMatchObject({ code: 'INVALID_CARD_NUMBER' });
    expect(checkCard({ ...card, cardNumber: '378282246310005' }, now)).toMatchObject({ code: 'INVALID_CVC' });
    expect(checkCard({ ...card, cardNumber: '378282246310005', cvc: '1234' }, now)).toMatchObject({ ok: true, card: { brand: 'AMEX', last4: '0005' } });
    expect(checkCard({ ...card, expMonth: 13 }, now)).toMatchObject({ code: 'INVALID_EXPIRY', field: 'expMonth' });
    expect(checkCard({ ...card, expMonth: 5, expYear: 2026 }, now)).toMatchObject({ code: 'CARD_EXPIRED' });
    expect(checkCard({ ...card, expMonth: 6, expYear: 2026 }, now)).toMatchObject({ ok: true });
    expect(checkCard({ ...card, expYear: 30 }, now)).toMatchObject({ code: 'INVALID_EXPIRY', field: 'expYear' });
    expect(checkCard({ ...card, cvc: '12a' }, now)).toMatchObject({ code: 'INVALID_CVC' });
  });
});

describe('tokenize', () => {
  it('stores brand, last four, expiry and a keyed fingerprint, never the number or the CVC', async () => {
    const number = '5555555555554444';
    const first = await tokenizeCard(ctxFor({ userId: userA, roles: ['CUSTOMER'], scopes: [] }), { cardNumber: number, expMonth: 8, expYear: 2031, cvc: '987' });
    const second = await tokenizeCard(ctxFor({ roles: [], scopes: [] }), { cardNumber: '5555 5555 5555 4444', expMonth: 8, expYear: 2031, cvc: '987' });
    expect(first.userErrors).toEqual([]);
    expect(first.token).toMatch(/^tok_[0-9a-f]{32}$/);
    expect(first.card).toEqual({ brand: 'MASTERCARD', last4: '4444', expMonth: 8, expYear: 2031 });
    expect(second.token).not.toBe(first.token);

    const rows = await db.$queryRaw<{ row: string }[]>`SELECT row_to_json(t)::text AS row FROM "CardToken" t`;
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const { row } of rows) {
      expect(row).not.toContain(number);
      expect(row).not.toContain('555555555555');
      // Every column and the shape of its value: nowhere for a CVC to hide. (A substring test for "987" fails
      // whenever a timestamp's milliseconds or a hex token happen to contain it.)
      expect(JSON.parse(row)).toEqual({
        token: expect.stringMatching(/^tok_[0-9a-f]{32}$/),
        brand: expect.stringMatching(/^[A-Z]+$/),
        last4: expect.stringMatching(/^\d{4}$/),
        expMonth: expect.any(Number),
        expYear: expect.any(Number),
        fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        userId: expect.toSatisfy((v: unknown) => v === null || (typeof v === 'string' && /^[0-9a-f-]{36}$/.test(v))),
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T[\d:.]+$/),
      });
    }
    const [a, b] = await Promise.all([first.token!, second.token!].map((token) => db.cardToken.findUniqueOrThrow({ where: { token } })));
    expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.userId).toBe(userA);
    expect(b.userId).toBeNull();
  });

  it('answers a bad card with a user error and stores nothing', async () => {
    const before = await db.cardToken.count();
    const res = await tokenizeCard(asService(), { cardNumber: '4242424242424241', expMonth: 12, expYear: 2030, cvc: '123' });
    expect(res).toMatchObject({ token: null, card: null, userErrors: [{ code: 'INVALID_CARD_NUMBER', field: ['input', 'cardNumber'] }] });
    expect(await db.cardToken.count()).toBe(before);
  });
});

describe('authorize', () => {
  it('authorizes tok_success and writes the payment, its ledger row and PaymentAuthorized together', async () => {
    const input = authInput({ amount: 4_599 });
    const res = await authorizePayment(asService(), input);
    expect(res.userErrors).toEqual([]);
    const p = res.payment!;
    expect(p).toMatchObject({ orderId: input.orderId, userId: userA, status: 'AUTHORIZED', amount: 4_599, capturedAmount: 0, refundedAmount: 0, cardBrand: 'VISA', cardLast4: '4242', provider: 'simulated' });
    expect(p.providerRef).toMatch(/^sim_auth_/);
    expect(await ledger(p.id)).toMatchObject([{ kind: 'AUTHORIZE', amount: 4_599, succeeded: true, providerRef: p.providerRef, actor: 'service:order' }]);
    const events = await outbox(p.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'PaymentAuthorized', publishedAt: null, payload: { paymentId: p.id, orderId: input.orderId, userId: userA, amount: 4_599, currency: 'USD' } });
  });

  it('replays an idempotency key without a second charge, and refuses the key for another authorization', async () => {
    const { provider: counted, calls } = spy();
    const input = authInput();
    const first = await authorizePayment(asService(counted), input);
    const again = await authorizePayment(asService(counted), input);
    expect(again).toEqual(first);
    expect(calls).toEqual(['authorize']);
    expect(await ledger(first.payment!.id)).toHaveLength(1);
    expect(await outbox(first.payment!.id)).toHaveLength(1);

    const reused = await authorizePayment(asService(counted), { ...input, amount: input.amount + 1 });
    expect(reused.userErrors[0].code).toBe('IDEMPOTENCY_KEY_REUSED');
    const second = await authorizePayment(asService(counted), { ...input, idempotencyKey: newId() });
    expect(second.userErrors[0].code).toBe('PAYMENT_EXISTS');
    expect(second.payment!.id).toBe(first.payment!.id);
    expect(calls).toEqual(['authorize']);
  });

  it('settles concurrent calls with one key on one payment', async () => {
    const input = authInput();
    const results = await Promise.all(Array.from({ length: 5 }, () => authorizePayment(asService(), input)));
    const ids = new Set(results.map((r) => r.payment?.id));
    expect(ids.size).toBe(1);
    expect(results.every((r) => r.userErrors.length === 0)).toBe(true);
    expect(await db.payment.count({ where: { orderId: input.orderId } })).toBe(1);
    expect(await ledger([...ids][0]!)).toHaveLength(1);
  });

  it('records tok_insufficient_funds as a FAILED payment with PaymentFailed, and lets the order retry with another card', async () => {
    const input = authInput({ token: TEST_TOKENS.insufficientFunds });
    const declined = await authorizePayment(asService(), input);
    expect(declined.userErrors).toMatchObject([{ code: 'PAYMENT_DECLINED', field: ['input', 'token'] }]);
    expect(declined.payment).toMatchObject({ status: 'FAILED', failureCode: 'insufficient_funds', cardLast4: '9995' });
    const id = declined.payment!.id;
    expect(await outbox(id)).toMatchObject([{ type: 'PaymentFailed', payload: { failureCode: 'insufficient_funds', retryable: false } }]);

    const retry = await authorizePayment(asService(), { ...input, token: TEST_TOKENS.success, idempotencyKey: newId() });
    expect(retry.userErrors).toEqual([]);
    expect(retry.payment).toMatchObject({ id, status: 'AUTHORIZED', failureCode: null, cardLast4: '4242' });
    expect((await ledger(id)).map((e) => [e.kind, e.succeeded, e.failureCode])).toEqual([
      ['AUTHORIZE', false, 'insufficient_funds'],
      ['AUTHORIZE', true, null],
    ]);
    expect((await outbox(id)).map((e) => e.type)).toEqual(['PaymentFailed', 'PaymentAuthorized']);
  });

  it('reports tok_processing_error as a retryable provider error', async () => {
    const res = await authorizePayment(asService(), authInput({ token: TEST_TOKENS.processingError }));
    expect(res.userErrors[0].code).toBe('PROVIDER_ERROR');
    expect(res.payment).toMatchObject({ status: 'FAILED', failureCode: 'processing_error' });
    expect(await outbox(res.payment!.id)).toMatchObject([{ type: 'PaymentFailed', payload: { retryable: true } }]);
  });

  it('answers tok_timeout with PROVIDER_TIMEOUT after the delay and records nothing', async () => {
    const input = authInput({ token: TEST_TOKENS.timeout });
    const started = Date.now();
    const res = await authorizePayment(asService(), input);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(res).toMatchObject({ payment: null, userErrors: [{ code: 'PROVIDER_TIMEOUT' }] });
    expect(await db.payment.count({ where: { orderId: input.orderId } })).toBe(0);
    await expect(provider.authorize({ token: TEST_TOKENS.timeout, amount: 1, currency: 'USD', idempotencyKey: 'k', userId: userA })).rejects.toBeInstanceOf(ProviderTimeoutError);
  });

  it('treats a tokenized card like tok_success, but only for the user who tokenized it', async () => {
    const tokenized = await tokenizeCard(ctxFor({ userId: userA, roles: ['CUSTOMER'], scopes: [] }), { cardNumber: '378282246310005', expMonth: 3, expYear: 2032, cvc: '1234' });
    const mine = await authorizePayment(asService(), authInput({ token: tokenized.token! }));
    expect(mine.userErrors).toEqual([]);
    expect(mine.payment).toMatchObject({ status: 'AUTHORIZED', cardBrand: 'AMEX', cardLast4: '0005', cardExpMonth: 3, cardExpYear: 2032 });
    const theirs = await authorizePayment(asService(), authInput({ token: tokenized.token!, userId: userB }));
    expect(theirs.userErrors[0].code).toBe('PAYMENT_DECLINED');
    expect(theirs.payment).toMatchObject({ status: 'FAILED', failureCode: 'invalid_token' });
    const unknown = await authorizePayment(asService(), authInput({ token: 'tok_0000' }));
    expect(unknown.payment).toMatchObject({ status: 'FAILED', failureCode: 'invalid_token' });
  });

  it('validates amounts and currencies and is for services only', async () => {
    expect((await authorizePayment(asService(), authInput({ amount: 0 }))).userErrors[0].code).toBe('INVALID_AMOUNT');
    expect((await authorizePayment(asService(), authInput({ amount: 12.5 }))).userErrors[0].code).toBe('INVALID_AMOUNT');
    expect((await authorizePayment(asService(), authInput({ currencyCode: 'usd' }))).userErrors[0].code).toBe('INVALID_CURRENCY');
    const customer = ctxFor({ userId: userA, roles: ['CUSTOMER'], scopes: ['orders:read'] });
    await expect(authorizePayment(customer, authInput())).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await expect(capturePayment(asAdmin(), { paymentId: newId() })).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await expect(voidPayment(customer, { paymentId: newId() })).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });
});

describe('capture', () => {
  it('captures in full with a ledger row and PaymentCaptured; a second capture changes nothing', async () => {
    const p = await authorized(7_500);
    const { provider: counted, calls } = spy();
    const res = await capturePayment(asService(counted), { paymentId: p.id });
    expect(res.userErrors).toEqual([]);
    expect(res.payment).toMatchObject({ status: 'CAPTURED', capturedAmount: 7_500 });
    const again = await capturePayment(asService(counted), { paymentId: p.id });
    expect(again.userErrors).toEqual([]);
    expect(calls).toEqual(['capture']);
    expect((await ledger(p.id)).map((e) => [e.kind, e.amount])).toEqual([['AUTHORIZE', 7_500], ['CAPTURE', 7_500]]);
    expect((await outbox(p.id)).map((e) => e.type)).toEqual(['PaymentAuthorized', 'PaymentCaptured']);
  });

  it('captures part of an authorization but never more than it', async () => {
    const p = await authorized(5_000);
    const over = await capturePayment(asService(), { paymentId: p.id, amount: 5_001 });
    expect(over.userErrors[0].code).toBe('CAPTURE_EXCEEDS_AUTHORIZATION');
    const part = await capturePayment(asService(), { paymentId: p.id, amount: 4_000 });
    expect(part.payment).toMatchObject({ status: 'CAPTURED', amount: 5_000, capturedAmount: 4_000 });
    expect((await capturePayment(asService(), { paymentId: p.id, amount: 4_500 })).userErrors[0].code).toBe('INVALID_STATE');
  });

  it('refuses to capture failed, voided and unknown payments', async () => {
    const failed = await authorizePayment(asService(), authInput({ token: TEST_TOKENS.insufficientFunds }));
    expect((await capturePayment(asService(), { paymentId: failed.payment!.id })).userErrors[0].code).toBe('INVALID_STATE');
    const p = await authorized();
    await voidPayment(asService(), { paymentId: p.id });
    expect((await capturePayment(asService(), { paymentId: p.id })).userErrors[0].code).toBe('INVALID_STATE');
    expect((await capturePayment(asService(), { paymentId: newId() })).userErrors[0].code).toBe('PAYMENT_NOT_FOUND');
  });

  it('keeps the payment AUTHORIZED when the provider refuses or times out, and logs the refusal', async () => {
    const p = await authorized();
    const refusing = spy({ capture: async () => ({ ok: false, code: 'authorization_expired', retryable: false }) }).provider;
    const refused = await capturePayment(asService(refusing), { paymentId: p.id });
    expect(refused.userErrors[0].code).toBe('PROVIDER_ERROR');
    const slow = spy({ capture: async () => { throw new ProviderTimeoutError('capture', 1); } }).provider;
    const timedOut = await capturePayment(asService(slow), { paymentId: p.id });
    expect(timedOut.userErrors[0].code).toBe('PROVIDER_TIMEOUT');
    expect(timedOut.payment).toMatchObject({ status: 'AUTHORIZED', capturedAmount: 0 });
    expect((await ledger(p.id)).map((e) => [e.kind, e.succeeded, e.failureCode])).toEqual([
      ['AUTHORIZE', true, null],
      ['CAPTURE', false, 'authorization_expired'],
    ]);
    expect((await outbox(p.id)).map((e) => e.type)).toEqual(['PaymentAuthorized']);
    // The lock taken for the timed-out call was released with its transaction.
    expect((await capturePayment(asService(), { paymentId: p.id })).payment?.status).toBe('CAPTURED');
  });

  it('writes nothing when the outbox write fails: payment, ledger and event share one transaction', async () => {
    const p = await authorized();
    await db.$executeRawUnsafe(`CREATE FUNCTION refuse_outbox() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'outbox unavailable'; END $$ LANGUAGE plpgsql`);
    await db.$executeRawUnsafe(`CREATE TRIGGER refuse_outbox BEFORE INSERT ON "OutboxEvent" FOR EACH ROW EXECUTE FUNCTION refuse_outbox()`);
    try {
      await expect(capturePayment(asService(), { paymentId: p.id })).rejects.toThrow();
    } finally {
      await db.$executeRawUnsafe('DROP TRIGGER refuse_outbox ON "OutboxEvent"');
      await db.$executeRawUnsafe('DROP FUNCTION refuse_outbox()');
    }
    expect(await db.payment.findUniqueOrThrow({ where: { id: p.id } })).toMatchObject({ status: 'AUTHORIZED', capturedAmount: 0 });
    expect((await ledger(p.id)).map((e) => e.kind)).toEqual(['AUTHORIZE']);
  });
});

describe('void', () => {
  it('voids an authorization once, with a ledger row and PaymentVoided', async () => {
    const p = await authorized(3_000);
    const res = await voidPayment(asService(), { paymentId: p.id });
    expect(res.payment?.status).toBe('VOIDED');
    expect((await voidPayment(asService(), { paymentId: p.id })).userErrors).toEqual([]);
    expect((await ledger(p.id)).map((e) => [e.kind, e.amount])).toEqual([['AUTHORIZE', 3_000], ['VOID', 3_000]]);
    expect((await outbox(p.id)).map((e) => e.type)).toEqual(['PaymentAuthorized', 'PaymentVoided']);
  });

  it('leaves failed payments alone and refuses captured ones', async () => {
    const failed = await authorizePayment(asService(), authInput({ token: TEST_TOKENS.insufficientFunds }));
    const res = await voidPayment(asService(), { paymentId: failed.payment!.id });
    expect(res).toMatchObject({ userErrors: [], payment: { status: 'FAILED' } });
    const c = await captured();
    expect((await voidPayment(asService(), { paymentId: c.id })).userErrors[0].code).toBe('INVALID_STATE');
  });
});

describe('refund', () => {
  it('refunds in parts up to the captured amount and no further (REFUND_EXCEEDS_CAPTURE)', async () => {
    const p = await captured(10_000);
    const { provider: counted, calls } = spy();
    const admin = asAdmin();
    const ctx = { ...admin, provider: counted };
    const first = await refundPayment(ctx, { paymentId: p.id, amount: 3_000, reason: 'damaged' });
    expect(first.payment).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: 3_000 });
    const over = await refundPayment(ctx, { paymentId: p.id, amount: 7_001 });
    expect(over.userErrors).toMatchObject([{ code: 'REFUND_EXCEEDS_CAPTURE', field: ['input', 'amount'] }]);
    expect(over.payment?.refundedAmount).toBe(3_000);
    const rest = await refundPayment(ctx, { paymentId: p.id, amount: 7_000 });
    expect(rest.payment).toMatchObject({ status: 'REFUNDED', refundedAmount: 10_000 });
    expect((await refundPayment(ctx, { paymentId: p.id, amount: 1 })).userErrors[0].code).toBe('REFUND_EXCEEDS_CAPTURE');
    expect(calls).toEqual(['refund', 'refund']);

    const refunds = (await ledger(p.id)).filter((e) => e.kind === 'REFUND');
    expect(refunds.map((e) => e.amount)).toEqual([3_000, 7_000]);
    expect(refunds[0]).toMatchObject({ reason: 'damaged', actor: admin.viewer.userId });
    const events = (await outbox(p.id)).filter((e) => e.type === 'PaymentRefunded');
    expect(events.map((e) => e.payload)).toMatchObject([
      { refundAmount: 3_000, refundedAmount: 3_000, fullyRefunded: false, reason: 'damaged' },
      { refundAmount: 7_000, refundedAmount: 10_000, fullyRefunded: true },
    ]);
  });

  it('refunds only against what was captured, not what was authorized', async () => {
    const p = await authorized(10_000);
    expect((await refundPayment(asAdmin(), { paymentId: p.id, amount: 100 })).userErrors[0].code).toBe('INVALID_STATE');
    await capturePayment(asService(), { paymentId: p.id, amount: 6_000 });
    expect((await refundPayment(asAdmin(), { paymentId: p.id, amount: 6_001 })).userErrors[0].code).toBe('REFUND_EXCEEDS_CAPTURE');
    expect((await refundPayment(asAdmin(), { paymentId: p.id, amount: 6_000 })).payment?.status).toBe('REFUNDED');
  });

  it('refunds once per idempotency key', async () => {
    const p = await captured(10_000);
    const key = newId();
    const first = await refundPayment(asAdmin(), { paymentId: p.id, amount: 2_500, idempotencyKey: key });
    const replay = await refundPayment(asAdmin(), { paymentId: p.id, amount: 2_500, idempotencyKey: key });
    expect(replay.userErrors).toEqual([]);
    expect(replay.payment?.refundedAmount).toBe(2_500);
    expect(first.payment?.refundedAmount).toBe(2_500);
    expect((await refundPayment(asAdmin(), { paymentId: p.id, amount: 1_000, idempotencyKey: key })).userErrors[0].code).toBe('IDEMPOTENCY_KEY_REUSED');
    const other = await captured(1_000);
    expect((await refundPayment(asAdmin(), { paymentId: other.id, amount: 2_500, idempotencyKey: key })).userErrors[0].code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('never over-refunds under concurrent requests', async () => {
    const p = await captured(10_000);
    const results = await Promise.all(Array.from({ length: 6 }, () => refundPayment(asAdmin(), { paymentId: p.id, amount: 3_000 })));
    expect(results.filter((r) => r.userErrors.length === 0)).toHaveLength(3);
    expect(results.filter((r) => r.userErrors[0]?.code === 'REFUND_EXCEEDS_CAPTURE')).toHaveLength(3);
    const row = await db.payment.findUniqueOrThrow({ where: { id: p.id } });
    expect(row).toMatchObject({ refundedAmount: 9_000, status: 'PARTIALLY_REFUNDED' });
    const refunded = (await ledger(p.id)).filter((e) => e.kind === 'REFUND' && e.succeeded).reduce((s, e) => s + e.amount, 0);
    expect(refunded).toBe(row.refundedAmount);
  });

  it('is refused to customers and support, and the database refuses over-refunds on its own', async () => {
    const p = await captured(1_000);
    await expect(refundPayment(ctxFor({ userId: userA, roles: ['CUSTOMER'], scopes: ['orders:read'] }), { paymentId: p.id, amount: 100 }))
      .rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await expect(refundPayment(ctxFor({ userId: userB, roles: ['SUPPORT'], scopes: ['payments:read:any'] }), { paymentId: p.id, amount: 100 }))
      .rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await expect(db.payment.update({ where: { id: p.id }, data: { refundedAmount: 1_001 } })).rejects.toThrow(/Payment_amounts_check|check constraint/i);
    await expect(db.payment.update({ where: { id: p.id }, data: { capturedAmount: 1_001 } })).rejects.toThrow(/Payment_amounts_check|check constraint/i);
  });
});
