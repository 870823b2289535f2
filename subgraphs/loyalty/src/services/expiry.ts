import type { Logger } from '@storefront/shared';
import type { LoyaltyWriteContext } from '../context.ts';
import type { LoyaltyDb } from '../db.ts';
import { postToLedger, type LedgerOutcome } from './ledger.ts';
import { releaseOrderPoints } from './points.ts';

/**
 * Expiry policy. Available points expire `expireAfterMs` after they became available (an EARN
 * released on delivery, an order earned as available, a positive ADJUST), oldest first: spending,
 * expiring and reversals consume the oldest credits first (FIFO), so only the part of old credits
 * that was never consumed expires. Pending points never expire. A run writes at most one EXPIRE
 * entry per member; running again with the same clock finds nothing more to expire.
 */
export const DEFAULT_EXPIRE_AFTER_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Holding period: an order's points are pending until it is delivered, or at most this long after
 * they were earned (an order never marked delivered); the same job then releases them.
 */
export const DEFAULT_HOLD_PENDING_MS = 30 * 24 * 60 * 60 * 1000;

/** Releases the pending points of orders earned before now - holdPendingMs. Returns how many orders. */
export async function releaseHeldPoints(db: LoyaltyDb, options: { now?: Date; holdPendingMs?: number } = {}): Promise<number> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - (options.holdPendingMs ?? DEFAULT_HOLD_PENDING_MS));
  const ctx: LoyaltyWriteContext = { db, viewer: { roles: [], scopes: [], service: 'loyalty-holding' } };
  const groups = await db.loyaltyLedgerEntry.groupBy({ by: ['userId', 'orderId'], where: { pending: true, orderId: { not: null }, kind: { in: ['EARN', 'REVERSE'] } }, _sum: { points: true }, _min: { createdAt: true } });
  let released = 0;
  for (const g of groups) {
    if ((g._sum.points ?? 0) <= 0 || !g._min.createdAt || g._min.createdAt >= cutoff) continue;
    const outcome = await releaseOrderPoints(ctx, { userId: g.userId, orderId: g.orderId! });
    if (outcome.appended.length) released++;
  }
  return released;
}

/** Expires one member's points that are older than `cutoff`. */
export async function expireMemberPoints(ctx: LoyaltyWriteContext, userId: string, cutoff: Date): Promise<LedgerOutcome> {
  return postToLedger(ctx, userId, async (tx, account) => {
    const [oldCredits, debits] = await Promise.all([
      tx.loyaltyLedgerEntry.aggregate({ where: { userId, pending: false, points: { gt: 0 }, createdAt: { lt: cutoff } }, _sum: { points: true } }),
      tx.loyaltyLedgerEntry.aggregate({ where: { userId, pending: false, points: { lt: 0 } }, _sum: { points: true } }),
    ]);
    const unconsumed = (oldCredits._sum.points ?? 0) + (debits._sum.points ?? 0);
    const expiring = Math.min(Math.max(unconsumed, 0), Math.max(account.points, 0));
    return {
      entries: [{ kind: 'EXPIRE', points: -expiring, reason: `Points earned before ${cutoff.toISOString().slice(0, 10)} expired`, idempotencyKey: `expire:${userId}:${cutoff.toISOString()}` }],
    };
  });
}

/** One run of the expiry job over every member with available points. Returns how many members lost points. */
export async function expirePoints(db: LoyaltyDb, options: { now?: Date; expireAfterMs?: number } = {}): Promise<{ members: number; points: number }> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - (options.expireAfterMs ?? DEFAULT_EXPIRE_AFTER_MS));
  const ctx: LoyaltyWriteContext = { db, viewer: { roles: [], scopes: [], service: 'loyalty-expiry' } };
  const candidates = await db.loyaltyLedgerEntry.findMany({ where: { pending: false, points: { gt: 0 }, createdAt: { lt: cutoff } }, distinct: ['userId'], select: { userId: true } });
  let members = 0;
  let points = 0;
  for (const { userId } of candidates) {
    const outcome = await expireMemberPoints(ctx, userId, cutoff);
    const expired = outcome.appended.reduce((s, e) => s - e.points, 0);
    if (expired > 0) {
      members++;
      points += expired;
    }
  }
  return { members, points };
}

/** Runs releaseHeldPoints and expirePoints every `intervalMs` (0 = never) until stopped. */
export function startExpiryJob(db: LoyaltyDb, options: { intervalMs: number; expireAfterMs?: number; holdPendingMs?: number; log?: Logger }): { stop(): Promise<void> } {
  if (!(options.intervalMs > 0)) return { stop: async () => {} };
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() =>
      releaseHeldPoints(db, { holdPendingMs: options.holdPendingMs })
        .then(() => expirePoints(db, { expireAfterMs: options.expireAfterMs }))
        .then(
        (r) => r.members > 0 && options.log?.info(r, 'loyalty points expired'),
        (err) => options.log?.warn({ err }, 'loyalty expiry run failed'),
      ),
    );
  }, options.intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
