import type { DemoFixture } from '@storefront/shared/fixtures';
import type { LoyaltyDb } from './db.ts';
import { earnForOrder } from './services/points.ts';

/**
 * The demo customers' points for the demo orders: 1 point per whole currency unit, available for
 * DELIVERED orders and pending for PAID ones. Written through the ledger service, so idempotent by
 * order (each order's earn entry has a fixed key).
 */
export async function seedLoyalty(db: LoyaltyDb, fixture: DemoFixture): Promise<void> {
  const ctx = { db, viewer: { roles: [], scopes: [], service: 'seed' } };
  for (const order of fixture.orders) {
    await earnForOrder(ctx, { userId: order.userId, orderId: order.id, amount: order.total, currencyCode: 'USD', pending: order.status !== 'DELIVERED' });
  }
}
