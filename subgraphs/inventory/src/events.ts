import { outboxEvent } from '@storefront/shared/events';
import type { Prisma } from './generated/prisma/client.ts';

/**
 * Events inventory publishes through its transactional outbox (rows built by the shared
 * `outboxEvent`, published by the shared OutboxRelay). Always written with the transaction client
 * that made the change, so an event commits or rolls back with it.
 */
export const STOCK_CHANGED = 'StockChanged';

export interface StockChangedPayload {
  variantId: string;
  available: number;
  onHand: number;
  reserved: number;
}

/** One StockChanged row per variant, stamped `occurredAt` (the caller reads it under the variant locks). */
export async function writeStockChanged(tx: Prisma.TransactionClient, payloads: readonly StockChangedPayload[], occurredAt: Date): Promise<void> {
  if (payloads.length === 0) return;
  await tx.outboxEvent.createMany({
    data: payloads.map((p) => ({ ...outboxEvent(STOCK_CHANGED, p.variantId, { ...p }), occurredAt })),
  });
}
