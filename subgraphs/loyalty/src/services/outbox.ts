import { outboxEvent } from '@storefront/shared/events';
import type { LoyaltyTx } from '../db.ts';

export type LoyaltyEventType = 'LoyaltyTierChanged';

/** Records an event in the transactional outbox, inside the transaction whose change it describes. */
export async function recordEvent(tx: LoyaltyTx, type: LoyaltyEventType, aggregateId: string, payload: Record<string, unknown>): Promise<void> {
  await tx.outboxEvent.create({ data: outboxEvent(type, aggregateId, payload) });
}
