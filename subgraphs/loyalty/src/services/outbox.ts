import { newId } from '@storefront/shared';
import type { LoyaltyTx } from '../db.ts';

export type LoyaltyEventType = 'LoyaltyTierChanged';

/** Records an event in the transactional outbox, inside the transaction whose change it describes. */
export async function recordEvent(tx: LoyaltyTx, type: LoyaltyEventType, aggregateId: string, payload: Record<string, unknown>): Promise<void> {
  await tx.outboxEvent.create({ data: { id: newId(), type, aggregateId, payload: payload as object } });
}
