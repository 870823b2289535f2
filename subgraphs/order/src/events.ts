import type { Money } from '@storefront/shared';
import { outboxEvent } from '@storefront/shared/events';
import type { Prisma } from './generated/prisma/client.ts';
import type { OrderStatus } from './generated/prisma/enums.ts';

/**
 * Events order publishes through its transactional outbox: written in the same transaction as the
 * change they announce, published later by the shared OutboxRelay.
 */
export type OrderStatusChangedEvent = {
  orderId: string;
  orderNumber: string;
  userId: string;
  from: OrderStatus;
  to: OrderStatus;
  actor: string;
  reason: string | null;
  total: Money;
  /** ISO 8601. */
  occurredAt: string;
};

export type OrderEvents = {
  OrderStatusChanged: OrderStatusChangedEvent;
};

/** Appends one event to the outbox inside the caller's transaction; returns its id. */
export async function writeOutboxEvent<T extends keyof OrderEvents>(
  tx: Prisma.TransactionClient,
  type: T,
  aggregateId: string,
  payload: OrderEvents[T],
  occurredAt = new Date(),
): Promise<string> {
  const row = outboxEvent(type, aggregateId, payload);
  await tx.outboxEvent.create({ data: { ...row, occurredAt } });
  return row.id;
}
