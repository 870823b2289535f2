import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import type { DomainEvent, EventTransport, SubscribeOptions, Subscription } from './types.ts';

export const EVENT_STREAM = 'storefront:events';

/**
 * Redis Streams: one stream, one consumer group per consuming purpose. Messages are acknowledged
 * only after the handler succeeds; a dead consumer's pending messages are reclaimed by another
 * member of the group after `claimIdleMs`.
 */
export class RedisStreamsTransport implements EventTransport {
  private readonly publisher: Redis;
  private readonly readers = new Set<Redis>();
  private closed = false;

  constructor(private readonly url: string, private readonly log?: Logger, private readonly options: { stream?: string; claimIdleMs?: number; blockMs?: number; maxLen?: number } = {}) {
    this.publisher = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: false });
    this.publisher.on('error', () => {});
  }

  private get stream() {
    return this.options.stream ?? EVENT_STREAM;
  }

  /** Without an offline queue, commands fail fast while disconnected; wait briefly for a (re)connect first. */
  private async connected(timeoutMs = 2000): Promise<void> {
    if (this.publisher.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.publisher.off('ready', onReady);
        reject(new Error('Redis is unavailable'));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.publisher.once('ready', onReady);
    });
  }

  async publish(events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.connected();
    const pipeline = this.publisher.pipeline();
    for (const e of events) pipeline.xadd(this.stream, 'MAXLEN', '~', String(this.options.maxLen ?? 1_000_000), '*', 'event', JSON.stringify(e));
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  subscribe(options: SubscribeOptions): Subscription {
    const reader = new Redis(this.url, { maxRetriesPerRequest: null });
    reader.on('error', () => {});
    this.readers.add(reader);
    let stopped = false;
    const claimIdleMs = this.options.claimIdleMs ?? 30_000;

    const handle = async (id: string, fields: string[]) => {
      const raw = fields[fields.indexOf('event') + 1];
      const event = JSON.parse(raw) as DomainEvent;
      if (!options.types || options.types.includes(event.type)) await options.handler(event);
      await reader.xack(this.stream, options.group, id);
    };

    const createGroup = async () => {
      try {
        await reader.xgroup('CREATE', this.stream, options.group, options.from === 'latest' ? '$' : '0', 'MKSTREAM');
      } catch (e: any) {
        if (!String(e?.message).includes('BUSYGROUP')) this.log?.warn({ err: e }, 'xgroup create failed');
      }
    };
    const loop = async () => {
      await createGroup();
      let lastClaim = 0;
      while (!stopped && !this.closed) {
        try {
          if (Date.now() - lastClaim > claimIdleMs / 2) {
            lastClaim = Date.now();
            const [, claimed] = (await reader.xautoclaim(this.stream, options.group, options.consumer, claimIdleMs, '0-0', 'COUNT', 100)) as [string, [string, string[]][]];
            for (const [id, fields] of claimed ?? []) if (fields) await handle(id, fields);
          }
          const res = (await reader.xreadgroup('GROUP', options.group, options.consumer, 'COUNT', 100, 'BLOCK', this.options.blockMs ?? 1000, 'STREAMS', this.stream, '>')) as [string, [string, string[]][]][] | null;
          for (const [, entries] of res ?? []) for (const [id, fields] of entries) await handle(id, fields);
        } catch (e) {
          if (stopped || this.closed) break;
          // A Redis that restarted without persistence has lost the stream and its groups: make them again.
          if (String((e as Error)?.message).includes('NOGROUP')) await createGroup();
          this.log?.warn({ err: e, group: options.group }, 'event consumer error; retrying');
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    };
    void loop();
    return {
      close: async () => {
        stopped = true;
        reader.disconnect();
        this.readers.delete(reader);
        if (options.ephemeral) await this.publisher.xgroup('DESTROY', this.stream, options.group).catch(() => {});
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.readers) r.disconnect();
    this.publisher.disconnect();
  }
}
