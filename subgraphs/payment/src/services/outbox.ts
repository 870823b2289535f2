import { outboxEvent } from '@storefront/shared/events';
import type { PaymentTx } from '../db.ts';

/** Events this subgraph publishes. Their payloads carry ids and amounts, never card data. */
export type PaymentEventType = 'PaymentAuthorized' | 'PaymentFailed' | 'PaymentCaptured' | 'PaymentVoided' | 'PaymentRefunded';

/**
 * Records an event in the transactional outbox. Call it with the transaction that makes the change
 * the event describes, so the event exists exactly when the change does; a relay publishes it later.
 */
export async function recordEvent(tx: PaymentTx, type: PaymentEventType, aggregateId: string, payload: Record<string, unknown>): Promise<void> {
  await tx.outboxEvent.create({ data: outboxEvent(type, aggregateId, payload) });
}
