import DataLoader from 'dataloader';
import { loaderById, loaderByGroup } from '@storefront/shared';
import { Prisma } from './generated/prisma/client.ts';
import type { OrderModel } from './generated/prisma/models.ts';
import type { OrderDb } from './db.ts';

/** Where a page of a user's orders starts: strictly after this (placedAt, id), newest first. */
export interface OrderKeyset {
  placedAt: Date;
  id: string;
}

/**
 * One page of orders for each of many users in two statements: a window function picks the ids of
 * each user's first `take` orders after the keyset (index on userId, placedAt desc, id desc), then
 * the rows are read by id. Results are newest first.
 */
async function pagesByUser(db: OrderDb, userIds: readonly string[], take: number, after: OrderKeyset | null): Promise<OrderModel[]> {
  const keyset = after ? Prisma.sql`AND ("placedAt", "id") < (${after.placedAt.toISOString()}::timestamp, ${after.id})` : Prisma.empty;
  const picked = await db.$queryRaw<{ id: string }[]>`
    SELECT "id" FROM (
      SELECT "id", row_number() OVER (PARTITION BY "userId" ORDER BY "placedAt" DESC, "id" DESC) AS "rank"
      FROM "Order"
      WHERE "userId" = ANY(${[...userIds]}::text[]) ${keyset}
    ) ranked
    WHERE "rank" <= ${take}`;
  if (picked.length === 0) return [];
  return db.order.findMany({ where: { id: { in: picked.map((r) => r.id) } }, orderBy: [{ placedAt: 'desc' }, { id: 'desc' }] });
}

/** Per-request DataLoaders: every entity reference and relation in order goes through one of these. */
export function createLoaders(db: OrderDb) {
  const pages = new Map<string, DataLoader<string, OrderModel[]>>();
  return {
    orderById: loaderById((ids) => db.order.findMany({ where: { id: { in: [...ids] } } }), (o) => o.id),
    linesByOrder: loaderByGroup(
      (ids) => db.orderLine.findMany({ where: { orderId: { in: [...ids] } }, orderBy: [{ orderId: 'asc' }, { position: 'asc' }, { id: 'asc' }] }),
      (l) => l.orderId,
    ),
    historyByOrder: loaderByGroup(
      (ids) => db.orderStatusHistory.findMany({ where: { orderId: { in: [...ids] } }, orderBy: [{ at: 'asc' }, { id: 'asc' }] }),
      (h) => h.orderId,
    ),
    orderCountByUser: new DataLoader<string, number>(async (userIds) => {
      const rows = await db.order.groupBy({ by: ['userId'], where: { userId: { in: [...userIds] } }, _count: { _all: true } });
      const counts = new Map(rows.map((r) => [r.userId, r._count._all]));
      return userIds.map((id) => counts.get(id) ?? 0);
    }),
    /**
     * Orders of many users for the same page arguments (as when the gateway resolves `orders` on a
     * list of User references): one loader, hence one batch, per distinct (take, after).
     */
    ordersPage(take: number, after: OrderKeyset | null): DataLoader<string, OrderModel[]> {
      const key = `${take}:${after ? `${after.placedAt.toISOString()}:${after.id}` : ''}`;
      let loader = pages.get(key);
      if (!loader) {
        loader = loaderByGroup((userIds) => pagesByUser(db, userIds, take, after), (o) => o.userId);
        pages.set(key, loader);
      }
      return loader;
    },
  };
}

export type OrderLoaders = ReturnType<typeof createLoaders>;
