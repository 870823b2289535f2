import { badInput } from '@storefront/shared';
import type { DomainEvent } from '@storefront/shared/events';
import type { InventoryContext } from '../context.ts';
import { STOCK_CHANGED, type StockChangedPayload } from '../events.ts';

export const LIVE_EVENT_TYPES = [STOCK_CHANGED];
const MAX_WATCHED = 100;

export function watchStock(ctx: InventoryContext, variantIds: readonly string[]) {
  if (variantIds.length === 0 || variantIds.length > MAX_WATCHED) throw badInput(`variantIds must name 1 to ${MAX_WATCHED} variants`, 'variantIds');
  if (!ctx.live) throw new Error('Subscriptions need an event transport (start the inventory subgraph with events)');
  const watched = new Set(variantIds);
  return ctx.live.listen(LIVE_EVENT_TYPES, (e) => watched.has(e.aggregateId));
}

export function stockLevelChange(event: DomainEvent) {
  const p = event.payload as unknown as StockChangedPayload;
  return { variantId: p.variantId, variant: { id: p.variantId }, available: p.available, onHand: p.onHand, reserved: p.reserved, inStock: p.available > 0 };
}
