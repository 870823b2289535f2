import { newId, userError, type UserError, type Viewer } from '@storefront/shared';
import { Prisma } from '../generated/prisma/client.ts';
import type { LoyaltyEntryKind } from '../generated/prisma/enums.ts';
import type { LoyaltyAccountModel, LoyaltyLedgerEntryModel } from '../generated/prisma/models.ts';
import type { LoyaltyWriteContext } from '../context.ts';
import type { LoyaltyTx } from '../db.ts';
import { recordEvent } from './outbox.ts';
import { tierAfter, tierFor } from './tiers.ts';

/**
 * The only code that changes loyalty balances. Every change is a set of ledger entries appended in
 * the same transaction that updates the account, under the account's row lock, so that always
 *   points         = sum of non-pending entries
 *   pendingPoints  = sum of pending entries
 *   lifetimePoints = sum of non-pending EARN, REVERSE and ADJUST entries
 * and the tier follows lifetimePoints, up at once, down only after its period (services/tiers.ts).
 */

export type LoyaltyErrorCode = 'INVALID_POINTS' | 'INSUFFICIENT_POINTS' | 'LIFETIME_BELOW_ZERO' | 'IDEMPOTENCY_KEY_REUSED' | 'REASON_REQUIRED' | 'HOLD_NOT_FOUND' | 'HOLD_RELEASED' | 'ACCOUNT_CLOSED';

export interface EntryInput {
  kind: LoyaltyEntryKind;
  /** Signed. */
  points: number;
  pending?: boolean;
  reason: string;
  orderId?: string | null;
  /** Unique across the ledger: appending an entry whose key exists is a replay and changes nothing. */
  idempotencyKey: string;
}

/**
 * What to append, decided while the account is locked. `error` refuses at once (bad input);
 * `refuse` refuses unless the entries were already appended, so a replay of a change that
 * succeeded still answers success after the balance moved on (a retried redemption, say).
 */
export type LedgerPlan = { error: UserError<LoyaltyErrorCode> } | { entries: EntryInput[]; refuse?: UserError<LoyaltyErrorCode> | null };

export interface LedgerOutcome {
  account: LoyaltyAccountModel;
  /** The entries this call appended (empty for a replay or an error). */
  appended: LoyaltyLedgerEntryModel[];
  replayed: boolean;
  userErrors: UserError<LoyaltyErrorCode>[];
}

/** Writers of one account queue on its row lock, so allow for waiting on the pool and the lock. */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 20_000 };

const COUNTS_TOWARDS_LIFETIME = new Set<LoyaltyEntryKind>(['EARN', 'REVERSE', 'ADJUST']);

export const actorOf = (viewer: Viewer) => (viewer.service ? `service:${viewer.service}` : viewer.userId ?? null);

/** The balances after appending `entries` to an account with the given ones. */
export function applyEntries(
  balances: Pick<LoyaltyAccountModel, 'points' | 'pendingPoints' | 'lifetimePoints'>,
  entries: readonly Pick<EntryInput, 'kind' | 'points' | 'pending'>[],
) {
  let { points, pendingPoints, lifetimePoints } = balances;
  for (const e of entries) {
    if (e.pending) pendingPoints += e.points;
    else {
      points += e.points;
      if (COUNTS_TOWARDS_LIFETIME.has(e.kind)) lifetimePoints += e.points;
    }
  }
  return { points, pendingPoints, lifetimePoints };
}

/** What a member with no ledger entries has: nothing, at the first tier. Not stored. */
export function zeroAccount(userId: string): LoyaltyAccountModel {
  const now = new Date();
  return { userId, points: 0, pendingPoints: 0, lifetimePoints: 0, tier: tierFor(0), tierPeriodStart: now, closedAt: null, createdAt: now, updatedAt: now };
}

/** The user's account, created at zero if they have none yet, locked for the rest of the transaction. */
export async function lockAccount(tx: LoyaltyTx, userId: string): Promise<LoyaltyAccountModel> {
  await tx.$executeRaw`INSERT INTO "LoyaltyAccount" ("userId", "updatedAt") VALUES (${userId}, now()) ON CONFLICT ("userId") DO NOTHING`;
  await tx.$queryRaw`SELECT 1 FROM "LoyaltyAccount" WHERE "userId" = ${userId} FOR UPDATE`;
  return tx.loyaltyAccount.findUniqueOrThrow({ where: { userId } });
}

const sameEntry = (row: LoyaltyLedgerEntryModel, userId: string, e: EntryInput) =>
  row.userId === userId && row.kind === e.kind && row.points === e.points && row.pending === (e.pending ?? false);

/**
 * Appends what `plan` decides to the user's ledger and updates their account (creating it at zero
 * first if needed), all in one transaction. Idempotent by the entries' keys.
 */
export async function postToLedger(
  ctx: LoyaltyWriteContext,
  userId: string,
  plan: (tx: LoyaltyTx, account: LoyaltyAccountModel) => Promise<LedgerPlan>,
): Promise<LedgerOutcome> {
  const actor = actorOf(ctx.viewer);
  try {
    return await ctx.db.$transaction(async (tx) => {
      const account = await lockAccount(tx, userId);
      // Closed by the customer's account deletion (privacy.ts). Events about their orders can still arrive after
      // it (events from different subgraphs are not ordered); none of them moves points any more.
      if (account.closedAt) return { account, appended: [], replayed: false, userErrors: [userError('ACCOUNT_CLOSED', 'The customer deleted their account: it takes no more points')] };
      const decided = await plan(tx, account);
      if ('error' in decided) return { account, appended: [], replayed: false, userErrors: [decided.error] };
      const entries = decided.entries.filter((e) => e.points !== 0);
      if (entries.length === 0) return { account, appended: [], replayed: false, userErrors: [] };

      const existing = await tx.loyaltyLedgerEntry.findMany({ where: { idempotencyKey: { in: entries.map((e) => e.idempotencyKey) } } });
      if (existing.length > 0) {
        const byKey = new Map(existing.map((row) => [row.idempotencyKey, row]));
        const replay = existing.length === entries.length && entries.every((e) => byKey.has(e.idempotencyKey) && sameEntry(byKey.get(e.idempotencyKey)!, userId, e));
        return replay
          ? { account, appended: [], replayed: true, userErrors: [] }
          : { account, appended: [], replayed: false, userErrors: [userError('IDEMPOTENCY_KEY_REUSED', 'This idempotencyKey was used for a different change', ['input', 'idempotencyKey'])] };
      }
      if (decided.refuse) return { account, appended: [], replayed: false, userErrors: [decided.refuse] };

      const now = new Date();
      const rows: LoyaltyLedgerEntryModel[] = entries.map((e) => ({
        id: newId(), userId, kind: e.kind, points: e.points, pending: e.pending ?? false, reason: e.reason,
        orderId: e.orderId ?? null, actor, idempotencyKey: e.idempotencyKey, createdAt: now,
      }));
      await tx.loyaltyLedgerEntry.createMany({ data: rows });
      const balances = applyEntries(account, rows);
      const { tier, periodStart } = tierAfter(account, balances.lifetimePoints, now);
      const updated = await tx.loyaltyAccount.update({
        where: { userId },
        data: { ...balances, tier, tierPeriodStart: periodStart },
      });
      if (tier !== account.tier) {
        await recordEvent(tx, 'LoyaltyTierChanged', userId, { userId, from: account.tier, to: tier, lifetimePoints: balances.lifetimePoints });
      }
      return { account: updated, appended: rows, replayed: false, userErrors: [] };
    }, TRANSACTION_OPTIONS);
  } catch (e) {
    // Another user's entry took one of the keys first.
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') {
      const account = (await ctx.db.loyaltyAccount.findUnique({ where: { userId } })) ?? zeroAccount(userId);
      return { account, appended: [], replayed: false, userErrors: [userError('IDEMPOTENCY_KEY_REUSED', 'This idempotencyKey was used for a different change', ['input', 'idempotencyKey'])] };
    }
    throw e;
  }
}
