import { createHmac, timingSafeEqual } from 'node:crypto';
import { newId, sendJson, type Logger, type Route } from '@storefront/shared';
import type { PaymentModel } from './generated/prisma/models.ts';
import type { PaymentDb, PaymentTx } from './db.ts';
import { recordEvent } from './services/outbox.ts';

/**
 * The payment provider's webhook: `POST /webhooks/payments`. It is called by the provider, not
 * through the gateway, so it carries no gateway signature and guards itself:
 * - Header `x-payment-signature: t=<unix seconds>,v1=<hex>`, where v1 is HMAC-SHA256 under the
 *   webhook secret of `<t>.<raw body>`. A wrong signature, or a timestamp more than the tolerance
 *   (5 minutes by default) away from now, answers 401 and changes nothing (replays of an old
 *   captured request fail the tolerance; replays within it are deduped below).
 * - Body `{ "id": "<provider event id>", "type": "...", "data": { "providerRef": "...", "amount": n } }`.
 *   Each event id is applied at most once: the WebhookEvent row commits with its effect, so a
 *   redelivery answers 200 with `duplicate: true` and does nothing; a failed attempt leaves no row
 *   and the provider's retry applies it.
 * Types applied (others are recorded as ignored and answered 200, so the provider stops retrying):
 * - `payment.captured`: a capture made on the provider's side (late capture). AUTHORIZED -> CAPTURED
 *   for `amount` (the authorized amount when absent, never more).
 * - `payment.refunded`: a refund made on the provider's side. Adds `amount` to the refunded amount,
 *   never beyond what was captured (an over-refund is recorded as ignored, not applied).
 * - `payment.voided`: the authorization was released. AUTHORIZED -> VOIDED.
 * Each applied change writes the ledger row and its outbox event (PaymentCaptured, PaymentRefunded,
 * PaymentVoided) in the same transaction.
 */
export const WEBHOOK_PATH = '/webhooks/payments';
export const SIGNATURE_HEADER = 'x-payment-signature';
export const DEFAULT_TOLERANCE_MS = 5 * 60_000;

const DEV_WEBHOOK_SECRET = 'storefront-development-only-payment-webhook-secret';

/** PAYMENT_WEBHOOK_SECRET, required in production. */
export function webhookSecret(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PAYMENT_WEBHOOK_SECRET) return env.PAYMENT_WEBHOOK_SECRET;
  if (env.NODE_ENV === 'production') throw new Error('PAYMENT_WEBHOOK_SECRET must be set in production');
  return DEV_WEBHOOK_SECRET;
}

const hmac = (secret: string, timestamp: string, body: Buffer | string) =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');

/** The header value a provider sends for `body` at `at` (the simulated provider and tests use it). */
export function signWebhook(secret: string, body: string, at: Date = new Date()): string {
  const t = String(Math.floor(at.getTime() / 1000));
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifyWebhookSignature(secret: string, header: string | undefined, body: Buffer, now: Date, toleranceMs: number): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing signature' };
  const parts = new Map<string, string>();
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) parts.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  const t = parts.get('t');
  const v1 = parts.get('v1');
  if (!t || !/^\d{1,12}$/.test(t) || !v1 || !/^[0-9a-f]{64}$/i.test(v1)) return { ok: false, reason: 'malformed signature' };
  if (Math.abs(now.getTime() - Number(t) * 1000) > toleranceMs) return { ok: false, reason: 'timestamp outside tolerance' };
  const expected = Buffer.from(hmac(secret, t, body), 'hex');
  const given = Buffer.from(v1, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}

export interface WebhookEventBody {
  id: string;
  type: string;
  data: { providerRef?: string; amount?: number };
}

function parseEvent(raw: Buffer): WebhookEventBody | null {
  let body: any;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
  if (!body || typeof body.id !== 'string' || !body.id || body.id.length > 200 || typeof body.type !== 'string') return null;
  const data = body.data ?? {};
  if (typeof data !== 'object') return null;
  if (data.amount !== undefined && !(Number.isSafeInteger(data.amount) && data.amount > 0)) return null;
  return { id: body.id, type: body.type, data };
}

const ACTOR = 'provider:webhook';
const eventBase = (p: PaymentModel) => ({ paymentId: p.id, orderId: p.orderId, userId: p.userId, amount: p.amount, currency: p.currency });

async function ledger(tx: PaymentTx, p: PaymentModel, kind: 'CAPTURE' | 'REFUND' | 'VOID', amount: number, eventId: string) {
  await tx.paymentEvent.create({
    data: { id: newId(), paymentId: p.id, kind, amount, currency: p.currency, providerRef: p.providerRef, idempotencyKey: `webhook:${eventId}`, actor: ACTOR, reason: 'provider webhook' },
  });
}

/** Applies one event to its payment (locked); returns what happened. */
async function apply(tx: PaymentTx, event: WebhookEventBody): Promise<string> {
  const known = ['payment.captured', 'payment.refunded', 'payment.voided'];
  if (!known.includes(event.type)) return `ignored: unknown type ${event.type}`;
  const ref = event.data.providerRef;
  if (typeof ref !== 'string' || !ref) return 'ignored: no providerRef';
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "Payment" WHERE "providerRef" = ${ref} ORDER BY "id" LIMIT 1 FOR UPDATE`;
  if (locked.length === 0) return 'ignored: unknown payment';
  const p = await tx.payment.findUniqueOrThrow({ where: { id: locked[0].id } });

  if (event.type === 'payment.captured') {
    if (p.status !== 'AUTHORIZED') return `ignored: payment is ${p.status}`;
    const amount = event.data.amount ?? p.amount;
    if (amount > p.amount) return 'ignored: capture exceeds authorization';
    const updated = await tx.payment.update({ where: { id: p.id }, data: { status: 'CAPTURED', capturedAmount: amount } });
    await ledger(tx, updated, 'CAPTURE', amount, event.id);
    await recordEvent(tx, 'PaymentCaptured', p.id, { ...eventBase(updated), capturedAmount: amount, via: 'webhook' });
    return 'applied';
  }
  if (event.type === 'payment.voided') {
    if (p.status !== 'AUTHORIZED') return `ignored: payment is ${p.status}`;
    const updated = await tx.payment.update({ where: { id: p.id }, data: { status: 'VOIDED' } });
    await ledger(tx, updated, 'VOID', p.amount, event.id);
    await recordEvent(tx, 'PaymentVoided', p.id, { ...eventBase(updated), via: 'webhook' });
    return 'applied';
  }
  // payment.refunded
  if (p.status !== 'CAPTURED' && p.status !== 'PARTIALLY_REFUNDED') return `ignored: payment is ${p.status}`;
  const amount = event.data.amount;
  if (amount === undefined) return 'ignored: refund without amount';
  if (amount > p.capturedAmount - p.refundedAmount) return 'ignored: refund exceeds capture';
  const refundedAmount = p.refundedAmount + amount;
  const updated = await tx.payment.update({
    where: { id: p.id },
    data: { refundedAmount, status: refundedAmount === p.capturedAmount ? 'REFUNDED' : 'PARTIALLY_REFUNDED' },
  });
  await ledger(tx, updated, 'REFUND', amount, event.id);
  await recordEvent(tx, 'PaymentRefunded', p.id, {
    ...eventBase(updated), refundAmount: amount, refundedAmount, capturedAmount: updated.capturedAmount,
    fullyRefunded: updated.status === 'REFUNDED', reason: 'provider webhook', via: 'webhook',
  });
  return 'applied';
}

export interface WebhookRouteOptions {
  db: PaymentDb;
  log: Logger;
  secret: string;
  toleranceMs?: number;
  now?: () => Date;
}

export function paymentWebhookRoute(options: WebhookRouteOptions): Route {
  const tolerance = options.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  const now = options.now ?? (() => new Date());
  return {
    method: 'POST',
    path: WEBHOOK_PATH,
    handle: async (req, res, raw) => {
      const header = req.headers[SIGNATURE_HEADER];
      const check = verifyWebhookSignature(options.secret, Array.isArray(header) ? header[0] : header, raw, now(), tolerance);
      if (!check.ok) {
        options.log.warn({ reason: check.reason }, 'payment webhook refused');
        return sendJson(res, 401, { error: 'invalid_signature', message: check.reason });
      }
      const event = parseEvent(raw);
      if (!event) return sendJson(res, 400, { error: 'bad_request', message: 'Body must be JSON: { id, type, data: { providerRef, amount? } }' });
      const result = await options.db.$transaction(async (tx) => {
        const inserted = await tx.webhookEvent.createMany({ data: [{ id: event.id, type: event.type, payload: event as object, outcome: 'pending' }], skipDuplicates: true });
        if (inserted.count === 0) return { duplicate: true, outcome: (await tx.webhookEvent.findUnique({ where: { id: event.id } }))?.outcome ?? 'pending' };
        const outcome = await apply(tx, event);
        await tx.webhookEvent.update({ where: { id: event.id }, data: { outcome } });
        return { duplicate: false, outcome };
      }, { maxWait: 10_000, timeout: 30_000 });
      options.log.info({ eventId: event.id, type: event.type, ...result }, 'payment webhook');
      sendJson(res, 200, { received: true, ...result });
    },
  };
}
