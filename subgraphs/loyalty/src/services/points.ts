import { newId, userError } from '@storefront/shared';
import type { LoyaltyWriteContext } from '../context.ts';
import { assertCanWrite } from './access.ts';
import { postToLedger, type LedgerOutcome } from './ledger.ts';
import { TIER_MULTIPLIERS } from './tiers.ts';
import type { LoyaltyTier } from '../generated/prisma/enums.ts';

/**
 * What happens to points, in business terms. Each operation is one postToLedger call, so balances
 * and ledger move together; each is idempotent (by order, or by the caller's key).
 */

/** Minor-unit exponents that differ from 2. */
const ZERO_DECIMAL = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'UGX', 'XAF', 'XOF']);

/**
 * The earn rate: 1 point per whole currency unit paid (minor units / 100, or the amount itself for
 * zero-decimal currencies), times the member's tier multiplier (services/tiers.ts: BRONZE ×1,
 * SILVER ×1.25, GOLD ×1.5, PLATINUM ×2), rounded down once per order: 4599 cents earn 45 points
 * at BRONZE, 67 at GOLD.
 */
export function pointsForAmount(amountMinor: number, currencyCode: string, tier: LoyaltyTier = 'BRONZE'): number {
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) return 0;
  const units = ZERO_DECIMAL.has(currencyCode) ? amountMinor : Math.floor(amountMinor / 100);
  return Math.floor(units * TIER_MULTIPLIERS[tier]);
}

const orderKey = (orderId: string, step: string) => `order:${orderId}:${step}`;

export interface EarnForOrderInput {
  userId: string;
  orderId: string;
  /** The amount paid for the order in minor units. */
  amount: number;
  currencyCode: string;
  /** Pending until the order is delivered (then releaseOrderPoints), available at once otherwise. */
  pending: boolean;
}

/**
 * Points for a paid order, at the member's current tier. Earned once per order, however often it
 * is called (a replayed event, a restart): the earn entry has a fixed key per order and is looked
 * up first. An order already reversed (its cancellation processed first) earns nothing.
 */
export async function earnForOrder(ctx: LoyaltyWriteContext, input: EarnForOrderInput): Promise<LedgerOutcome> {
  assertCanWrite(ctx.viewer);
  const key = orderKey(input.orderId, 'earn');
  return postToLedger(ctx, input.userId, async (tx, account) => {
    const earned = await tx.loyaltyLedgerEntry.findUnique({ where: { idempotencyKey: key } });
    // Replaying the entry as it was written makes postToLedger answer a replay, whatever the tier is now.
    if (earned) return { entries: [{ kind: earned.kind, points: earned.points, pending: earned.pending, reason: earned.reason, orderId: earned.orderId, idempotencyKey: key }] };
    if (await tx.loyaltyLedgerEntry.count({ where: { orderId: input.orderId, userId: input.userId, kind: 'REVERSE' } })) return { entries: [] };
    const points = pointsForAmount(input.amount, input.currencyCode, account.tier);
    return { entries: [{ kind: 'EARN', points, pending: input.pending, reason: `Order ${input.orderId}`, orderId: input.orderId, idempotencyKey: key }] };
  });
}

/** Net points of one order's entries, pending and available apart. */
async function orderNet(tx: Parameters<Parameters<typeof postToLedger>[2]>[0], userId: string, orderId: string) {
  const groups = await tx.loyaltyLedgerEntry.groupBy({ by: ['pending'], where: { userId, orderId, kind: { in: ['EARN', 'REVERSE'] } }, _sum: { points: true } });
  const sum = (pending: boolean) => groups.find((g) => g.pending === pending)?._sum.points ?? 0;
  return { pending: sum(true), available: sum(false) };
}

/** Makes an order's pending points available (the order was delivered). Nothing to do: no change. */
export async function releaseOrderPoints(ctx: LoyaltyWriteContext, input: { userId: string; orderId: string }): Promise<LedgerOutcome> {
  assertCanWrite(ctx.viewer);
  return postToLedger(ctx, input.userId, async (tx) => {
    const net = await orderNet(tx, input.userId, input.orderId);
    if (net.pending <= 0) return { entries: [] };
    const reason = `Order ${input.orderId} delivered`;
    return {
      entries: [
        { kind: 'EARN', points: -net.pending, pending: true, reason, orderId: input.orderId, idempotencyKey: orderKey(input.orderId, 'release:pending') },
        { kind: 'EARN', points: net.pending, pending: false, reason, orderId: input.orderId, idempotencyKey: orderKey(input.orderId, 'release') },
      ],
    };
  });
}

/**
 * Takes back what an order earned (cancelled or refunded), pending or not. If the points were
 * already spent the balance goes negative: that is the one way it can.
 */
export async function reverseOrderPoints(ctx: LoyaltyWriteContext, input: { userId: string; orderId: string; reason?: string | null }): Promise<LedgerOutcome> {
  assertCanWrite(ctx.viewer);
  return postToLedger(ctx, input.userId, async (tx) => {
    const net = await orderNet(tx, input.userId, input.orderId);
    const reason = input.reason?.trim() || `Order ${input.orderId} reversed`;
    return {
      entries: [
        { kind: 'REVERSE', points: -Math.max(net.pending, 0), pending: true, reason, orderId: input.orderId, idempotencyKey: orderKey(input.orderId, 'reverse:pending') },
        { kind: 'REVERSE', points: -Math.max(net.available, 0), pending: false, reason, orderId: input.orderId, idempotencyKey: orderKey(input.orderId, 'reverse') },
      ],
    };
  });
}

/**
 * Takes back the refunded share of what an order earned: after refunds totalling `refundedAmount`
 * of a `capturedAmount` capture, floor(earned × refunded / captured) points are reversed in all
 * (what earlier partial refunds reversed counts towards it), pending points first. Idempotent per
 * refunded total. A full refund reverses everything (reverseOrderPoints).
 */
export async function reverseOrderShare(
  ctx: LoyaltyWriteContext,
  input: { userId: string; orderId: string; refundedAmount: number; capturedAmount: number; reason?: string | null },
): Promise<LedgerOutcome> {
  assertCanWrite(ctx.viewer);
  if (!(input.capturedAmount > 0) || input.refundedAmount >= input.capturedAmount) return reverseOrderPoints(ctx, input);
  return postToLedger(ctx, input.userId, async (tx) => {
    const rows = await tx.loyaltyLedgerEntry.findMany({ where: { userId: input.userId, orderId: input.orderId, kind: { in: ['EARN', 'REVERSE'] } } });
    const earned = rows.find((r) => r.idempotencyKey === orderKey(input.orderId, 'earn'))?.points ?? 0;
    const reversed = -rows.filter((r) => r.kind === 'REVERSE').reduce((s, r) => s + r.points, 0);
    const net = await orderNet(tx, input.userId, input.orderId);
    const target = Math.floor((earned * Math.max(input.refundedAmount, 0)) / input.capturedAmount);
    const toReverse = Math.min(Math.max(target - reversed, 0), Math.max(net.pending, 0) + Math.max(net.available, 0));
    const fromPending = Math.min(toReverse, Math.max(net.pending, 0));
    const reason = input.reason?.trim() || `Order ${input.orderId} partly refunded`;
    const step = `reverse-share:${input.refundedAmount}`;
    return {
      entries: [
        { kind: 'REVERSE', points: -fromPending, pending: true, reason, orderId: input.orderId, idempotencyKey: orderKey(input.orderId, `${step}:pending`) },
        { kind: 'REVERSE', points: -(toReverse - fromPending), pending: false, reason, orderId: input.orderId, idempotencyKey: orderKey(input.orderId, step) },
      ],
    };
  });
}

const checkPoints = (points: number) => Number.isSafeInteger(points) && points > 0;

/** Spends available points (e.g. a checkout discount). Never below zero. */
export async function redeemPoints(
  ctx: LoyaltyWriteContext,
  input: { userId: string; points: number; orderId?: string | null; reason?: string | null; idempotencyKey: string },
): Promise<LedgerOutcome> {
  assertCanWrite(ctx.viewer);
  return postToLedger(ctx, input.userId, async (_tx, account) => {
    if (!checkPoints(input.points)) return { error: userError('INVALID_POINTS', 'points must be a positive whole number', ['input', 'points']) };
    return {
      entries: [{ kind: 'REDEEM', points: -input.points, reason: input.reason?.trim() || 'Redeemed', orderId: input.orderId ?? null, idempotencyKey: input.idempotencyKey }],
      refuse: account.points < input.points ? userError('INSUFFICIENT_POINTS', `Only ${Math.max(account.points, 0)} points are available`, ['input', 'points']) : null,
    };
  });
}

export interface AdjustInput {
  userId: string;
  /** Signed, non-zero. */
  points: number;
  reason: string;
  idempotencyKey?: string | null;
}

/** A manual correction by staff (loyalty:write:any). Counts towards lifetime points, which it cannot take below zero. */
export async function adjustPoints(ctx: LoyaltyWriteContext, input: AdjustInput): Promise<LedgerOutcome> {
  assertCanWrite(ctx.viewer);
  const key = input.idempotencyKey?.trim() || `adjust:${newId()}`;
  return postToLedger(ctx, input.userId, async (_tx, account) => {
    if (!Number.isSafeInteger(input.points) || input.points === 0) return { error: userError('INVALID_POINTS', 'points must be a non-zero whole number', ['input', 'points']) };
    if (!input.reason.trim()) return { error: userError('REASON_REQUIRED', 'Say why the points change', ['input', 'reason']) };
    return {
      entries: [{ kind: 'ADJUST', points: input.points, reason: input.reason.trim(), idempotencyKey: key }],
      refuse: account.lifetimePoints + input.points < 0
        ? userError('LIFETIME_BELOW_ZERO', `At most ${account.lifetimePoints} points can be taken away`, ['input', 'points'])
        : null,
    };
  });
}
