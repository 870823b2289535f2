import { internalSecret, sendJson, verifyIdentity, type EventConsumer, type Route } from '@storefront/shared';
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
export const PRIVACY_EXPORT_PATH = '/internal/privacy/export';
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

/** Identity asks, signed as service 'identity' acting for the user being exported. */
export function privacyExportRoute(db: OrderDb, secret: string = internalSecret()): Route {
  return {
    method: 'POST',
    path: PRIVACY_EXPORT_PATH,
    handle: async (req, res) => {
      const verified = verifyIdentity((h) => req.headers[h] as string | undefined, secret);
      if (!verified.ok || verified.viewer.service !== 'identity' || !verified.viewer.userId) {
        return sendJson(res, 401, { error: 'unauthorized', message: 'Only the identity service may export personal data' });
      }
      sendJson(res, 200, await exportUserData(db, verified.viewer.userId), { 'cache-control': 'no-store' });
    },
  };
}

export const userDeletedConsumer = (db: OrderDb): EventConsumer => ({
  group: PRIVACY_CONSUMER,
  types: ['UserDeleted'],
  handler: async (e) => {
    await eraseUserData(db, e.id, String(e.payload.userId ?? e.aggregateId));
  },
});
