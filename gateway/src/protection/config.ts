import type { PersistedQueryPolicy, RateTier } from '../auth/authenticate.ts';
import { FIRST_PARTY_LIST, MANIFEST_DIR } from '../persistedQueries/manifest.ts';

export interface OperationLimits {
  enabled: boolean;
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxTokens: number;
  maxDirectives: number;
  /** Most fields an operation selects once its fragments are expanded (guards against fragment bombs). */
  maxFields: number;
  /** Largest cost one operation may have (see cost.ts for how it is computed). */
  maxCost: number;
  /** List size assumed for a list field without a slicing argument (first/last) or @listSize. */
  defaultListSize: number;
}

export interface RateLimits {
  enabled: boolean;
  windowMs: number;
  /** Requests per window from one address, for callers without a partner key (checked before authentication). 0: no limit. */
  perIp: number;
  /** Failed partner key checks per window from one address before its key requests get 429 (brute-force guard). */
  authFailuresPerIp: number;
  /** Operations per window for one partner client, by its rate tier. */
  perClient: Record<RateTier, number>;
  /** Operation cost per window for one partner client, by its rate tier (the per-client budget). */
  costBudget: Record<RateTier, number>;
  /** Proxies in front of the gateway whose X-Forwarded-For entries are trusted (0: use the socket address). */
  trustedProxyHops: number;
}

export interface ProtectionConfig {
  /** Redis shared by every gateway instance (APQ cache, rate limits); unset: in memory, per process. */
  redisUrl?: string;
  redisPrefix: string;
  /** Largest request body in bytes. */
  bodyLimitBytes: number;
  /** Most operations in one batched HTTP request; 0 turns batching off. */
  maxBatchSize: number;
  apq: { enabled: boolean; ttlSeconds: number };
  persistedQueries: {
    manifestDir: string;
    pollMs: number;
    /** Policy for requests that are not from a partner client (first-party apps and anonymous). */
    defaultPolicy: PersistedQueryPolicy;
    /** The list first-party and anonymous requests are judged against. */
    firstPartyList: string;
  };
  limits: OperationLimits;
  rateLimits: RateLimits;
}

const POLICIES: PersistedQueryPolicy[] = ['SAFELIST', 'REQUIRE_ID', 'LOG_UNKNOWN', 'OFF'];

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'off', 'no'].includes(raw)) return false;
  throw new Error(`${name} must be true or false, got "${env[name]}"`);
}

function policy(env: NodeJS.ProcessEnv, production: boolean): PersistedQueryPolicy {
  const raw = env.PQ_DEFAULT_POLICY?.toUpperCase().replace(/-/g, '_');
  if (!raw) return production ? 'SAFELIST' : 'OFF';
  if (!POLICIES.includes(raw as PersistedQueryPolicy)) throw new Error(`PQ_DEFAULT_POLICY must be one of ${POLICIES.join(', ').toLowerCase()}`);
  return raw as PersistedQueryPolicy;
}

export const DEFAULT_LIMITS: OperationLimits = {
  enabled: true,
  maxDepth: 10,
  maxAliases: 15,
  maxRootFields: 10,
  maxTokens: 2_000,
  maxDirectives: 20,
  maxFields: 1_000,
  maxCost: 10_000,
  defaultListSize: 10,
};

export function loadProtectionConfig(env: NodeJS.ProcessEnv, production: boolean): ProtectionConfig {
  const tiers = (prefix: string, defaults: Record<RateTier, number>) => ({
    FREE: int(env, `${prefix}_FREE`, defaults.FREE),
    STANDARD: int(env, `${prefix}_STANDARD`, defaults.STANDARD),
    PREMIUM: int(env, `${prefix}_PREMIUM`, defaults.PREMIUM),
  });
  const limitsOn = bool(env, 'OPERATION_LIMITS', true);
  return {
    redisUrl: env.REDIS_URL || undefined,
    redisPrefix: env.GATEWAY_REDIS_PREFIX ?? 'storefront:gateway:',
    bodyLimitBytes: int(env, 'GATEWAY_BODY_LIMIT_BYTES', 128 * 1024),
    maxBatchSize: int(env, 'GATEWAY_MAX_BATCH_SIZE', 10),
    apq: { enabled: bool(env, 'APQ_ENABLED', true), ttlSeconds: int(env, 'APQ_TTL_SECONDS', 24 * 3600) },
    persistedQueries: {
      manifestDir: env.PQ_MANIFEST_DIR ?? MANIFEST_DIR,
      pollMs: int(env, 'PQ_MANIFEST_POLL_MS', 5_000),
      defaultPolicy: policy(env, production),
      firstPartyList: env.PQ_FIRST_PARTY_LIST ?? FIRST_PARTY_LIST,
    },
    limits: {
      enabled: limitsOn,
      maxDepth: int(env, 'LIMIT_MAX_DEPTH', DEFAULT_LIMITS.maxDepth),
      maxAliases: int(env, 'LIMIT_MAX_ALIASES', DEFAULT_LIMITS.maxAliases),
      maxRootFields: int(env, 'LIMIT_MAX_ROOT_FIELDS', DEFAULT_LIMITS.maxRootFields),
      maxTokens: int(env, 'LIMIT_MAX_TOKENS', DEFAULT_LIMITS.maxTokens),
      maxDirectives: int(env, 'LIMIT_MAX_DIRECTIVES', DEFAULT_LIMITS.maxDirectives),
      maxFields: int(env, 'LIMIT_MAX_FIELDS', DEFAULT_LIMITS.maxFields),
      maxCost: int(env, 'LIMIT_MAX_COST', DEFAULT_LIMITS.maxCost),
      defaultListSize: int(env, 'LIMIT_DEFAULT_LIST_SIZE', DEFAULT_LIMITS.defaultListSize),
    },
    rateLimits: {
      enabled: bool(env, 'RATE_LIMITS', true),
      windowMs: int(env, 'RATE_LIMIT_WINDOW_SECONDS', 60) * 1000,
      // Local development, tests and benchmarks all come from one address; production limits it by default.
      perIp: int(env, 'RATE_LIMIT_PER_IP', production ? 1_200 : 0),
      authFailuresPerIp: int(env, 'RATE_LIMIT_AUTH_FAILURES_PER_IP', 30),
      perClient: tiers('RATE_LIMIT_CLIENT', { FREE: 60, STANDARD: 600, PREMIUM: 6_000 }),
      costBudget: tiers('COST_BUDGET', { FREE: 20_000, STANDARD: 500_000, PREMIUM: 5_000_000 }),
      trustedProxyHops: int(env, 'TRUSTED_PROXY_HOPS', 0),
    },
  };
}
