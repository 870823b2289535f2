import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { Logger } from '@storefront/shared';
import type { GatewayContext } from '../context.ts';
import { sha256Hex } from '../persistedQueries/manifest.ts';
import { PQ_HASH_MISMATCH, type OperationRequest, type Verdict } from '../persistedQueries/policy.ts';
import type { ProtectionConfig } from './config.ts';
import type { StringCache } from './apqCache.ts';
import type { RateLimiter } from './rateLimiter.ts';
import type { CostAnalyzer } from './cost.ts';
import { limitError, measureLimitError, tokenLimitMessage, tokenLimitOf } from './limits.ts';
import { ipRateMessage, RATE_LIMITED, seconds } from './rateErrors.ts';
import { countLimitError, type ProtectionStats } from './stats.ts';

/** The payload of a graphql-ws `subscribe` message (queries and mutations arrive the same way). */
export interface WebSocketOperationPayload {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

export interface WebSocketOperation {
  payload: WebSocketOperationPayload;
  context: GatewayContext;
  schema: GraphQLSchema;
  /**
   * Told each rate-limit decision as Redis answers it. Replies arrive in the order operations were sent, while
   * the rest of the judging (an id lookup, parsing) finishes in any order, so "refused N times in a row" must
   * be counted here rather than from the finished judgements.
   */
  onRateDecision?: (allowed: boolean) => void;
}

export type WebSocketJudgement =
  | { allowed: true; document: DocumentNode; operationName: string | undefined; variables: Record<string, unknown> | undefined }
  | { allowed: false; errors: GraphQLError[]; rateLimited: boolean };

/**
 * Set on the context of an operation this judge let through: Apollo Server (which runs queries and
 * mutations sent over the socket) then skips its own policy and cost checks, so nothing is judged,
 * counted or charged twice. A symbol survives Apollo's shallow copy of the context.
 */
const JUDGED = Symbol('judged on the WebSocket path');
export const judgedOnWebSocket = (context: object) => (context as Record<symbol, unknown>)[JUDGED] === true;

export interface WebSocketJudgeOptions {
  config: ProtectionConfig;
  limiter: RateLimiter;
  analyzer: CostAnalyzer;
  validationRules: ValidationRule[];
  parseOptions: { maxTokens?: number };
  /** Where ids are looked up (persisted query lists first, then APQ); null when APQ is off. */
  apq: StringCache | null;
  /** The persisted query policy of the caller, counted and logged as for HTTP. */
  judgePolicy: (context: GatewayContext, request: OperationRequest) => Verdict;
  stats: ProtectionStats;
  log: Logger;
}

const error = (message: string, code: string, extensions: Record<string, unknown> = {}) => new GraphQLError(message, { extensions: { code, ...extensions } });

/**
 * Judges one operation sent over the WebSocket exactly as an HTTP request from a signed-in caller is
 * judged, in the same order: the rate limit (per address, on the same Redis counter as HTTP), the
 * persisted query policy, the token limit while parsing, the validation rules (depth,
 * aliases, root fields, directives), then fields and cost. Refusals carry
 * the codes and messages HTTP responses carry; `retryAfter` (seconds) says when a rate-limited
 * caller may try again.
 */
export function createWebSocketJudge(options: WebSocketJudgeOptions) {
  const { config, limiter, analyzer, stats, log } = options;
  const rate = config.rateLimits;
  const limits = config.limits;
  const rules = [...specifiedRules, ...options.validationRules];
  const refused = (errors: GraphQLError[], rateLimited = false): WebSocketJudgement => ({ allowed: false, errors, rateLimited });

  /**
   * The per-address limit, on the same Redis counter as that address's HTTP requests. WebSocket callers sign in
   * with access tokens only (partner keys are HTTP-only), so there is no per-client limit or cost budget here.
   */
  async function rateLimit(context: GatewayContext, onDecision?: (allowed: boolean) => void): Promise<GraphQLError | null> {
    if (!rate.enabled || rate.perIp <= 0) return null;
    const decision = await limiter.consume(`ip:${context.clientIp ?? 'unknown'}`, rate.perIp, rate.windowMs, 1);
    onDecision?.(decision.allowed);
    if (decision.allowed) return null;
    const retryAfter = seconds(decision.retryAfterMs);
    stats.rateLimited.ip += 1;
    log.warn({ ip: context.clientIp, limit: rate.perIp, transport: 'websocket' }, 'rate limit hit (address)');
    return error(ipRateMessage(rate.perIp, rate.windowMs), RATE_LIMITED, { limit: 'ip', retryAfter, retryAfterSeconds: retryAfter });
  }

  /** The operation's text: as sent, or looked up by its persisted id (as Apollo Server does over HTTP). */
  async function textOf(payload: WebSocketOperationPayload): Promise<string | GraphQLError> {
    const query = typeof payload.query === 'string' && payload.query.length > 0 ? payload.query : null;
    const hash = (payload.extensions as { persistedQuery?: { sha256Hash?: unknown } } | null | undefined)?.persistedQuery?.sha256Hash;
    if (typeof hash !== 'string') return query ?? error('GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.', 'BAD_REQUEST');
    if (!options.apq) return error('PersistedQueryNotSupported', 'PERSISTED_QUERY_NOT_SUPPORTED');
    if (query !== null) return sha256Hex(query) === hash ? query : error('provided sha does not match query', PQ_HASH_MISMATCH);
    return (await options.apq.get(`apq:${hash}`)) ?? error('PersistedQueryNotFound', 'PERSISTED_QUERY_NOT_FOUND');
  }

  function parseWithinLimits(text: string): DocumentNode | GraphQLError {
    try {
      return parse(text, options.parseOptions);
    } catch (e) {
      const message = (e as Error).message;
      const max = tokenLimitOf(message);
      if (max === null) return error(message, 'GRAPHQL_PARSE_FAILED');
      const refusal = limitError(tokenLimitMessage(max), 'maxTokens', max);
      countLimitError(stats, refusal);
      return refusal;
    }
  }

  return async function judgeWebSocketOperation({ payload, context, schema, onRateDecision }: WebSocketOperation): Promise<WebSocketJudgement> {
    const limited = await rateLimit(context, onRateDecision);
    if (limited) return refused([limited], true);

    const verdict = options.judgePolicy(context, { query: payload.query, extensions: payload.extensions });
    if (!verdict.allowed) return refused([error(verdict.message, verdict.code)]);

    const text = await textOf(payload);
    if (text instanceof GraphQLError) return refused([text]);
    const document = parseWithinLimits(text);
    if (document instanceof GraphQLError) return refused([document]);

    const invalid = validate(schema, document, rules);
    if (invalid.length > 0) {
      for (const e of invalid) {
        if (typeof e.extensions.limit === 'string') countLimitError(stats, e);
        else (e.extensions as Record<string, unknown>).code ??= 'GRAPHQL_VALIDATION_FAILED';
      }
      return refused([...invalid]);
    }

    const operationName = typeof payload.operationName === 'string' ? payload.operationName : undefined;
    const variables = (payload.variables ?? undefined) as Record<string, unknown> | undefined;
    const tooBig = limits.enabled ? measureLimitError(limits, analyzer.measure(schema, document, operationName, variables)) : null;
    if (tooBig) {
      countLimitError(stats, tooBig);
      return refused([tooBig]);
    }
    (context as unknown as Record<symbol, unknown>)[JUDGED] = true;
    return { allowed: true, document, operationName, variables };
  };
}
