import type { Redis } from 'ioredis';
import type { Logger } from '@storefront/shared';
import type { PersistedQueryRegistry } from '../persistedQueries/registry.ts';

/** Apollo Server's KeyValueCache<string> contract (ttl in seconds). */
export interface StringCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

/**
 * The APQ store in Redis, shared by every gateway instance. Errors count as misses (the client
 * then sends the full query, which still works) and failed writes are dropped: a Redis outage
 * costs bandwidth, not availability.
 */
export class RedisStringCache implements StringCache {
  private lastWarning = 0;

  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly log: Logger) {}

  private warn(err: unknown) {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.log.warn({ err }, 'APQ cache unavailable (Redis); treating lookups as misses');
  }

  async get(key: string) {
    try {
      return (await this.redis.get(this.prefix + key)) ?? undefined;
    } catch (err) {
      this.warn(err);
      return undefined;
    }
  }

  async set(key: string, value: string, options?: { ttl?: number | null }) {
    try {
      if (options?.ttl) await this.redis.set(this.prefix + key, value, 'EX', Math.ceil(options.ttl));
      else await this.redis.set(this.prefix + key, value);
    } catch (err) {
      this.warn(err);
    }
  }

  async delete(key: string) {
    try {
      return (await this.redis.del(this.prefix + key)) > 0;
    } catch (err) {
      this.warn(err);
      return false;
    }
  }
}

/** In-process LRU bounded by total size, with expiry: the APQ store when no Redis is configured. */
export class MemoryStringCache implements StringCache {
  private entries = new Map<string, { value: string; expiresAt: number }>();
  private size = 0;

  constructor(private readonly maxChars = 16 * 1024 * 1024) {}

  async get(key: string) {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= Date.now()) {
      this.size -= entry.value.length;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry.value;
  }

  async set(key: string, value: string, options?: { ttl?: number | null }) {
    await this.delete(key);
    if (value.length > this.maxChars) return;
    this.entries.set(key, { value, expiresAt: options?.ttl ? Date.now() + options.ttl * 1000 : Infinity });
    this.size += value.length;
    for (const [oldest, entry] of this.entries) {
      if (this.size <= this.maxChars) break;
      this.entries.delete(oldest);
      this.size -= entry.value.length;
    }
  }

  async delete(key: string) {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.size -= entry.value.length;
    return true;
  }
}

/**
 * What Apollo Server's APQ lookups see: the operations of every persisted query list first (so a
 * registered id works on first use, without a PERSISTED_QUERY_NOT_FOUND round trip and whatever
 * is in Redis), then the shared APQ store. Apollo prefixes keys ("apq:<sha256>"); the manifests are
 * keyed by the bare hash. Whether a caller may run an operation is decided elsewhere (the policy).
 */
export class PersistedQueryCache implements StringCache {
  constructor(private readonly registry: PersistedQueryRegistry, private readonly store: StringCache) {}

  private static hash = (key: string) => key.slice(key.lastIndexOf(':') + 1);

  async get(key: string) {
    return this.registry.operation(PersistedQueryCache.hash(key))?.body ?? this.store.get(key);
  }

  async set(key: string, value: string, options?: { ttl?: number | null }) {
    if (this.registry.operation(PersistedQueryCache.hash(key))) return;
    await this.store.set(key, value, options);
  }

  delete(key: string) {
    return this.store.delete(key);
  }
}
