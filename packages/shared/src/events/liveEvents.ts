import { randomUUID } from 'node:crypto';
import type { DomainEvent, EventTransport, Subscription } from './types.ts';

/**
 * Feeds GraphQL subscriptions from the event stream. Each process subscribes with a group of its
 * own, so every instance sees every event (broadcast), and fans events out to local listeners.
 * A listener's buffer is bounded: a subscriber that does not keep up is ended, not buffered for.
 */
export class LiveEvents {
  private readonly listeners = new Set<{ types: Set<string>; push(e: DomainEvent): void }>();
  private readonly subscription: Subscription;

  constructor(transport: EventTransport, name: string, types: string[], private readonly maxBuffered = 1000) {
    this.subscription = transport.subscribe({
      group: `${name}.live.${randomUUID()}`,
      consumer: 'live',
      types,
      from: 'latest',
      ephemeral: true,
      handler: async (event) => {
        for (const l of this.listeners) if (l.types.has(event.type)) l.push(event);
      },
    });
  }

  /** An async iterator of the events of these types that pass `filter`, from now on. */
  listen(types: string[], filter: (e: DomainEvent) => boolean = () => true): AsyncIterableIterator<DomainEvent> {
    const queue: DomainEvent[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    let overflow = false;
    const listener = {
      types: new Set(types),
      push: (e: DomainEvent) => {
        if (done || !filter(e)) return;
        if (queue.length >= this.maxBuffered) {
          overflow = true;
          done = true;
        } else queue.push(e);
        wake?.();
      },
    };
    this.listeners.add(listener);
    const finish = () => {
      done = true;
      this.listeners.delete(listener);
      wake?.();
    };
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next(): Promise<IteratorResult<DomainEvent>> {
        while (queue.length === 0 && !done) await new Promise<void>((r) => (wake = r));
        wake = null;
        if (overflow) {
          finish();
          throw new Error('Subscriber too slow: event buffer overflowed');
        }
        if (queue.length > 0) return { value: queue.shift()!, done: false };
        finish();
        return { value: undefined, done: true };
      },
      async return(): Promise<IteratorResult<DomainEvent>> {
        finish();
        return { value: undefined, done: true };
      },
    };
  }

  async close(): Promise<void> {
    for (const l of [...this.listeners]) this.listeners.delete(l);
    await this.subscription.close();
  }
}
