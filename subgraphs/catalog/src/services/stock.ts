import type { CatalogDb } from '../db.ts';
import { announceCatalogChange } from './changes.ts';

/** Consumer name under which processed StockChanged events are recorded in ProcessedEvent. */
export const STOCK_CONSUMER = 'catalog.stock';

export interface StockChangedEvent {
  /** Unique per event; a redelivered event carries the same id and is applied once. */
  eventId: string;
  variantId: string;
  /** Units available to sell (inventory's onHand - reserved, summed over locations). */
  available: number;
  /** When inventory computed `available`; when given, an older event never overwrites a newer level. */
  occurredAt?: Date | string | null;
}

export type StockChangeOutcome = 'APPLIED' | 'DUPLICATE' | 'STALE' | 'UNKNOWN_VARIANT';

/**
 * Keeps Variant.available (the catalog's copy of inventory's availability, used by the inStock filter and facet)
 * in step with inventory. Idempotent: the event id is recorded in ProcessedEvent in the same transaction as the
 * update, so a redelivery (even a concurrent one) changes nothing. Events about unknown variants are recorded
 * too, so they are not redelivered forever. A malformed event throws (for the bus to dead-letter).
 */
export async function applyStockChanged(target: CatalogDb | { db: CatalogDb }, event: StockChangedEvent): Promise<StockChangeOutcome> {
  const db = 'db' in target ? target.db : target;
  const { eventId, variantId, available } = event;
  if (typeof eventId !== 'string' || eventId.length === 0 || eventId.length > 200) throw new Error('StockChanged: eventId must be a non-empty string');
  if (typeof variantId !== 'string' || variantId.length === 0 || variantId.length > 100) throw new Error('StockChanged: variantId must be a non-empty string');
  if (!Number.isSafeInteger(available) || Math.abs(available) > 2_147_483_647) throw new Error('StockChanged: available must be an integer');
  const occurredAt = event.occurredAt == null ? null : new Date(event.occurredAt);
  if (occurredAt && Number.isNaN(occurredAt.getTime())) throw new Error('StockChanged: occurredAt is not a date');

  return db.$transaction(async (tx) => {
    const recorded = await tx.processedEvent.createMany({ data: [{ consumer: STOCK_CONSUMER, eventId }], skipDuplicates: true });
    if (recorded.count === 0) return 'DUPLICATE';
    // The variant update's trigger rewrites the product's facet summary; taking the product's lock first keeps the
    // order admin variant edits use (product, then variant), so the two cannot deadlock.
    const [before] = await tx.$queryRaw<{ available: number }[]>`
      SELECT v."available" FROM "Product" p JOIN "Variant" v ON v."productId" = p."id" WHERE v."id" = ${variantId} FOR UPDATE OF p`;
    if (before === undefined) return 'UNKNOWN_VARIANT';
    const updated = await tx.variant.updateMany({
      where: { id: variantId, ...(occurredAt ? { OR: [{ availableAt: null }, { availableAt: { lte: occurredAt } }] } : {}) },
      data: { available, ...(occurredAt ? { availableAt: occurredAt } : {}) },
    });
    if (updated.count === 0) return 'STALE';
    // Only a variant going in or out of stock changes what the inStock filter and facets return: then every
    // catalog process (this one included) and every gateway drops its cached answers when CatalogChanged arrives.
    if ((before.available > 0) !== (available > 0)) await announceCatalogChange(tx, 'stock');
    return 'APPLIED';
  });
}
