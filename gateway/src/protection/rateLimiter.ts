import type { Redis } from 'ioredis';
import type { Logger } from '@storefront/shared';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** What is left in the window after this request (0 when refused). */
  remaining: number;
  /** When refused: how long until the request would fit, in milliseconds. */
  retryAfterMs: number;
}

/**
 * Sliding-window counters: the count of the current fixed window plus the previous window's count
 * weighted by how much of it still overlaps the sliding window. Refused requests are not counted.
 * `cost` is what one request uses (1 per operation, or an operation's cost for budgets); a cost of
 * 0 only asks whether the key is over its limit.
 */
export interface RateLimiter {
  consume(key: string, limit: number, windowMs: number, cost?: number): Promise<RateDecision>;
}

function decide(limit: number, windowMs: number, cost: number, elapsed: number, previous: number, current: number): RateDecision & { count: boolean } {
  const used = previous * ((windowMs - elapsed) / windowMs) + current;
  if (used + cost > limit || (cost === 0 && used >= limit)) {
    // Enough of the previous window has to slide out; if the current window alone is over, wait for the next one.
    const retryAfterMs = current + cost > limit || previous === 0 ? windowMs - elapsed : Math.ceil(((used + cost - limit) * windowMs) / previous);
    return { allowed: false, limit, remaining: 0, retryAfterMs: Math.max(1, Math.min(retryAfterMs, windowMs)), count: false };
  }
  return { allowed: true, limit, remaining: Math.max(0, Math.floor(limit - used - cost)), retryAfterMs: 0, count: cost > 0 };
}

/** One process's counters: the fallback when no Redis is configured. */
export class MemoryRateLimiter implements RateLimiter {
  private windows = new Map<string, { index: number; current: number; previous: number }>();
  private sweeps = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async consume(key: string, limit: number, windowMs: number, cost = 1): Promise<RateDecision> {
    const now = this.now();
    const index = Math.floor(now / windowMs);
    let entry = this.windows.get(key);
    if (!entry || entry.index < index - 1) entry = { index, current: 0, previous: 0 };
    else if (entry.index === index - 1) entry = { index, current: 0, previous: entry.current };
    this.windows.set(key, entry);
    const { count, ...decision } = decide(limit, windowMs, cost, now - index * windowMs, entry.previous, entry.current);
    if (count) entry.current += cost;
    if (++this.sweeps % 10_000 === 0) this.sweep(index);
    return decision;
  }

  private sweep(index: number) {
    for (const [key, entry] of this.windows) if (entry.index < index - 1) this.windows.delete(key);
  }
}

// KEYS: current window, previous window. ARGV: limit, window (ms), cost, elapsed in the current window (ms).
const SLIDING_WINDOW = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local elapsed = tonumber(ARGV[4])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local used = previous * ((window - elapsed) / window) + current
if used + cost > limit or (cost == 0 and used >= limit) then
  return {0, tostring(current), tostring(previous)}
end
if cost > 0 then
  redis.call('INCRBY', KEYS[1], cost)
  redis.call('PEXPIRE', KEYS[1], window * 2)
end
return {1, tostring(current), tostring(previous)}
`;

/**
 * Counters in Redis, shared by every gateway instance. The check and the increment run as one Lua
 * script, so concurrent requests on different instances cannot both take the last slot. Keys carry
 * a hash tag so both windows of one counter live on the same cluster slot. When Redis cannot be
 * reached the limiter fails open (and says so in the log): an outage of the limiter must not become
 * an outage of the API.
 */
export class RedisRateLimiter implements RateLimiter {
  private lastWarning = 0;

  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly log: Logger, private readonly now: () => number = Date.now) {
    // EVALSHA with the script loaded on first use (and reloaded after a Redis restart).
    if (!('storefrontSlidingWindow' in redis)) redis.defineCommand('storefrontSlidingWindow', { numberOfKeys: 2, lua: SLIDING_WINDOW });
  }

  async consume(key: string, limit: number, windowMs: number, cost = 1): Promise<RateDecision> {
    const now = this.now();
    const index = Math.floor(now / windowMs);
    const elapsed = now - index * windowMs;
    const base = `${this.prefix}rl:{${key}}:${windowMs}`;
    try {
      const run = (this.redis as unknown as Record<string, (...args: unknown[]) => Promise<[number, string, string]>>).storefrontSlidingWindow;
      const [allowed, current, previous] = await run.call(this.redis, `${base}:${index}`, `${base}:${index - 1}`, limit, windowMs, cost, elapsed);
      // The script's answer is authoritative; the same arithmetic here gives what is left and when to retry.
      const { count: _count, ...decision } = decide(limit, windowMs, cost, elapsed, Number(previous), Number(current));
      if (allowed === 1) return { ...decision, allowed: true, retryAfterMs: 0 };
      return { ...decision, allowed: false, remaining: 0, retryAfterMs: decision.retryAfterMs || 1_000 };
    } catch (err) {
      if (now - this.lastWarning > 10_000) {
        this.lastWarning = now;
        this.log.warn({ err }, 'rate limiter unavailable (Redis); letting requests through');
      }
      return { allowed: true, limit, remaining: limit, retryAfterMs: 0 };
    }
  }
}
