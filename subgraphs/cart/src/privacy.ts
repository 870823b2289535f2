import { privacyExportRoute as exportRoute, userDeletedConsumer as erasingConsumer, type EventConsumer, type Route } from '@storefront/shared';
import { applyOnce } from '@storefront/shared/events';
import type { CartDb } from './db.ts';

/**
 * Privacy (GDPR) for the cart subgraph.
 * - Export: every cart of the user (lines, shipping address) and their checkout attempts (without the card token).
 * - Deletion (UserDeleted from identity): the user's carts are deleted with their lines and shipping addresses,
 *   and so are finished checkout attempts (their snapshot holds the address). A checkout still in flight keeps its
 *   row until the saga finishes (it needs the snapshot to place the order); the sweeper expires it afterwards.
 *   Nothing personal stays: orders and payments, which accounting needs, live in their own subgraphs.
 */
export const PRIVACY_CONSUMER = 'cart.privacy';

export async function exportUserData(db: CartDb, userId: string) {
  const carts = await db.cart.findMany({ where: { userId }, include: { lines: { orderBy: { addedAt: 'asc' } } }, orderBy: { createdAt: 'asc' } });
  const checkouts = await db.checkoutAttempt.findMany({
    where: { ownerId: userId },
    select: { id: true, cartId: true, step: true, orderId: true, paymentId: true, failureCode: true, snapshot: true, createdAt: true, finishedAt: true },
    orderBy: { createdAt: 'asc' },
  });
  return {
    carts: carts.map(({ guestTokenHash: _hash, ...cart }) => cart),
    checkouts,
  };
}

export async function eraseUserData(db: CartDb, eventId: string, userId: string): Promise<boolean> {
  return applyOnce(db, PRIVACY_CONSUMER, eventId, async (tx) => {
    await tx.cart.deleteMany({ where: { userId } });
    await tx.checkoutAttempt.deleteMany({ where: { ownerId: userId, finishedAt: { not: null } } });
  });
}

/** The export route identity calls (signed as service 'identity' acting for the user) and the UserDeleted consumer. */
export const privacyExportRoute = (db: CartDb, secret?: string): Route => exportRoute((userId) => exportUserData(db, userId), secret);
export const userDeletedConsumer = (db: CartDb): EventConsumer => erasingConsumer(PRIVACY_CONSUMER, (eventId, userId) => eraseUserData(db, eventId, userId));
