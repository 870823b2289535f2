import { CATALOG_CHANGED, outboxEvent, type CatalogChangedPayload } from '@storefront/shared/events';

type OutboxWriter = { outboxEvent: { create(args: { data: ReturnType<typeof outboxEvent> }): Promise<unknown> } };

/**
 * Queues a CatalogChanged event in catalog's outbox, inside the caller's transaction: every admin write and every
 * stock event that moves a variant in or out of stock. Every catalog process and every gateway drops its cached
 * answers when it arrives; until then their TTLs bound how long an old answer is served.
 */
export async function announceCatalogChange(db: OutboxWriter, reason: CatalogChangedPayload['reason']): Promise<void> {
  await db.outboxEvent.create({ data: outboxEvent(CATALOG_CHANGED, 'catalog', { reason } satisfies CatalogChangedPayload) });
}
