import { randomUUID } from 'node:crypto';
import type { EventHandler, SubscribeOptions } from './types.ts';

/**
 * Options for a subscription that gets every event of `types` published from now on, whatever other processes
 * subscribe: a consumer group of its own (`<name>.<unique suffix>`), deleted when it closes. For per-process
 * state such as caches; a process down when an event is published never sees it, so such state needs a TTL.
 */
export function broadcast(name: string, types: string[], handler: EventHandler, consumer = 'main'): SubscribeOptions {
  return { group: `${name}.${randomUUID()}`, consumer, types, handler, from: 'latest', ephemeral: true };
}
