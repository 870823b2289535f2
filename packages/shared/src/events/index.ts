export type { ApiClientChangedPayload, CatalogChangedPayload, DomainEvent, EventHandler, EventTransport, SubscribeOptions, Subscription } from './types.ts';
export { API_CLIENT_CHANGED, CATALOG_CHANGED } from './types.ts';
export { MemoryTransport } from './memoryTransport.ts';
export { RedisStreamsTransport, EVENT_STREAM } from './redisTransport.ts';
export { OutboxRelay, applyOnce, outboxEvent, type OutboxDb } from './outbox.ts';
export { createEventTransport } from './transport.ts';
export { LiveEvents } from './liveEvents.ts';
export { broadcast } from './broadcast.ts';
