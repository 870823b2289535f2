import { userError } from '@storefront/shared';
import type { LoyaltyPointsHoldModel } from '../generated/prisma/models.ts';
import type { LoyaltyWriteContext } from '../context.ts';
import { forbidden } from '@storefront/shared';
import { postToLedger, type LedgerOutcome } from './ledger.ts';

/**
 * Redeeming points at checkout, held for the length of the saga (cart's services/checkout.ts):
 *   holdPoints        before stock is reserved: takes the points out of the available balance at
 *                     once (a REDEEM entry), or refuses with INSUFFICIENT_POINTS. Two checkouts
 *                     spending the same points queue on the account's row lock: one gets them.
 *   commitPointsHold  once the payment is captured: the REDEEM stands and the order is recorded.
 *   releasePointsHold when the saga compensates: a REDEEM entry of the opposite sign gives them back.
 * All three are idempotent per checkout id and only callable by services (they are @inaccessible).
 * The conversion and cap are cart's: 100 points = 1.00 of the order currency (1 point per minor
 * unit), at most 50% of the subtotal.
 */

export interface HoldOutcome {
  hold: LoyaltyPointsHoldModel | null;
  outcome: LedgerOutcome | null;
  userErrors: LedgerOutcome['userErrors'];
}

function assertService(ctx: LoyaltyWriteContext) {
  if (!ctx.viewer.service) throw forbidden('Only services hold loyalty points');
}

const holdKey = (checkoutId: string, step: 'hold' | 'release') => `checkout:${checkoutId}:${step}`;

export async function holdPoints(ctx: LoyaltyWriteContext, input: { checkoutId: string; userId: string; points: number }): Promise<HoldOutcome> {
  assertService(ctx);
  if (!Number.isSafeInteger(input.points) || input.points <= 0) {
    return { hold: null, outcome: null, userErrors: [userError('INVALID_POINTS', 'points must be a positive whole number', ['input', 'points'])] };
  }
  const outcome = await postToLedger(ctx, input.userId, async (tx, account) => {
    const existing = await tx.loyaltyPointsHold.findUnique({ where: { checkoutId: input.checkoutId } });
    if (existing) {
      if (existing.userId !== input.userId || (existing.status !== 'RELEASED' && existing.points !== input.points)) {
        return { error: userError('IDEMPOTENCY_KEY_REUSED', 'This checkout already holds a different number of points', ['input', 'checkoutId']) };
      }
      return { entries: [] };
    }
    if (account.points < input.points) {
      return { error: userError('INSUFFICIENT_POINTS', `Only ${Math.max(account.points, 0)} points are available`, ['input', 'points']) };
    }
    await tx.loyaltyPointsHold.create({ data: { checkoutId: input.checkoutId, userId: input.userId, points: input.points } });
    return { entries: [{ kind: 'REDEEM', points: -input.points, reason: `Checkout ${input.checkoutId}`, idempotencyKey: holdKey(input.checkoutId, 'hold') }] };
  });
  const hold = await ctx.db.loyaltyPointsHold.findUnique({ where: { checkoutId: input.checkoutId } });
  const userErrors = [...outcome.userErrors];
  if (!userErrors.length && hold?.status === 'RELEASED') userErrors.push(userError('HOLD_RELEASED', 'This checkout was already given up', ['input', 'checkoutId']));
  return { hold, outcome, userErrors };
}

/** The order was paid: the held points are spent for good. Refused once released. */
export async function commitPointsHold(ctx: LoyaltyWriteContext, input: { checkoutId: string; orderId: string }): Promise<HoldOutcome> {
  assertService(ctx);
  await ctx.db.loyaltyPointsHold.updateMany({ where: { checkoutId: input.checkoutId, status: 'HELD' }, data: { status: 'COMMITTED', orderId: input.orderId } });
  const hold = await ctx.db.loyaltyPointsHold.findUnique({ where: { checkoutId: input.checkoutId } });
  if (!hold) return { hold, outcome: null, userErrors: [userError('HOLD_NOT_FOUND', 'No points are held for this checkout', ['input', 'checkoutId'])] };
  if (hold.status === 'RELEASED') return { hold, outcome: null, userErrors: [userError('HOLD_RELEASED', 'The held points were already given back', ['input', 'checkoutId'])] };
  return { hold, outcome: null, userErrors: [] };
}

/**
 * The checkout failed: gives the held points back. Without a hold yet (its outcome was unknown to
 * the caller) it leaves a RELEASED marker so a hold arriving later is refused. A committed hold stays.
 */
export async function releasePointsHold(ctx: LoyaltyWriteContext, input: { checkoutId: string; userId: string }): Promise<HoldOutcome> {
  assertService(ctx);
  const outcome = await postToLedger(ctx, input.userId, async (tx) => {
    await tx.loyaltyPointsHold.upsert({ where: { checkoutId: input.checkoutId }, create: { checkoutId: input.checkoutId, userId: input.userId, points: 0, status: 'RELEASED' }, update: {} });
    const hold = await tx.loyaltyPointsHold.findUniqueOrThrow({ where: { checkoutId: input.checkoutId } });
    if (hold.userId !== input.userId) return { error: userError('HOLD_NOT_FOUND', 'No points are held for this checkout', ['input', 'checkoutId']) };
    if (hold.status !== 'HELD') return { entries: [] };
    await tx.loyaltyPointsHold.update({ where: { checkoutId: input.checkoutId }, data: { status: 'RELEASED' } });
    return { entries: [{ kind: 'REDEEM', points: hold.points, reason: `Checkout ${input.checkoutId} failed: points returned`, idempotencyKey: holdKey(input.checkoutId, 'release') }] };
  });
  const hold = await ctx.db.loyaltyPointsHold.findUnique({ where: { checkoutId: input.checkoutId } });
  return { hold, outcome, userErrors: outcome.userErrors };
}
