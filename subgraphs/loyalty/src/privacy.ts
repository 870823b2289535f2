import { newId, privacyExportRoute as exportRoute, userDeletedConsumer as erasingConsumer, type EventConsumer, type Route } from '@storefront/shared';
import { applyOnce } from '@storefront/shared/events';
import type { LoyaltyDb } from './db.ts';
import { lockAccount } from './services/ledger.ts';

/**
 * Privacy (GDPR) for the loyalty subgraph.
 * - Export: the user's account (balances, tier) and the whole ledger.
 * - Deletion (UserDeleted from identity): the account is closed (`closedAt`, created closed if the user never
 *   had one): its available and pending points are expired by two EXPIRE ledger entries (reason
 *   ACCOUNT_CLOSED_REASON), so the ledger invariants still hold (points = sum of non-pending entries,
 *   pendingPoints = sum of pending ones), and the ledger takes no more entries (services/ledger.ts), also from
 *   order events that arrive after the deletion. The history stays: it is keyed only by the user id, which no
 *   longer resolves to a person once identity has anonymised the user, and it holds no names, emails or
 *   addresses.
 */
export const PRIVACY_CONSUMER = 'loyalty.privacy';
export const ACCOUNT_CLOSED_REASON = 'Account closed: the customer deleted their account';

export async function exportUserData(db: LoyaltyDb, userId: string) {
  const account = await db.loyaltyAccount.findUnique({ where: { userId } });
  const ledger = await db.loyaltyLedgerEntry.findMany({
    where: { userId },
    select: { id: true, kind: true, points: true, pending: true, reason: true, orderId: true, createdAt: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return { loyalty: account ? { ...account, ledger } : null };
}

export async function eraseUserData(db: LoyaltyDb, eventId: string, userId: string): Promise<boolean> {
  return applyOnce(db, PRIVACY_CONSUMER, eventId, async (tx) => {
    const account = await lockAccount(tx, userId);
    const entries = [
      { points: account.points, pending: false },
      { points: account.pendingPoints, pending: true },
    ].filter((e) => e.points !== 0);
    for (const e of entries) {
      await tx.loyaltyLedgerEntry.create({
        data: {
          id: newId(), userId, kind: 'EXPIRE', points: -e.points, pending: e.pending, reason: ACCOUNT_CLOSED_REASON,
          actor: 'service:identity', idempotencyKey: `privacy:${eventId}:${e.pending ? 'pending' : 'available'}`,
        },
      });
    }
    await tx.loyaltyAccount.update({ where: { userId }, data: { points: 0, pendingPoints: 0, closedAt: new Date() } });
  });
}

/** The export route identity calls (signed as service 'identity' acting for the user) and the UserDeleted consumer. */
export const privacyExportRoute = (db: LoyaltyDb, secret?: string): Route => exportRoute((userId) => exportUserData(db, userId), secret);
export const userDeletedConsumer = (db: LoyaltyDb): EventConsumer => erasingConsumer(PRIVACY_CONSUMER, (eventId, userId) => eraseUserData(db, eventId, userId));
