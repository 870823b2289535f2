import { privacyExportRoute as exportRoute, userDeletedConsumer as erasingConsumer, type EventConsumer, type Route } from '@storefront/shared';
import { applyOnce } from '@storefront/shared/events';
import type { OrderDb } from './db.ts';

/**
 * Privacy (GDPR) for the order subgraph.
 * - Export: every order of the user with its lines, status history and shipping address.
 * - Deletion (UserDeleted from identity): orders STAY (bookkeeping and tax law require the sales records:
 *   number, lines, amounts, dates, status history), keyed by the now-anonymous user id. The shipping
 *   address is reduced to its country (the tax jurisdiction of the sale); recipient, street, city,
 *   postcode and phone are removed. Tracking numbers stay (carrier references, not personal).
 */
export const PRIVACY_CONSUMER = 'order.privacy';

export async function exportUserData(db: OrderDb, userId: string) {
  const orders = await db.order.findMany({
    where: { userId },
    include: { lines: { orderBy: { position: 'asc' } }, history: { orderBy: { at: 'asc' } } },
    orderBy: { placedAt: 'asc' },
  });
  return { orders: orders.map(({ idempotencyKey: _key, ...order }) => order) };
}

export async function eraseUserData(db: OrderDb, eventId: string, userId: string): Promise<boolean> {
  return applyOnce(db, PRIVACY_CONSUMER, eventId, async (tx) => {
    const orders: { id: string; shippingAddress: unknown }[] = await tx.order.findMany({ where: { userId }, select: { id: true, shippingAddress: true } });
    for (const order of orders) {
      const address = order.shippingAddress as { country?: unknown; countryCode?: unknown } | null;
      if (address == null || typeof address !== 'object') continue;
      const country = [address.country, address.countryCode].find((c): c is string => typeof c === 'string' && /^[A-Z]{2}$/.test(c));
      await tx.order.update({ where: { id: order.id }, data: { shippingAddress: country ? { country } : { erased: true } } });
    }
  });
}

/** The export route identity calls (signed as service 'identity' acting for the user) and the UserDeleted consumer. */
export const privacyExportRoute = (db: OrderDb, secret?: string): Route => exportRoute((userId) => exportUserData(db, userId), secret);
export const userDeletedConsumer = (db: OrderDb): EventConsumer => erasingConsumer(PRIVACY_CONSUMER, (eventId, userId) => eraseUserData(db, eventId, userId));
