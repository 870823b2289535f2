import { createHash } from 'node:crypto';
import { newId, userError, type Limiter, type Logger, type UserError } from '@storefront/shared';
import { Prisma } from '../generated/prisma/client.ts';
import type { CheckoutAttemptModel } from '../generated/prisma/models.ts';
import type { CheckoutErrorCode } from '../generated/graphql.ts';
import type { CartDb } from '../db.ts';
import type { CatalogClient } from '../clients/catalog.ts';
import { ServiceUnavailableError, type SagaClients, type SagaLine, type ServiceCaller, type UserErrorLike } from '../clients/services.ts';
import { canWriteCart, hasExpired, isValidQuantity } from './policy.ts';
import { computeTotals, normalizeAddress, type Address, type Totals } from './pricing.ts';

/**
 * The checkout saga. Steps (each persisted on the CheckoutAttempt row before the next starts):
 *
 *   STARTED -> hold the points to redeem, if any (loyalty, key = attempt id; INSUFFICIENT_POINTS
 *              ends the attempt before anything else is touched)
 *           -> reserve stock (inventory, reference = attempt id)         -> RESERVED
 *           -> place the order PENDING_PAYMENT (order, key = attempt id) -> ORDER_PLACED
 *           -> authorize the payment (payment, key = attempt id)         -> AUTHORIZED
 *           -> capture it                                                -> CAPTURED (point of no return)
 *           -> commit the reservation and the points hold, order PAID, cart CONVERTED -> COMPLETED
 *
 * The payment is captured at checkout (the shop ships from stock), so a completed checkout has a
 * CAPTURED payment. A failure before the capture compensates (step COMPENSATING -> FAILED): the
 * authorization, if any, is voided, the reservation released and the order set PAYMENT_FAILED
 * (the payment failed) or CANCELLED (anything else), and held points are given back. Nothing is charged. After the capture the saga
 * only goes forward: commit and confirm are idempotent and are retried until they succeed.
 *
 * Exclusion: the attempt row carries a lease (leaseOwner, leaseUntil), renewed at every step.
 * Whoever inserted the row (the unique key is (ownerId, idempotencyKey)) drives it; concurrent
 * requests with the same key wait for its result and return it. A driver that died leaves its lease
 * to run out; then a waiting request or the recovery sweeper (resumeStuckCheckouts, FOR UPDATE SKIP
 * LOCKED) takes the attempt over and drives it to a terminal step: forward from AUTHORIZED on,
 * compensating before that. Every call is idempotent on the other side, so a step repeated after a
 * crash does nothing twice.
 */

export type CheckoutUserError = UserError<CheckoutErrorCode>;

export interface CheckoutResult {
  orderId: string | null;
  checkoutId: string | null;
  userErrors: CheckoutUserError[];
}

export interface CheckoutDeps {
  db: CartDb;
  catalog: CatalogClient;
  saga: SagaClients;
  /** Loyalty's internal points holds; without it a checkout that redeems points is refused. */
  loyalty?: LoyaltyHolds;
  log: Logger;
  now?: () => Date;
  /** Caps sagas running at once in this process, so a burst queues instead of exhausting the database pool. */
  gate?: Limiter;
}

export interface CheckoutInput {
  cartId: string;
  paymentToken: string;
  idempotencyKey?: string | null;
  billingCountry?: string | null;
  shippingAddress?: Address | null;
  /** Loyalty points to spend as a discount (see POINTS_PER_CURRENCY_UNIT and MAX_POINTS_SHARE). */
  pointsToRedeem?: number | null;
}

interface Snapshot {
  currency: string;
  lines: SagaLine[];
  /** Including the points discount, which is part of discountTotal. */
  totals: Totals;
  shippingAddress: Address | null;
  /** For payment's risk check (billing/shipping country mismatch). */
  billingCountry?: string | null;
  /** Points held for this checkout (absent or 0: none). */
  pointsToRedeem?: number;
}

// ---------------------------------------------------------------------------------------------
// Loyalty points as a discount

/**
 * Redemption rules: 100 points pay 1.00 of the order currency (1 point per minor unit), for at most
 * 50% of the subtotal. The points come off after tax, like a voucher: they are added to
 * discountTotal and taken off the total; tax is computed on the price before points.
 */
export const POINTS_PER_CURRENCY_UNIT = 100;
export const MAX_POINTS_SHARE = 0.5;

export function pointsDiscount(points: number): number {
  return Math.floor((points * 100) / POINTS_PER_CURRENCY_UNIT);
}

/** The most points a cart with this subtotal can spend. */
export const maxRedeemablePoints = (subtotal: number) => Math.floor((Math.floor(subtotal * MAX_POINTS_SHARE) * POINTS_PER_CURRENCY_UNIT) / 100);

function withPoints(totals: Totals, points: number): Totals {
  const off = Math.min(pointsDiscount(points), totals.total);
  return { ...totals, discountTotal: totals.discountTotal + off, total: totals.total - off };
}

type HoldResult = { hold: { status: string; points: number } | null; userErrors: UserErrorLike[] };
const HOLD_PAYLOAD = 'hold { status points } userErrors { code message field }';

/** loyalty's internal holdPoints / commitPointsHold / releasePointsHold, each idempotent per checkout id. */
export function createLoyaltyHolds(call: ServiceCaller) {
  return {
    hold: (checkoutId: string, userId: string, points: number) =>
      call<{ holdPoints: HoldResult }>('loyalty', `mutation($input: HoldPointsInput!) { holdPoints(input: $input) { ${HOLD_PAYLOAD} } }`, { input: { checkoutId, userId, points } }, userId).then((d) => d.holdPoints),
    commit: (checkoutId: string, orderId: string) =>
      call<{ commitPointsHold: HoldResult }>('loyalty', `mutation($input: CommitPointsHoldInput!) { commitPointsHold(input: $input) { ${HOLD_PAYLOAD} } }`, { input: { checkoutId, orderId } }).then((d) => d.commitPointsHold),
    release: (checkoutId: string, userId: string) =>
      call<{ releasePointsHold: HoldResult }>('loyalty', `mutation($input: ReleasePointsHoldInput!) { releasePointsHold(input: $input) { ${HOLD_PAYLOAD} } }`, { input: { checkoutId, userId } }, userId).then((d) => d.releasePointsHold),
  };
}

export type LoyaltyHolds = ReturnType<typeof createLoyaltyHolds>;

export const LEASE_MS = 30_000;
export const KEY_RETENTION_MS = 25 * 60 * 60 * 1000;
const RESERVATION_TTL_SECONDS = 15 * 60;
const WAIT_FOR_RESULT_MS = 120_000;
const MAX_KEY_LENGTH = 200;
const TOKEN_PATTERN = /^tok_[A-Za-z0-9_]{1,100}$/;

const fail = (code: CheckoutErrorCode, message: string, field?: string[]): CheckoutResult => ({
  orderId: null, checkoutId: null, userErrors: [userError(code, message, field)],
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everything that makes two requests "the same input". */
function requestHash(input: CheckoutInput): string {
  const normalized = {
    cartId: input.cartId, paymentToken: input.paymentToken, billingCountry: input.billingCountry?.trim().toUpperCase() ?? null,
    shippingAddress: input.shippingAddress ? normalizeAddress(input.shippingAddress) ?? input.shippingAddress : null,
    ...(input.pointsToRedeem ? { pointsToRedeem: input.pointsToRedeem } : {}),
  };
  return createHash('sha256').update(JSON.stringify(normalized)).digest('hex');
}

/** What the client gets for a stored result. */
const fromStored = (attempt: CheckoutAttemptModel): CheckoutResult => attempt.result as unknown as CheckoutResult;

// ---------------------------------------------------------------------------------------------
// Entry point

export function checkout(deps: CheckoutDeps, viewer: { userId?: string; service?: string }, input: CheckoutInput): Promise<CheckoutResult> {
  return deps.gate ? deps.gate.run(() => runCheckout(deps, viewer, input)) : runCheckout(deps, viewer, input);
}

async function runCheckout(deps: CheckoutDeps, viewer: { userId?: string; service?: string }, input: CheckoutInput): Promise<CheckoutResult> {
  const userId = viewer.userId;
  if (!userId) return fail('CART_NOT_FOUND', 'Sign in to check out', ['input', 'cartId']);
  const key = input.idempotencyKey?.trim() ?? '';
  if (!key) return fail('IDEMPOTENCY_KEY_REQUIRED', 'Send an idempotencyKey (e.g. a UUID) so a retry cannot buy twice', ['input', 'idempotencyKey']);
  if (key.length > MAX_KEY_LENGTH) return fail('IDEMPOTENCY_KEY_REQUIRED', `idempotencyKey is at most ${MAX_KEY_LENGTH} characters`, ['input', 'idempotencyKey']);
  const hash = requestHash(input);

  // A key seen before: the same input gets the same result, another input an error.
  const existing = await deps.db.checkoutAttempt.findUnique({ where: { ownerId_idempotencyKey: { ownerId: userId, idempotencyKey: key } } });
  if (existing) return replayOrWait(deps, existing, hash);

  if (!TOKEN_PATTERN.test(input.paymentToken)) return fail('INVALID_PAYMENT_TOKEN', 'paymentToken must be a token from tokenizeCard', ['input', 'paymentToken']);
  if (input.billingCountry != null && !/^[A-Za-z]{2}$/.test(input.billingCountry.trim())) {
    return fail('INVALID_ADDRESS', 'billingCountry must be an ISO 3166-1 alpha-2 code', ['input', 'billingCountry']);
  }

  const cart = await deps.db.cart.findUnique({ where: { id: input.cartId }, include: { lines: { orderBy: [{ addedAt: 'asc' }, { id: 'asc' }] } } });
  if (!cart || !canWriteCart(viewer as any, cart.userId) || (!viewer.service && cart.userId !== userId)) return fail('CART_NOT_FOUND', 'Cart not found', ['input', 'cartId']);
  const now = deps.now?.() ?? new Date();
  if (hasExpired(cart, now)) return fail('CART_EXPIRED', 'This cart has expired; start a new one', ['input', 'cartId']);
  if (cart.status !== 'ACTIVE') return fail('CART_NOT_ACTIVE', 'This cart was already checked out', ['input', 'cartId']);
  if (cart.lines.length === 0) return fail('CART_EMPTY', 'The cart is empty', ['input', 'cartId']);
  const badLine = cart.lines.findIndex((l) => !isValidQuantity(l.quantity));
  if (badLine >= 0) return fail('INVALID_QUANTITY', 'Quantity must be 1 to 99', ['lines', String(badLine), 'quantity']);

  let address: Address | null = null;
  const rawAddress = (input.shippingAddress ?? (cart.shippingAddress as Address | null)) || null;
  if (rawAddress) {
    address = normalizeAddress(rawAddress);
    if (!address) return fail('INVALID_ADDRESS', 'The shipping address is incomplete or its country is not one we ship to', ['input', 'shippingAddress']);
  }

  // 1. Re-price from the catalog: live prices, and every variant must still be for sale.
  const variants = await deps.catalog.variants(cart.lines.map((l) => l.variantId));
  const lines: SagaLine[] = [];
  for (const [i, line] of cart.lines.entries()) {
    const v = variants.get(line.variantId);
    if (!v || v.productStatus !== 'ACTIVE' || v.price.currencyCode !== cart.currency) {
      return fail('VARIANT_NOT_FOUND', 'A product in the cart is no longer for sale', ['lines', String(i), 'variantId']);
    }
    lines.push({ variantId: line.variantId, sku: v.sku, productTitle: v.productTitle, quantity: line.quantity, unitPrice: v.price.amount });
  }
  let totals = computeTotals(lines, cart.discountCode, address?.country ?? null);
  const points = input.pointsToRedeem ?? 0;
  if (points !== 0) {
    if (!Number.isSafeInteger(points) || points < 0) return fail('INVALID_POINTS', 'pointsToRedeem must be a positive whole number', ['input', 'pointsToRedeem']);
    const max = maxRedeemablePoints(totals.subtotal);
    if (points > max) return fail('INVALID_POINTS', `At most ${max} points (50% of the subtotal) can be redeemed on this order`, ['input', 'pointsToRedeem']);
    if (!deps.loyalty) return fail('SERVICE_UNAVAILABLE', 'Points cannot be redeemed right now', ['input', 'pointsToRedeem']);
    totals = withPoints(totals, points);
  }
  const billingCountry = input.billingCountry?.trim().toUpperCase() || null;
  const snapshot: Snapshot = { currency: cart.currency, lines, totals, shippingAddress: address, billingCountry, ...(points ? { pointsToRedeem: points } : {}) };

  const id = newId();
  const lease = newId();
  try {
    await deps.db.$transaction([
      ...lines.map((l) => deps.db.cartLine.updateMany({ where: { cartId: cart.id, variantId: l.variantId }, data: { unitPrice: l.unitPrice } })),
      deps.db.checkoutAttempt.create({
        data: {
          id, ownerId: userId, idempotencyKey: key, requestHash: hash, cartId: cart.id, snapshot: snapshot as any, paymentToken: input.paymentToken,
          leaseOwner: lease, leaseUntil: new Date(now.getTime() + LEASE_MS), expiresAt: new Date(now.getTime() + KEY_RETENTION_MS),
        },
      }),
    ]);
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      // Same key inserted concurrently: wait for that one. Otherwise another checkout of this cart runs.
      const winner = await deps.db.checkoutAttempt.findUnique({ where: { ownerId_idempotencyKey: { ownerId: userId, idempotencyKey: key } } });
      if (winner) return replayOrWait(deps, winner, hash);
      return fail('CHECKOUT_IN_PROGRESS', 'This cart is being checked out already', ['input', 'cartId']);
    }
    throw error;
  }
  const attempt = await deps.db.checkoutAttempt.findUniqueOrThrow({ where: { id } });
  return drive(deps, attempt, lease, 'request');
}

/** A repeated key: the stored result, an error for another input, or (still running) wait for it. */
async function replayOrWait(deps: CheckoutDeps, attempt: CheckoutAttemptModel, hash: string): Promise<CheckoutResult> {
  if (attempt.requestHash !== hash) {
    return fail('IDEMPOTENCY_KEY_REUSED', 'This idempotencyKey was used with a different checkout input', ['input', 'idempotencyKey']);
  }
  const deadline = Date.now() + WAIT_FOR_RESULT_MS;
  let delay = 20;
  let current: CheckoutAttemptModel | null = attempt;
  while (current) {
    if (current.finishedAt && current.result) return fromStored(current);
    const leaseOver = !current.leaseUntil || current.leaseUntil.getTime() < Date.now();
    // Decided but not yet finished by a driver that gave up: the answer stands, the sweeper finishes the rest.
    if (current.result && leaseOver) return fromStored(current);
    // The driver died (lease ran out): take the attempt over and finish it.
    if (!current.finishedAt && leaseOver) {
      const lease = newId();
      const taken = await takeLease(deps.db, current.id, lease);
      if (taken) return drive(deps, taken, lease, 'takeover');
    }
    if (Date.now() > deadline) return fail('CHECKOUT_IN_PROGRESS', 'This checkout is still running; retry with the same key', ['input', 'idempotencyKey']);
    await sleep(delay);
    delay = Math.min(delay * 2, 250);
    current = await deps.db.checkoutAttempt.findUnique({ where: { id: attempt.id } });
  }
  return fail('CHECKOUT_IN_PROGRESS', 'This checkout is still running; retry with the same key', ['input', 'idempotencyKey']);
}

async function takeLease(db: CartDb, id: string, lease: string): Promise<CheckoutAttemptModel | null> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    UPDATE "CheckoutAttempt" SET "leaseOwner" = ${lease}, "leaseUntil" = now() + interval '30 seconds', "updatedAt" = now()
    WHERE "id" = ${id} AND "finishedAt" IS NULL AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
    RETURNING "id"`;
  return rows.length ? db.checkoutAttempt.findUnique({ where: { id } }) : null;
}

/** The lease was taken over by someone else: this driver must stop. */
class LeaseLost extends Error {}

// ---------------------------------------------------------------------------------------------
// The state machine

type Patch = Partial<Pick<CheckoutAttemptModel, 'step' | 'reservationId' | 'orderId' | 'paymentId' | 'failureCode'>> & { result?: CheckoutResult; finished?: boolean };

/** Persists a step under our lease (and renews it); returns the updated attempt. */
async function save(db: CartDb, attempt: CheckoutAttemptModel, lease: string, patch: Patch): Promise<CheckoutAttemptModel> {
  const { result, finished, ...fields } = patch;
  const data = {
    ...fields,
    ...(result ? { result: result as any } : {}),
    ...(finished ? { finishedAt: new Date(), leaseOwner: null, leaseUntil: null } : { leaseUntil: new Date(Date.now() + LEASE_MS) }),
  };
  const { count } = await db.checkoutAttempt.updateMany({ where: { id: attempt.id, leaseOwner: lease }, data });
  if (count === 0) throw new LeaseLost();
  return { ...attempt, ...fields, ...(result ? { result: result as any } : {}), ...(finished ? { finishedAt: new Date() } : {}) };
}

const ok = (attempt: CheckoutAttemptModel): CheckoutResult => ({ orderId: attempt.orderId, checkoutId: attempt.id, userErrors: [] });
const failed = (attempt: CheckoutAttemptModel, code: CheckoutErrorCode, message: string, field?: string[]): CheckoutResult => ({
  orderId: attempt.orderId, checkoutId: attempt.id, userErrors: [userError(code, message, field)],
});

function paymentFailure(errors: UserErrorLike[]): { code: CheckoutErrorCode; message: string } {
  const e = errors[0];
  if (e?.code === 'PAYMENT_DECLINED') return { code: 'PAYMENT_DECLINED', message: e.message };
  if (e?.code === 'RISK_DECLINED') return { code: 'RISK_DECLINED', message: e.message };
  if (e?.code === 'INVALID_CARD_NUMBER' || e?.code === 'CARD_EXPIRED' || e?.code === 'INVALID_TOKEN') return { code: 'INVALID_PAYMENT_TOKEN', message: e.message };
  return { code: 'PAYMENT_FAILED', message: e ? `The payment could not be made: ${e.message}` : 'The payment could not be made' };
}

/**
 * Drives an attempt until it is terminal or a call fails. `mode` decides what an unreachable
 * service means before the capture: a request compensates at once (its client is waiting); the
 * sweeper compensates stuck attempts before AUTHORIZED and goes forward from AUTHORIZED on.
 */
export async function drive(deps: CheckoutDeps, start: CheckoutAttemptModel, lease: string, mode: 'request' | 'takeover' | 'sweeper'): Promise<CheckoutResult> {
  let attempt = start;
  try {
    attempt = await advance(deps, attempt, lease, mode);
  } catch (error) {
    if (error instanceof LeaseLost) return waitForResult(deps, attempt.id);
    if (!(error instanceof ServiceUnavailableError)) throw error;
    deps.log.warn({ err: error, checkoutId: attempt.id, step: attempt.step }, 'checkout step failed');
    const current = (await deps.db.checkoutAttempt.findUnique({ where: { id: attempt.id } }))!;
    if (current.leaseOwner !== lease) return waitForResult(deps, attempt.id);
    attempt = current;
    if (attempt.step === 'STARTED' || attempt.step === 'RESERVED' || attempt.step === 'ORDER_PLACED' || attempt.step === 'AUTHORIZED') {
      // Before the capture: give up and undo. The result is decided now; the undoing may need the sweeper.
      attempt = await save(deps.db, attempt, lease, {
        step: 'COMPENSATING', failureCode: 'CANCELLED',
        result: failed(attempt, 'SERVICE_UNAVAILABLE', 'The checkout could not be completed; nothing was charged. Try again.'),
      });
      try {
        attempt = await advance(deps, attempt, lease, mode);
      } catch (again) {
        if (!(again instanceof ServiceUnavailableError || again instanceof LeaseLost)) throw again;
        deps.log.warn({ err: again, checkoutId: attempt.id }, 'compensation incomplete; the recovery sweeper will finish it');
      }
    } else {
      deps.log.warn({ checkoutId: attempt.id }, 'checkout captured but not finished; the recovery sweeper will finish it');
    }
    // Hand the lease back so a retry or the sweeper can take over at once (the row keeps its step).
    await deps.db.checkoutAttempt.updateMany({ where: { id: attempt.id, leaseOwner: lease, finishedAt: null }, data: { leaseUntil: new Date(0) } });
    if (!attempt.result) return fail('SERVICE_UNAVAILABLE', 'The checkout could not be completed; try again with the same key');
  }
  return fromStored(attempt);
}

async function waitForResult(deps: CheckoutDeps, id: string): Promise<CheckoutResult> {
  const attempt = await deps.db.checkoutAttempt.findUniqueOrThrow({ where: { id } });
  return replayOrWait(deps, attempt, attempt.requestHash);
}

async function advance(deps: CheckoutDeps, attempt: CheckoutAttemptModel, lease: string, mode: 'request' | 'takeover' | 'sweeper'): Promise<CheckoutAttemptModel> {
  const { saga, db } = deps;
  const snapshot = attempt.snapshot as unknown as Snapshot;
  const userId = attempt.ownerId;
  // A recovered attempt that never reached the payment is undone rather than resumed: its client has gone.
  if (mode === 'sweeper' && (attempt.step === 'STARTED' || attempt.step === 'RESERVED' || attempt.step === 'ORDER_PLACED')) {
    attempt = await save(db, attempt, lease, {
      step: 'COMPENSATING', failureCode: 'CANCELLED',
      result: attempt.result ? (attempt.result as any) : failed(attempt, 'SERVICE_UNAVAILABLE', 'The checkout could not be completed; nothing was charged. Try again.'),
    });
  }
  for (;;) {
    switch (attempt.step) {
      case 'STARTED': {
        if (snapshot.pointsToRedeem) {
          if (!deps.loyalty) throw new ServiceUnavailableError('loyalty', 'no loyalty client');
          const held = await deps.loyalty.hold(attempt.id, userId, snapshot.pointsToRedeem);
          if (held.userErrors.length || held.hold?.status !== 'HELD') {
            const insufficient = held.userErrors.some((e) => e.code === 'INSUFFICIENT_POINTS');
            const result = insufficient
              ? failed(attempt, 'INSUFFICIENT_POINTS', held.userErrors[0].message, ['input', 'pointsToRedeem'])
              : failed(attempt, 'SERVICE_UNAVAILABLE', held.userErrors[0]?.message ?? 'The points could not be held');
            return save(db, attempt, lease, { step: 'FAILED', result, finished: true });
          }
        }
        const res = await saga.reserve(attempt.id, snapshot.lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity })), RESERVATION_TTL_SECONDS);
        if (!res.reservation || res.reservation.status !== 'ACTIVE') {
          const outOfStock = res.userErrors.some((e) => e.code === 'OUT_OF_STOCK' || e.code === 'INSUFFICIENT_STOCK');
          const result = outOfStock
            ? failed(attempt, 'OUT_OF_STOCK', 'Not enough stock for every line in the cart', ['input', 'cartId'])
            : failed(attempt, 'SERVICE_UNAVAILABLE', res.userErrors[0]?.message ?? 'Stock could not be reserved');
          if (res.reservation) return save(db, attempt, lease, { reservationId: res.reservation.id, step: 'COMPENSATING', failureCode: 'CANCELLED', result });
          if (snapshot.pointsToRedeem) await deps.loyalty!.release(attempt.id, userId);
          return save(db, attempt, lease, { step: 'FAILED', result, finished: true });
        }
        attempt = await save(db, attempt, lease, { step: 'RESERVED', reservationId: res.reservation.id });
        break;
      }
      case 'RESERVED': {
        const res = await saga.placeOrder({
          checkoutId: attempt.id, userId, cartId: attempt.cartId, currencyCode: snapshot.currency,
          lines: snapshot.lines, ...snapshot.totals, shippingAddress: snapshot.shippingAddress ? JSON.stringify(snapshot.shippingAddress) : null,
        }, userId);
        if (!res.order) {
          attempt = await save(db, attempt, lease, { step: 'COMPENSATING', failureCode: 'CANCELLED', result: failed(attempt, 'SERVICE_UNAVAILABLE', res.userErrors[0]?.message ?? 'The order could not be placed') });
          break;
        }
        attempt = await save(db, attempt, lease, { step: 'ORDER_PLACED', orderId: res.order.id });
        break;
      }
      case 'ORDER_PLACED': {
        const res = await saga.authorize({
          orderId: attempt.orderId!, userId, amount: snapshot.totals.total, currencyCode: snapshot.currency, token: attempt.paymentToken, idempotencyKey: attempt.id,
          billingCountry: snapshot.billingCountry ?? null, shippingCountry: snapshot.shippingAddress?.country ?? null,
        });
        if (!res.payment || res.payment.status !== 'AUTHORIZED') {
          const { code, message } = paymentFailure(res.userErrors);
          attempt = await save(db, attempt, lease, {
            step: 'COMPENSATING', failureCode: 'PAYMENT_FAILED', paymentId: res.payment?.id ?? null,
            result: failed(attempt, code, message, ['input', 'paymentToken']),
          });
          break;
        }
        attempt = await save(db, attempt, lease, { step: 'AUTHORIZED', paymentId: res.payment.id });
        break;
      }
      case 'AUTHORIZED': {
        const res = await saga.capture(attempt.paymentId!);
        if (!res.payment || (res.payment.status !== 'CAPTURED' && res.payment.status !== 'PARTIALLY_REFUNDED' && res.payment.status !== 'REFUNDED')) {
          const { code, message } = paymentFailure(res.userErrors);
          attempt = await save(db, attempt, lease, { step: 'COMPENSATING', failureCode: 'PAYMENT_FAILED', result: failed(attempt, code, message, ['input', 'paymentToken']) });
          break;
        }
        attempt = await save(db, attempt, lease, { step: 'CAPTURED', result: ok(attempt) });
        break;
      }
      case 'CAPTURED': {
        const committed = await saga.commit(attempt.reservationId!);
        if (committed.userErrors.length && committed.reservation?.status !== 'COMMITTED') {
          // The hold ran out before the commit (a very long outage): the sale stands, but staff must look.
          deps.log.error({ checkoutId: attempt.id, reservationId: attempt.reservationId, userErrors: committed.userErrors }, 'paid checkout could not commit its reservation');
        }
        if (snapshot.pointsToRedeem) {
          if (!deps.loyalty) throw new ServiceUnavailableError('loyalty', 'no loyalty client');
          const kept = await deps.loyalty.commit(attempt.id, attempt.orderId!);
          if (kept.userErrors.length) deps.log.error({ checkoutId: attempt.id, userErrors: kept.userErrors }, 'paid checkout could not commit its points hold');
        }
        const confirmed = await saga.confirmOrder(attempt.orderId!, attempt.paymentId);
        if (!confirmed.order) throw new ServiceUnavailableError('order', confirmed.userErrors[0]?.message ?? 'confirm failed');
        const finishedAt = new Date();
        await db.$transaction([
          db.cart.updateMany({ where: { id: attempt.cartId, status: 'ACTIVE' }, data: { status: 'CONVERTED' } }),
          db.checkoutAttempt.updateMany({ where: { id: attempt.id, leaseOwner: lease }, data: { step: 'COMPLETED', finishedAt, leaseOwner: null, leaseUntil: null } }),
        ]);
        return { ...attempt, step: 'COMPLETED', finishedAt };
      }
      case 'COMPENSATING': {
        let paymentId = attempt.paymentId;
        let orderId = attempt.orderId;
        if (!orderId) orderId = (await saga.orderForCheckout(attempt.id))?.id ?? null;
        if (!paymentId && orderId) paymentId = (await saga.paymentOfOrder(orderId))?.id ?? null;
        if (paymentId) await saga.void(paymentId);
        let reservationId = attempt.reservationId;
        if (!reservationId && attempt.step === 'COMPENSATING') {
          // The reserve call may have succeeded without our hearing of it: the same reference finds it.
          const again = await saga.reserve(attempt.id, snapshot.lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity })), 1);
          reservationId = again.reservation?.id ?? null;
        }
        if (reservationId) await saga.release(reservationId);
        if (snapshot.pointsToRedeem) {
          if (!deps.loyalty) throw new ServiceUnavailableError('loyalty', 'no loyalty client');
          await deps.loyalty.release(attempt.id, userId);
        }
        if (orderId) await saga.failOrder(orderId, attempt.failureCode !== 'PAYMENT_FAILED', 'checkout failed');
        return save(db, attempt, lease, {
          step: 'FAILED', orderId, paymentId, reservationId,
          result: attempt.result ? undefined : failed(attempt, 'SERVICE_UNAVAILABLE', 'The checkout could not be completed; nothing was charged.'),
          finished: true,
        });
      }
      case 'COMPLETED':
      case 'FAILED':
        return attempt;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Recovery

/**
 * Finds attempts whose driver's lease ran out before they were finished (a process or a sibling
 * subgraph died mid-saga), claims them with FOR UPDATE SKIP LOCKED (so replicas share the work
 * without taking the same attempt), and drives each to a terminal step. Returns how many it drove.
 */
export async function resumeStuckCheckouts(deps: CheckoutDeps, options: { batchSize?: number } = {}): Promise<{ resumed: number; failed: number }> {
  const lease = newId();
  const claimed = await deps.db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "CheckoutAttempt"
      WHERE "finishedAt" IS NULL AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
      ORDER BY "updatedAt"
      LIMIT ${options.batchSize ?? 20}
      FOR UPDATE SKIP LOCKED`;
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    await tx.checkoutAttempt.updateMany({ where: { id: { in: ids } }, data: { leaseOwner: lease, leaseUntil: new Date(Date.now() + LEASE_MS) } });
    return ids;
  });
  let failures = 0;
  for (const id of claimed) {
    const attempt = await deps.db.checkoutAttempt.findUniqueOrThrow({ where: { id } });
    try {
      const before = attempt.step;
      const driven = await advance(deps, attempt, lease, 'sweeper');
      deps.log.info({ checkoutId: id, from: before, to: driven.step }, 'recovered stuck checkout');
    } catch (error) {
      failures += 1;
      deps.log.warn({ err: error, checkoutId: id }, 'stuck checkout not recovered yet; will retry');
      // Hand the lease back at once so the next sweep retries.
      await deps.db.checkoutAttempt.updateMany({ where: { id, leaseOwner: lease }, data: { leaseUntil: new Date(0) } });
    }
  }
  return { resumed: claimed.length - failures, failed: failures };
}

/** Runs resumeStuckCheckouts every `intervalMs`, and deletes attempts whose keys are past retention. */
export function startCheckoutSweeper(deps: CheckoutDeps, intervalMs = 5_000): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = (async () => {
      await resumeStuckCheckouts(deps);
      await deps.db.checkoutAttempt.deleteMany({ where: { expiresAt: { lt: new Date() }, finishedAt: { not: null } } });
    })()
      .catch((err) => deps.log.error({ err }, 'checkout sweep failed'))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
