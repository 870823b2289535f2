import { badInput, newId, userError, type UserError } from '@storefront/shared';
import { Prisma } from '../generated/prisma/client.ts';
import type { PaymentEventKind } from '../generated/prisma/enums.ts';
import type { PaymentModel } from '../generated/prisma/models.ts';
import type { PaymentContext } from '../context.ts';
import type { PaymentDb, PaymentTx } from '../db.ts';
import { assertCanWriteAny, assertService, canRead } from './access.ts';
import type { CardErrorCode } from './cards.ts';
import { recordEvent } from './outbox.ts';
import { ProviderTimeoutError, type AuthorizeResult } from './provider.ts';
import { assessRisk } from './risk.ts';

/**
 * The payment lifecycle: AUTHORIZED -> CAPTURED -> PARTIALLY_REFUNDED -> REFUNDED, or AUTHORIZED ->
 * VOIDED, or FAILED (retryable on the same row). Each operation writes the payment, its ledger row
 * (PaymentEvent) and its outbox event in one transaction. Provider calls that change an existing
 * payment run while its row is locked (SELECT ... FOR UPDATE), so concurrent captures, voids and
 * refunds of one payment are serialized and a refund can never exceed what was captured.
 */

export type PaymentErrorCode =
  | CardErrorCode
  | 'INVALID_AMOUNT'
  | 'INVALID_CURRENCY'
  | 'PAYMENT_NOT_FOUND'
  | 'PAYMENT_EXISTS'
  | 'PAYMENT_DECLINED'
  | 'PROVIDER_ERROR'
  | 'PROVIDER_TIMEOUT'
  | 'INVALID_STATE'
  | 'CAPTURE_EXCEEDS_AUTHORIZATION'
  | 'REFUND_EXCEEDS_CAPTURE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'RISK_DECLINED';

export interface PaymentPayload {
  payment: PaymentModel | null;
  userErrors: UserError<PaymentErrorCode>[];
}

/** Operations on one payment queue on its row lock, and a provider call runs inside the lock. */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

const ok = (payment: PaymentModel): PaymentPayload => ({ payment, userErrors: [] });
const failure = (code: PaymentErrorCode, message: string, field?: string[] | null, payment: PaymentModel | null = null): PaymentPayload => ({
  payment,
  userErrors: [userError(code, message, field ?? undefined)],
});

function checkAmount(amount: number): PaymentPayload | null {
  return Number.isSafeInteger(amount) && amount > 0
    ? null
    : failure('INVALID_AMOUNT', 'The amount must be a positive whole number of minor units', ['input', 'amount']);
}

const actorOf = (ctx: PaymentContext) => (ctx.viewer.service ? `service:${ctx.viewer.service}` : ctx.viewer.userId ?? null);

const prismaCode = (e: unknown) => (e instanceof Prisma.PrismaClientKnownRequestError ? e.code : null);
/** A unique key taken meanwhile (P2002) or a conditional update that found its row changed (P2025). */
const isConflict = (e: unknown) => prismaCode(e) === 'P2002' || prismaCode(e) === 'P2025';

const eventBase = (p: PaymentModel) => ({ paymentId: p.id, orderId: p.orderId, userId: p.userId, amount: p.amount, currency: p.currency });

async function appendLedger(
  tx: PaymentTx,
  ctx: PaymentContext,
  payment: PaymentModel,
  kind: PaymentEventKind,
  amount: number,
  extra: { providerRef?: string | null; succeeded?: boolean; failureCode?: string | null; idempotencyKey?: string | null; reason?: string | null } = {},
) {
  await tx.paymentEvent.create({
    data: {
      id: newId(), paymentId: payment.id, kind, amount, currency: payment.currency, providerRef: extra.providerRef ?? null,
      succeeded: extra.succeeded ?? true, failureCode: extra.failureCode ?? null, idempotencyKey: extra.idempotencyKey ?? null,
      reason: extra.reason ?? null, actor: actorOf(ctx),
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Reads

export async function getPayment(ctx: PaymentContext, id: string): Promise<PaymentModel | null> {
  const payment = await ctx.loaders.payment.load(id);
  return payment && canRead(ctx.viewer, payment) ? payment : null;
}

export async function paymentForOrder(ctx: PaymentContext, orderId: string): Promise<PaymentModel | null> {
  const payment = await ctx.loaders.paymentByOrder.load(orderId);
  return payment && canRead(ctx.viewer, payment) ? payment : null;
}

// ---------------------------------------------------------------------------------------------
// Authorize

export interface AuthorizeInput {
  orderId: string;
  userId: string;
  amount: number;
  currencyCode: string;
  token: string;
  idempotencyKey: string;
  /** For the risk check's country rule (ISO 3166-1 alpha-2). */
  billingCountry?: string | null;
  shippingCountry?: string | null;
}

function authorizationPayload(payment: PaymentModel): PaymentPayload {
  if (payment.status !== 'FAILED') return ok(payment);
  return payment.failureCode === 'processing_error'
    ? failure('PROVIDER_ERROR', 'The payment provider could not process the card; try again', ['input', 'token'], payment)
    : failure('PAYMENT_DECLINED', `The card was declined (${payment.failureCode ?? 'declined'})`, ['input', 'token'], payment);
}

/** The answer when this authorization already happened (a replay) or may not happen; null to go ahead. */
async function settledAuthorization(db: PaymentDb, input: AuthorizeInput): Promise<PaymentPayload | null> {
  const byKey = await db.payment.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
  if (byKey) {
    const same = byKey.orderId === input.orderId && byKey.amount === input.amount && byKey.currency === input.currencyCode;
    return same ? authorizationPayload(byKey) : failure('IDEMPOTENCY_KEY_REUSED', 'This idempotencyKey was used for a different authorization', ['input', 'idempotencyKey']);
  }
  const byOrder = await db.payment.findUnique({ where: { orderId: input.orderId } });
  if (byOrder && byOrder.status !== 'FAILED') return failure('PAYMENT_EXISTS', 'The order already has a payment', ['input', 'orderId'], byOrder);
  return null;
}

async function writeAuthorization(tx: PaymentTx, ctx: PaymentContext, input: AuthorizeInput, result: AuthorizeResult): Promise<PaymentModel> {
  const card = result.card;
  const data = {
    userId: input.userId,
    status: result.approved ? ('AUTHORIZED' as const) : ('FAILED' as const),
    amount: input.amount,
    capturedAmount: 0,
    refundedAmount: 0,
    currency: input.currencyCode,
    provider: ctx.provider.name,
    providerRef: result.providerRef,
    cardBrand: card?.brand ?? null,
    cardLast4: card?.last4 ?? null,
    cardExpMonth: card?.expMonth ?? null,
    cardExpYear: card?.expYear ?? null,
    idempotencyKey: input.idempotencyKey,
    failureCode: result.approved ? null : result.declineCode,
  };
  const previous = await tx.payment.findUnique({ where: { orderId: input.orderId } });
  // Only a FAILED payment is retried in place; if it changed meanwhile the update finds nothing (P2025).
  const payment = previous
    ? await tx.payment.update({ where: { id: previous.id, status: 'FAILED' }, data })
    : await tx.payment.create({ data: { id: newId(), orderId: input.orderId, ...data } });
  await appendLedger(tx, ctx, payment, 'AUTHORIZE', input.amount, {
    providerRef: result.providerRef, succeeded: result.approved, failureCode: data.failureCode,
  });
  if (result.approved) await recordEvent(tx, 'PaymentAuthorized', payment.id, { ...eventBase(payment), status: payment.status });
  else await recordEvent(tx, 'PaymentFailed', payment.id, { ...eventBase(payment), failureCode: result.declineCode, retryable: result.retryable });
  return payment;
}

/**
 * Authorizes an order's amount on a card token (internal: the checkout saga). Idempotent by
 * idempotencyKey: a replay answers with the payment the first call produced, declined or not. A
 * declined payment is recorded as FAILED (with a PaymentFailed event) and may be retried with a new
 * key; a provider timeout records nothing, since its outcome is unknown: retry with the same key.
 */
export async function authorizePayment(ctx: PaymentContext, input: AuthorizeInput): Promise<PaymentPayload> {
  assertService(ctx.viewer);
  const invalid = checkAmount(input.amount);
  if (invalid) return invalid;
  if (!/^[A-Z]{3}$/.test(input.currencyCode)) return failure('INVALID_CURRENCY', 'currencyCode must be an ISO 4217 code such as USD', ['input', 'currencyCode']);
  if (!input.idempotencyKey.trim()) throw badInput('idempotencyKey must not be empty', 'idempotencyKey');

  const settled = await settledAuthorization(ctx.db, input);
  if (settled) return settled;

  // The risk check: a flagged attempt never reaches the provider. The decision (with the rules that
  // fired) is in RiskDecision; no Payment row is written, so the order may still pay another way.
  const risk = await assessRisk(ctx.db, input, ctx.risk);
  if (risk.outcome === 'DECLINED') {
    ctx.log.info({ orderId: input.orderId, rules: risk.rules }, 'authorization refused by the risk check');
    return failure('RISK_DECLINED', `The payment was declined by the risk check (${risk.rules.join(', ')})`, ['input', 'token']);
  }

  let result: AuthorizeResult;
  try {
    result = await ctx.provider.authorize({
      token: input.token, amount: input.amount, currency: input.currencyCode, idempotencyKey: input.idempotencyKey, userId: input.userId,
    });
  } catch (e) {
    if (!(e instanceof ProviderTimeoutError)) throw e;
    ctx.log.warn({ orderId: input.orderId }, 'payment provider timed out on authorize');
    return failure('PROVIDER_TIMEOUT', 'The payment provider did not answer in time; retry with the same idempotencyKey');
  }

  try {
    return authorizationPayload(await ctx.db.$transaction((tx) => writeAuthorization(tx, ctx, input, result), TRANSACTION_OPTIONS));
  } catch (e) {
    // A concurrent call for the same key or order won the race: answer as it was settled.
    if (isConflict(e)) {
      const again = await settledAuthorization(ctx.db, input);
      if (again) return again;
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Capture, void, refund: on an existing payment, under its row lock

async function withLockedPayment(
  ctx: PaymentContext,
  paymentId: string,
  fn: (tx: PaymentTx, payment: PaymentModel) => Promise<PaymentPayload>,
): Promise<PaymentPayload> {
  try {
    return await ctx.db.$transaction(
      async (tx) => {
        const locked = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "Payment" WHERE "id" = ${paymentId} FOR UPDATE`;
        if (locked.length === 0) return failure('PAYMENT_NOT_FOUND', 'No such payment', ['input', 'paymentId']);
        return fn(tx, await tx.payment.findUniqueOrThrow({ where: { id: paymentId } }));
      },
      TRANSACTION_OPTIONS,
    );
  } catch (e) {
    if (!(e instanceof ProviderTimeoutError)) throw e;
    ctx.log.warn({ paymentId }, 'payment provider timed out');
    return failure('PROVIDER_TIMEOUT', 'The payment provider did not answer in time; retry', null, await ctx.db.payment.findUnique({ where: { id: paymentId } }));
  }
}

export interface CaptureInput {
  paymentId: string;
  /** Defaults to the whole authorized amount. */
  amount?: number | null;
}

/** Captures an authorized payment (internal). Capturing a captured payment again is a no-op. */
export async function capturePayment(ctx: PaymentContext, input: CaptureInput): Promise<PaymentPayload> {
  assertService(ctx.viewer);
  if (input.amount != null) {
    const invalid = checkAmount(input.amount);
    if (invalid) return invalid;
  }
  return withLockedPayment(ctx, input.paymentId, async (tx, p) => {
    if (p.status === 'CAPTURED' || p.status === 'PARTIALLY_REFUNDED' || p.status === 'REFUNDED') {
      return input.amount == null || input.amount === p.capturedAmount
        ? ok(p)
        : failure('INVALID_STATE', `The payment was already captured for ${p.capturedAmount}`, ['input', 'amount'], p);
    }
    if (p.status !== 'AUTHORIZED') return failure('INVALID_STATE', `A ${p.status} payment cannot be captured`, null, p);
    const amount = input.amount ?? p.amount;
    if (amount > p.amount) return failure('CAPTURE_EXCEEDS_AUTHORIZATION', `At most ${p.amount} can be captured`, ['input', 'amount'], p);

    const res = await ctx.provider.capture({ providerRef: p.providerRef!, amount, currency: p.currency, idempotencyKey: `capture:${p.id}` });
    if (!res.ok) {
      await appendLedger(tx, ctx, p, 'CAPTURE', amount, { succeeded: false, failureCode: res.code });
      return failure('PROVIDER_ERROR', `The payment provider refused the capture (${res.code})`, null, p);
    }
    const updated = await tx.payment.update({ where: { id: p.id }, data: { status: 'CAPTURED', capturedAmount: amount } });
    await appendLedger(tx, ctx, updated, 'CAPTURE', amount, { providerRef: res.providerRef });
    await recordEvent(tx, 'PaymentCaptured', p.id, { ...eventBase(updated), capturedAmount: amount });
    return ok(updated);
  });
}

/** Releases an authorization (internal). A voided or failed payment is left as it is, without error. */
export async function voidPayment(ctx: PaymentContext, input: { paymentId: string }): Promise<PaymentPayload> {
  assertService(ctx.viewer);
  return withLockedPayment(ctx, input.paymentId, async (tx, p) => {
    if (p.status === 'VOIDED' || p.status === 'FAILED') return ok(p);
    if (p.status !== 'AUTHORIZED') return failure('INVALID_STATE', `A ${p.status} payment cannot be voided; refund it instead`, null, p);

    const res = await ctx.provider.void({ providerRef: p.providerRef!, idempotencyKey: `void:${p.id}` });
    if (!res.ok) {
      await appendLedger(tx, ctx, p, 'VOID', p.amount, { succeeded: false, failureCode: res.code });
      return failure('PROVIDER_ERROR', `The payment provider refused the void (${res.code})`, null, p);
    }
    const updated = await tx.payment.update({ where: { id: p.id }, data: { status: 'VOIDED' } });
    await appendLedger(tx, ctx, updated, 'VOID', p.amount, { providerRef: res.providerRef });
    await recordEvent(tx, 'PaymentVoided', p.id, eventBase(updated));
    return ok(updated);
  });
}

export interface RefundInput {
  paymentId: string;
  amount: number;
  reason?: string | null;
  /** Retrying with the same key refunds once; a fresh one is made when absent. */
  idempotencyKey?: string | null;
}

/**
 * Refunds part or all of what was captured (staff with payments:write:any, or a service). The sum
 * of refunds never exceeds the captured amount: REFUND_EXCEEDS_CAPTURE, checked under the row
 * lock, with the table's CHECK constraint behind it.
 */
export async function refundPayment(ctx: PaymentContext, input: RefundInput): Promise<PaymentPayload> {
  assertCanWriteAny(ctx.viewer);
  const invalid = checkAmount(input.amount);
  if (invalid) return invalid;
  const key = input.idempotencyKey?.trim() || `refund:${newId()}`;
  try {
    return await withLockedPayment(ctx, input.paymentId, async (tx, p) => {
      const prior = await tx.paymentEvent.findUnique({ where: { idempotencyKey: key } });
      if (prior) {
        return prior.paymentId === p.id && prior.kind === 'REFUND' && prior.amount === input.amount
          ? ok(p)
          : failure('IDEMPOTENCY_KEY_REUSED', 'This idempotencyKey was used for a different refund', ['input', 'idempotencyKey'], p);
      }
      if (p.status !== 'CAPTURED' && p.status !== 'PARTIALLY_REFUNDED' && p.status !== 'REFUNDED') {
        return failure('INVALID_STATE', `A ${p.status} payment has nothing captured to refund`, null, p);
      }
      const refundable = p.capturedAmount - p.refundedAmount;
      if (input.amount > refundable) {
        return failure('REFUND_EXCEEDS_CAPTURE', `At most ${refundable} of the captured ${p.capturedAmount} can still be refunded`, ['input', 'amount'], p);
      }

      const res = await ctx.provider.refund({ providerRef: p.providerRef!, amount: input.amount, currency: p.currency, idempotencyKey: key });
      if (!res.ok) {
        // Without the key, so that a retry with it is not taken for a done refund.
        await appendLedger(tx, ctx, p, 'REFUND', input.amount, { succeeded: false, failureCode: res.code, reason: input.reason });
        return failure('PROVIDER_ERROR', `The payment provider refused the refund (${res.code})`, null, p);
      }
      const refundedAmount = p.refundedAmount + input.amount;
      const updated = await tx.payment.update({
        where: { id: p.id },
        data: { refundedAmount, status: refundedAmount === p.capturedAmount ? 'REFUNDED' : 'PARTIALLY_REFUNDED' },
      });
      await appendLedger(tx, ctx, updated, 'REFUND', input.amount, { providerRef: res.providerRef, idempotencyKey: key, reason: input.reason });
      await recordEvent(tx, 'PaymentRefunded', p.id, {
        ...eventBase(updated), refundAmount: input.amount, refundedAmount, capturedAmount: updated.capturedAmount,
        fullyRefunded: updated.status === 'REFUNDED', reason: input.reason ?? null,
      });
      return ok(updated);
    });
  } catch (e) {
    // The key was used concurrently on another payment.
    if (prismaCode(e) === 'P2002') return failure('IDEMPOTENCY_KEY_REUSED', 'This idempotencyKey was used for a different refund', ['input', 'idempotencyKey']);
    throw e;
  }
}
