import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

/** A sliding-window limit: at most `limit` attempts in any `windowSeconds`. */
export interface RateRule {
  limit: number;
  windowSeconds: number;
}

export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

/**
 * Counts attempts per key. `consume` records an attempt when it is allowed (a refused attempt is not
 * recorded, so hammering does not push the window out); `peek` only reports; `reset` forgets the key.
 */
export interface RateLimiter {
  consume(key: string, rule: RateRule): Promise<RateDecision>;
  peek(key: string, rule: RateRule): Promise<RateDecision>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface RateLimits {
  /** Every login attempt from one client IP. */
  loginPerIp: RateRule;
  /** Failed password checks against one account (login, changePassword, email change). */
  passwordFailuresPerAccount: RateRule;
  refreshPerIp: RateRule;
  refreshPerAccount: RateRule;
  registerPerIp: RateRule;
  /** requestPasswordReset calls from one IP (answered RATE_LIMITED: says nothing about accounts). */
  resetRequestPerIp: RateRule;
  /** Reset emails per account; over it the request is silently dropped (the answer stays "success"). */
  resetRequestPerAccount: RateRule;
  resetPasswordPerIp: RateRule;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  loginPerIp: { limit: 30, windowSeconds: 15 * 60 },
  passwordFailuresPerAccount: { limit: 10, windowSeconds: 15 * 60 },
  refreshPerIp: { limit: 120, windowSeconds: 15 * 60 },
  refreshPerAccount: { limit: 60, windowSeconds: 15 * 60 },
  registerPerIp: { limit: 20, windowSeconds: 60 * 60 },
  resetRequestPerIp: { limit: 20, windowSeconds: 60 * 60 },
  resetRequestPerAccount: { limit: 3, windowSeconds: 60 * 60 },
  resetPasswordPerIp: { limit: 30, windowSeconds: 60 * 60 },
};

/** Keys carry emails and IPs; hash them so the limiter store holds no personal data. */
export const limitKey = (kind: string, subject: string) => `${kind}:${createHash('sha256').update(subject).digest('base64url').slice(0, 32)}`;

export const retryMessage = (seconds: number) =>
  `Too many attempts. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;

// Sliding-window log in a sorted set, atomically: drop entries older than the window, count, and
// add this attempt only if under the limit. Time comes from the Redis server so every instance agrees.
const SLIDING_WINDOW = `
local key = KEYS[1]
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local record = ARGV[3] == '1'
local member = ARGV[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  if record then
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, window)
    count = count + 1
  end
  return {1, limit - count}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
`;

let sequence = 0;
const member = () => `${Date.now()}:${process.pid}:${++sequence}:${Math.random().toString(36).slice(2, 8)}`;
const toDecision = ([ok, n]: [number, number]): RateDecision =>
  ok === 1 ? { allowed: true, remaining: n } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(n / 1000)) };

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;

  /**
   * Commands fail fast (one retry, 2 s timeout) and the failure propagates: when Redis is down,
   * login and refresh answer an internal error rather than run without limits.
   */
  constructor(url: string, private readonly prefix = 'identity:rl:', onError: (error: Error) => void = () => {}) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 2000 });
    // Connection errors also reach the pending commands; this only keeps ioredis from printing them.
    this.redis.on('error', onError);
    this.redis.defineCommand('slidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW });
  }

  private run(key: string, rule: RateRule, record: boolean): Promise<RateDecision> {
    return (this.redis as any)
      .slidingWindow(this.prefix + key, rule.windowSeconds * 1000, rule.limit, record ? '1' : '0', member())
      .then(toDecision);
  }

  consume = (key: string, rule: RateRule) => this.run(key, rule, true);
  peek = (key: string, rule: RateRule) => this.run(key, rule, false);

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Same behaviour in one process, for local development without Redis. Not shared between instances. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  private run(key: string, rule: RateRule, record: boolean): RateDecision {
    const now = this.now();
    const windowMs = rule.windowSeconds * 1000;
    const list = (this.hits.get(key) ?? []).filter((t) => t > now - windowMs);
    if (list.length < rule.limit) {
      if (record) list.push(now);
      if (list.length) this.hits.set(key, list);
      else this.hits.delete(key);
      return { allowed: true, remaining: rule.limit - list.length };
    }
    this.hits.set(key, list);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((list[0] + windowMs - now) / 1000)) };
  }

  consume = async (key: string, rule: RateRule) => this.run(key, rule, true);
  peek = async (key: string, rule: RateRule) => this.run(key, rule, false);

  async reset(key: string): Promise<void> {
    this.hits.delete(key);
  }

  async close(): Promise<void> {
    this.hits.clear();
  }
}

/** Redis at REDIS_URL (default redis://127.0.0.1:6379); in-memory only when REDIS_URL is unset outside tests. */
export function createRateLimiter(env: NodeJS.ProcessEnv = process.env, prefix?: string, onError?: (error: Error) => void): RateLimiter {
  if (!env.REDIS_URL && env.NODE_ENV !== 'test' && !env.VITEST) return new MemoryRateLimiter();
  return new RedisRateLimiter(env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix, onError);
}
