/** A domain event as it travels between services. Consumers dedupe on `id`. */
export interface DomainEvent<P = Record<string, unknown>> {
  id: string;
  type: string;
  aggregateId: string;
  payload: P;
  occurredAt: string;
  /** The subgraph whose outbox produced it. */
  source: string;
}

export type EventHandler = (event: DomainEvent) => Promise<void>;

export interface SubscribeOptions {
  /** Consumer group: every group receives every event once; members of a group share the work. */
  group: string;
  /** This process's name inside the group. */
  consumer: string;
  /** Only these event types reach the handler (others are acknowledged and skipped). */
  types?: string[];
  handler: EventHandler;
  /** 'start' (default) replays what the group has not seen; 'latest' only what is published from now on. */
  from?: 'start' | 'latest';
  /** Delete the group when the subscription closes (per-instance broadcast groups). */
  ephemeral?: boolean;
}

export interface Subscription {
  close(): Promise<void>;
}

/** Where events go after the outbox: Redis Streams in production, in-process in embedded mode. */
export interface EventTransport {
  publish(events: DomainEvent[]): Promise<void>;
  subscribe(options: SubscribeOptions): Subscription;
  close(): Promise<void>;
}

/**
 * Identity's event when a partner API client's grants or policy change, or it is revoked: every gateway drops
 * its cached verification of that client's key.
 */
export const API_CLIENT_CHANGED = 'ApiClientChanged';
export interface ApiClientChangedPayload {
  clientId: string;
  revoked: boolean;
}

/**
 * Catalog's event when what it shows shoppers changed: an editor's write, or a variant going in or out of stock.
 * Every catalog process drops its search cache and every gateway its cached responses, so no replica keeps
 * serving the old answer until its TTL runs out.
 */
export const CATALOG_CHANGED = 'CatalogChanged';
export interface CatalogChangedPayload {
  reason: 'write' | 'stock';
}
