import { deterministicId } from '@storefront/shared';
import type { DemoFixture } from '@storefront/shared/fixtures';
import type { OrderStatus } from './generated/prisma/enums.ts';
import type { OrderDb } from './db.ts';

/** The way a fixture order reached its status, one step per hour after it was placed. */
const HAPPY_PATH: Record<'PAID' | 'DELIVERED', OrderStatus[]> = {
  PAID: ['PENDING_PAYMENT', 'PAID'],
  DELIVERED: ['PENDING_PAYMENT', 'PAID', 'FULFILLED', 'SHIPPED', 'DELIVERED'],
};
const ACTORS: Partial<Record<OrderStatus, string>> = {
  PENDING_PAYMENT: 'service:checkout', PAID: 'service:payment', FULFILLED: 'service:inventory', SHIPPED: 'system', DELIVERED: 'system',
};
const HOUR = 3_600_000;

/** Writes the demo orders with their lines and status history. Idempotent: existing rows are left as they are. */
export async function seedOrder(db: OrderDb, fixture: DemoFixture): Promise<void> {
  await db.order.createMany({
    data: fixture.orders.map((o) => {
      const subtotal = o.lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
      return {
        id: o.id, number: o.number, userId: o.userId, status: o.status, currency: 'USD',
        subtotal, discountTotal: 0, shippingTotal: o.total - subtotal, taxTotal: 0, total: o.total,
        placedAt: o.placedAt, createdAt: o.placedAt,
      };
    }),
    skipDuplicates: true,
  });
  await db.orderLine.createMany({
    data: fixture.orders.flatMap((o) => o.lines.map((l, position) => ({
      id: deterministicId('order-line', `${o.id}:${position}`), orderId: o.id, variantId: l.variantId, sku: l.sku, productTitle: l.productTitle,
      quantity: l.quantity, unitPrice: l.unitPrice, lineTotal: l.quantity * l.unitPrice, position,
    }))),
    skipDuplicates: true,
  });
  await db.orderStatusHistory.createMany({
    data: fixture.orders.flatMap((o) => HAPPY_PATH[o.status].map((to, i, path) => ({
      id: deterministicId('order-status', `${o.id}:${i}`), orderId: o.id, from: i === 0 ? null : path[i - 1], to,
      actor: ACTORS[to]!, reason: i === 0 ? 'placed' : null, at: new Date(o.placedAt.getTime() + i * HOUR),
    }))),
    skipDuplicates: true,
  });
}
