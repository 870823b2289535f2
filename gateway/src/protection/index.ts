import type { IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { HttpError, sendJson, type Logger } from '@storefront/shared';
import type { GatewayContext } from '../context.ts';
import type { PersistedQueryPolicy } from '../auth/authenticate.ts';
import { PersistedQueryRegistry, type PersistedQueryList } from '../persistedQueries/registry.ts';
import { judgeOperation, PQ_HASH_MISMATCH, PQ_ID_REQUIRED, PQ_NOT_IN_LIST, type OperationRequest, type Verdict } from '../persistedQueries/policy.ts';
import type { ProtectionConfig } from './config.ts';
import { MemoryStringCache, PersistedQueryCache, RedisStringCache } from './apqCache.ts';
import { MemoryRateLimiter, RedisRateLimiter, type RateDecision, type RateLimiter } from './rateLimiter.ts';
import { CostAnalyzer } from './cost.ts';
import { LIMIT_CODE, limitValidation, measureLimitError, tokenLimitMessage, tokenLimitOf } from './limits.ts';
import { clientRateMessage, costBudgetError, ipRateMessage, RATE_LIMITED, seconds } from './rateErrors.ts';
import { countLimitError, emptyStats, type ProtectionStats } from './stats.ts';
import { createWebSocketJudge, judgedOnWebSocket, type WebSocketJudgement, type WebSocketOperation } from './webSocket.ts';

export { loadProtectionConfig, DEFAULT_LIMITS, type ProtectionConfig, type OperationLimits, type RateLimits } from './config.ts';
export { RATE_LIMITED } from './rateErrors.ts';
export type { ProtectionStats } from './stats.ts';
export type { WebSocketJudgement, WebSocketOperation, WebSocketOperationPayload } from './webSocket.ts';
export { PQ_HASH_MISMATCH } from '../persistedQueries/policy.ts';
export const BATCH_TOO_LARGE = 'BATCH_TOO_LARGE';
/** Codes the gateway adds that are the client's to see (the shared error masker hides unknown codes). */
export const GATEWAY_PUBLIC_CODES: ReadonlySet<string> = new Set([PQ_NOT_IN_LIST, PQ_ID_REQUIRED, PQ_HASH_MISMATCH, BATCH_TOO_LARGE]);

export interface Protection {
  /** Options for the ApolloServer constructor. */
  apollo: {
    persistedQueries: false | { cache: PersistedQueryCache; ttl: number };
    allowBatchedHttpRequests: boolean;
    validationRules: ValidationRule[];
    parseOptions: { maxTokens?: number };
    plugins: ApolloServerPlugin<GatewayContext>[];
  };
  /** Options for createHttpApp. */
  http: {
    bodyLimit: number;
    intercept(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
    beforeExecute(req: IncomingMessage, res: ServerResponse, request: { search: string; body: unknown }, context: GatewayContext): Promise<void>;
  };
  /** The caller's address: the socket's, or the one trusted proxies put in X-Forwarded-For. */
  clientAddress(req: IncomingMessage): string;
  /** Counts a failed partner key check against the caller's address. */
  recordAuthFailure(req: IncomingMessage): Promise<void>;
  /**
   * Judges an operation sent over the WebSocket (a graphql-ws subscribe message: query, mutation or
   * subscription) as HTTP requests are judged: rate limit, persisted query policy, operation limits.
   * Allowed: the parsed document to execute (the context is marked so Apollo Server does not judge
   * it again). Refused: errors with the codes HTTP uses.
   */
  judgeWebSocketOperation(operation: WebSocketOperation): Promise<WebSocketJudgement>;
  registry: PersistedQueryRegistry;
  stats(): ProtectionStats;
  close(): Promise<void>;
}

export interface ProtectionOptions {
  config: ProtectionConfig;
  supergraphSdl: string;
  log: Logger;
  graphqlPath?: string;
  /** Whether a partner key was recently verified as valid (so checking it costs identity nothing). */
  apiKeyKnownValid?: (apiKey: string) => boolean;
}

function rateHeaders(decision: RateDecision, windowMs: number): Record<string, string> {
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-policy': `${decision.limit};w=${seconds(windowMs)}`,
  };
}

/** The operations of a GET request, read from its query string as Apollo Server reads them. */
function operationFromSearch(search: string): OperationRequest {
  const params = new URLSearchParams(search);
  let extensions: unknown;
  const raw = params.get('extensions');
  if (raw) {
    try {
      extensions = JSON.parse(raw);
    } catch {
      extensions = undefined; // Apollo Server answers 400 for it
    }
  }
  return { query: params.get('query') ?? undefined, extensions };
}

/**
 * Everything that protects the gateway, wired into Apollo Server (APQ cache, validation rules,
 * a plugin) and into the HTTP layer (rate limits, batch size, persisted query policy, before any
 * GraphQL work happens). Redis, when configured, is shared by every instance; otherwise each
 * process keeps its own counters and APQ store.
 */
export async function createProtection(options: ProtectionOptions): Promise<Protection> {
  const { config, log } = options;
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const rate = config.rateLimits;
  const limits = config.limits;

  let redis: Redis | null = null;
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_000, connectionName: 'storefront-gateway' });
    redis.on('error', () => {}); // reported by the cache and the limiter when they fail open
    try {
      await redis.connect();
    } catch (err) {
      log.error({ err }, 'Redis unreachable at start; APQ misses and rate limits fail open until it is back');
    }
  }

  const registry = new PersistedQueryRegistry(config.persistedQueries.manifestDir, log, config.persistedQueries.pollMs);
  await registry.start();
  const limiter: RateLimiter = redis ? new RedisRateLimiter(redis, config.redisPrefix, log) : new MemoryRateLimiter();
  const apqStore = redis ? new RedisStringCache(redis, config.redisPrefix, log) : new MemoryStringCache();
  const analyzer = new CostAnalyzer(options.supergraphSdl, { defaultListSize: limits.defaultListSize });
  const { validationRules, parseOptions } = limitValidation(limits);

  const stats: ProtectionStats = emptyStats();
  const apqCache = config.apq.enabled ? new PersistedQueryCache(registry, apqStore) : null;

  function clientAddress(req: IncomingMessage): string {
    const socket = req.socket.remoteAddress ?? 'unknown';
    if (rate.trustedProxyHops <= 0) return socket;
    const forwarded = String(req.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    return forwarded[forwarded.length - rate.trustedProxyHops] ?? forwarded[0] ?? socket;
  }

  function policyFor(context: GatewayContext): { policy: PersistedQueryPolicy; list: PersistedQueryList | undefined; caller: string } {
    if (context.client) {
      // OFF is for first-party development; a partner that somehow has it is only logged, never unchecked.
      const policy = context.client.persistedQueryPolicy === 'OFF' ? 'LOG_UNKNOWN' : context.client.persistedQueryPolicy;
      return { policy, list: registry.list(context.client.persistedQueryList), caller: context.client.clientId };
    }
    return { policy: config.persistedQueries.defaultPolicy, list: registry.list(config.persistedQueries.firstPartyList), caller: 'first-party' };
  }

  /** Counts and logs an operation outside the caller's list; returns the verdict for the caller to act on. */
  function judge(context: GatewayContext, request: OperationRequest): Verdict {
    const { policy, list, caller } = policyFor(context);
    const verdict = judgeOperation(policy, list, request);
    if (policy !== 'OFF' && verdict.id !== null && (!verdict.allowed || !verdict.listed)) {
      stats.persistedQueries.unknown += 1;
      stats.persistedQueries.unknownByClient[caller] = (stats.persistedQueries.unknownByClient[caller] ?? 0) + 1;
      if (!verdict.allowed) stats.persistedQueries.rejected[verdict.code] = (stats.persistedQueries.rejected[verdict.code] ?? 0) + 1;
      log.warn(
        { requestId: context.requestId, caller, policy, list: list?.name ?? null, operationId: verdict.id, outcome: verdict.allowed ? 'allowed' : verdict.code },
        verdict.allowed ? 'operation not in persisted query list (logged)' : 'operation not in persisted query list (refused)',
      );
    }
    return verdict;
  }

  const tooMany = (decision: RateDecision, message: string, limit: string) => ({
    errors: [{ message, extensions: { code: RATE_LIMITED, limit, retryAfterSeconds: seconds(decision.retryAfterMs) } }],
  });

  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          const context = rc.contextValue;
          if (judgedOnWebSocket(context)) return;
          // HTTP requests were judged before Apollo saw them; this covers the rest (operations run in-process).
          if (!rc.request.http) {
            const verdict = judge(context, { query: rc.source });
            if (!verdict.allowed) throw new GraphQLError(verdict.message, { extensions: { code: verdict.code, http: { status: 400 } } });
          }
          if (!limits.enabled) return;
          const measure = analyzer.measure(rc.schema, rc.document, rc.operationName, rc.request.variables);
          const tooBig = measureLimitError(limits, measure, { http: { status: 400 } });
          if (tooBig) throw tooBig;
          const { cost } = measure;
          if (context.client && rate.enabled && cost > 0) {
            const budget = rate.costBudget[context.client.rateTier];
            const decision = await limiter.consume(`cost:${context.client.clientId}`, budget, rate.windowMs, cost);
            if (!decision.allowed) {
              const retry = String(seconds(decision.retryAfterMs));
              throw costBudgetError(budget, rate.windowMs, cost, Number(retry), { http: { status: 429, headers: new HeaderMap([['retry-after', retry]]) } });
            }
          }
        },
        async didEncounterErrors(rc) {
          for (const error of rc.errors) {
            const extensions = error.extensions as Record<string, unknown>;
            if (extensions.code === 'GRAPHQL_PARSE_FAILED') {
              const max = tokenLimitOf(error.message);
              if (max !== null) {
                Object.assign(extensions, { code: LIMIT_CODE, limit: 'maxTokens', max });
                error.message = tokenLimitMessage(max);
              }
            } else if (extensions.code === 'GRAPHQL_VALIDATION_FAILED' && typeof extensions.limit === 'string') {
              extensions.code = LIMIT_CODE;
            } else if (extensions.code === undefined && error.message === 'provided sha does not match query') {
              extensions.code = PQ_HASH_MISMATCH;
            }
            countLimitError(stats, error);
            // The error masker puts this on what it hides, so a support request can find the log line.
            (error as { requestId?: string }).requestId = rc.contextValue.requestId;
            if (error.originalError) (error.originalError as { requestId?: string }).requestId = rc.contextValue.requestId;
          }
        },
      };
    },
  };

  return {
    registry,
    clientAddress,
    stats: () => ({ ...structuredClone(stats), persistedQueries: { ...structuredClone(stats.persistedQueries), lists: registry.listNames(), loads: registry.loads } }),
    apollo: {
      persistedQueries: apqCache ? { cache: apqCache, ttl: config.apq.ttlSeconds } : false,
      allowBatchedHttpRequests: config.maxBatchSize > 0,
      validationRules,
      parseOptions,
      plugins: [plugin],
    },
    http: {
      bodyLimit: config.bodyLimitBytes,
      async intercept(req, res) {
        if (!rate.enabled || (req.method !== 'GET' && req.method !== 'POST')) return false;
        const q = req.url!.indexOf('?');
        if ((q === -1 ? req.url! : req.url!.slice(0, q)) !== graphqlPath) return false;
        const ip = clientAddress(req);
        const apiKey = req.headers['x-api-key'];
        if (apiKey !== undefined) {
          // Partners are limited per client after authentication. A key identity has to check is refused first
          // when its address keeps failing key checks (a key verified moments ago skips that lookup).
          if (typeof apiKey === 'string' && options.apiKeyKnownValid?.(apiKey)) return false;
          const decision = await limiter.consume(`authfail:${ip}`, rate.authFailuresPerIp, rate.windowMs, 0);
          if (decision.allowed) return false;
          stats.rateLimited.authFailures += 1;
          sendJson(res, 429, tooMany(decision, 'Too many failed API key checks from this address', 'authFailures'), { 'retry-after': String(seconds(decision.retryAfterMs)) });
          return true;
        }
        if (rate.perIp <= 0) return false;
        const decision = await limiter.consume(`ip:${ip}`, rate.perIp, rate.windowMs, 1);
        if (decision.allowed) return false;
        stats.rateLimited.ip += 1;
        log.warn({ ip, limit: rate.perIp }, 'rate limit hit (address)');
        sendJson(res, 429, tooMany(decision, ipRateMessage(rate.perIp, rate.windowMs), 'ip'), {
          'retry-after': String(seconds(decision.retryAfterMs)),
          ...rateHeaders(decision, rate.windowMs),
        });
        return true;
      },
      async beforeExecute(req, res, { search, body }, context) {
        const batch = Array.isArray(body);
        const operations: OperationRequest[] = req.method === 'GET' ? [operationFromSearch(search)] : batch ? (body as OperationRequest[]) : [(body ?? {}) as OperationRequest];
        if (batch && config.maxBatchSize > 0 && operations.length > config.maxBatchSize) {
          stats.batchesRejected += 1;
          throw new HttpError(400, `A batch may hold at most ${config.maxBatchSize} operations; this one has ${operations.length}.`, BATCH_TOO_LARGE);
        }
        if (context.client && rate.enabled) {
          const limit = rate.perClient[context.client.rateTier];
          const decision = await limiter.consume(`client:${context.client.clientId}`, limit, rate.windowMs, Math.max(1, operations.length));
          const headers = rateHeaders(decision, rate.windowMs);
          if (!decision.allowed) {
            stats.rateLimited.client += 1;
            log.warn({ clientId: context.client.clientId, tier: context.client.rateTier, limit }, 'rate limit hit (API client)');
            throw new HttpError(429, clientRateMessage(limit, rate.windowMs), RATE_LIMITED, {
              'retry-after': String(seconds(decision.retryAfterMs)),
              ...headers,
            });
          }
          for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
        }
        for (const operation of operations) {
          if (operation === null || typeof operation !== 'object') continue; // Apollo Server refuses it
          const verdict = judge(context, operation);
          if (!verdict.allowed) throw new HttpError(400, verdict.message, verdict.code, { 'cache-control': 'private, no-store' });
        }
      },
    },
    judgeWebSocketOperation: createWebSocketJudge({
      config,
      limiter,
      analyzer,
      validationRules,
      parseOptions,
      apq: apqCache,
      judgePolicy: judge,
      stats,
      log,
    }),
    async recordAuthFailure(req) {
      if (!rate.enabled) return;
      await limiter.consume(`authfail:${clientAddress(req)}`, rate.authFailuresPerIp, rate.windowMs, 1);
    },
    async close() {
      registry.stop();
      if (redis) await redis.quit().catch(() => redis!.disconnect());
    },
  };
}
