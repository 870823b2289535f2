import { badInput, decodeCursor, encodeCursor, pageSize, toConnection } from '@storefront/shared';
import type { OrderModel } from '../generated/prisma/models.ts';
import type { OrderDb } from '../db.ts';
import type { OrderContext } from '../context.ts';
import type { OrderKeyset } from '../loaders.ts';
import { canReadOrders } from './access.ts';

const CURSOR_KIND = 'order:newest';
const cursorOf = (o: OrderModel) => encodeCursor(CURSOR_KIND, [o.placedAt.toISOString(), o.id]);

function keysetFrom(after: string | null | undefined): OrderKeyset | null {
  const values = decodeCursor(CURSOR_KIND, after, 2);
  if (!values) return null;
  const [placedAt, id] = values;
  const at = typeof placedAt === 'string' ? new Date(placedAt) : null;
  if (!at || Number.isNaN(at.getTime()) || typeof id !== 'string') throw badInput('Invalid cursor', 'after');
  return { placedAt: at, id };
}

/** Query.order and Order references: null when missing or not the viewer's (no existence leak). */
export async function getOrder(ctx: OrderContext, id: string): Promise<OrderModel | null> {
  const order = await ctx.loaders.orderById.load(id);
  return order && canReadOrders(ctx.viewer, order.userId) ? order : null;
}

export interface OrdersPageInput {
  first?: number | null;
  after?: string | null;
}

/**
 * User.orders: newest first, keyset-paginated on (placedAt, id). Batched across users, so resolving
 * `orders` on many User references costs the same few statements as on one. Someone else's orders
 * read as an empty list.
 */
export async function ordersOfUser(ctx: OrderContext, userId: string, input: OrdersPageInput) {
  const limit = pageSize(input.first);
  const after = keysetFrom(input.after);
  if (!canReadOrders(ctx.viewer, userId)) return { ...toConnection<OrderModel>([], limit, cursorOf, false), totalCount: 0 };
  const [rows, totalCount] = await Promise.all([
    ctx.loaders.ordersPage(limit + 1, after).load(userId),
    ctx.loaders.orderCountByUser.load(userId),
  ]);
  for (const row of rows) ctx.loaders.orderById.prime(row.id, row);
  return { ...toConnection(rows, limit, cursorOf, !!after), totalCount };
}

export const orderLines = (ctx: OrderContext, order: OrderModel) => ctx.loaders.linesByOrder.load(order.id);
export const statusHistory = (ctx: OrderContext, order: OrderModel) => ctx.loaders.historyByOrder.load(order.id);

export const ORDER_NUMBER_PREFIX = 'SF-';

/** The next human-readable order number, from a database sequence (unique without any locking). */
export async function nextOrderNumber(db: Pick<OrderDb, '$queryRaw'>): Promise<string> {
  const [row] = await db.$queryRaw<{ n: bigint }[]>`SELECT nextval('"OrderNumber"') AS n`;
  return `${ORDER_NUMBER_PREFIX}${row.n.toString()}`;
}
