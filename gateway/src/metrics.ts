import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { sendJson, type Route } from '@storefront/shared';
import type { Protection } from './protection/index.ts';
import type { ResponseCacheStats } from './responseCache.ts';

/**
 * GET /metrics in the Prometheus text exposition format (version 0.0.4), written by hand: counters
 * the gateway keeps anyway (protection, subscriptions, partner key changes) plus process gauges.
 * Counters are per process and start at zero with it, as Prometheus expects.
 */

export const METRICS_PATH = '/metrics';
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What a GraphQL HTTP request came to, by its status code. */
export const REQUEST_OUTCOMES = ['ok', 'rejected', 'unauthenticated', 'rate_limited', 'error', 'aborted'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

export function outcomeOf(status: number): Exclude<RequestOutcome, 'aborted'> {
  if (status < 400) return 'ok';
  if (status === 401 || status === 403) return 'unauthenticated';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'error';
  return 'rejected';
}

/** Counts finished requests to `path` by outcome; listens beside the server's own request handler. */
export function countRequests(server: http.Server, path = '/graphql'): Record<RequestOutcome, number> {
  const counts = Object.fromEntries(REQUEST_OUTCOMES.map((o) => [o, 0])) as Record<RequestOutcome, number>;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const q = req.url?.indexOf('?') ?? -1;
    if ((q === -1 ? req.url : req.url!.slice(0, q)) !== path) return;
    res.once('close', () => {
      counts[res.writableFinished ? outcomeOf(res.statusCode) : 'aborted'] += 1;
    });
  });
  return counts;
}

export interface MetricsSources {
  requests: Record<RequestOutcome, number>;
  protection: ReturnType<Protection['stats']>;
  /** Null when the response cache is off. */
  responseCache: ResponseCacheStats | null;
  /** Null when the supergraph has no subscriptions. */
  subscriptions: { connections: number; subscriptions: number; upstreams: number } | null;
  /** ApiClientChanged events received; null when no event transport is configured. */
  apiClientChanges: number | null;
  uptimeSeconds: number;
  memory: NodeJS.MemoryUsage;
}

type Labels = Record<string, string>;
type Sample = [labels: Labels, value: number];

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const formatValue = (v: number) => (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf');

function family(name: string, type: 'counter' | 'gauge', help: string, samples: Sample[]): string {
  const lines = [`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`];
  for (const [labels, value] of samples) {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
  }
  return lines.join('\n');
}

const byLabel = (label: string, counts: Record<string, number>): Sample[] => Object.entries(counts).map(([k, v]) => [{ [label]: k }, v]);

export function renderMetrics(s: MetricsSources): string {
  const pq = s.protection.persistedQueries;
  const families = [
    family('gateway_graphql_requests_total', 'counter', 'GraphQL HTTP requests by outcome (ok: 2xx/3xx; rejected: other 4xx; unauthenticated: 401/403; rate_limited: 429; error: 5xx; aborted: closed before the answer).', byLabel('outcome', s.requests)),
    family('gateway_persisted_query_unknown_total', 'counter', 'Operations outside the caller\'s persisted query list (logged or refused), by caller: a partner clientId or "first-party".', byLabel('client', pq.unknownByClient)),
    family('gateway_persisted_query_rejected_total', 'counter', 'Operations refused by a persisted query policy, by error code.', byLabel('code', pq.rejected)),
    family('gateway_persisted_query_list_loads_total', 'counter', 'Persisted query manifest (re)loads.', [[{}, pq.loads]]),
    family('gateway_persisted_query_lists', 'gauge', 'Persisted query lists loaded.', [[{}, pq.lists.length]]),
    family('gateway_operation_limit_rejections_total', 'counter', 'Operations refused by an operation limit, by limit name.', byLabel('limit', s.protection.limits)),
    family('gateway_rate_limited_total', 'counter', 'Requests refused by a rate limit, by kind (ip, authFailures, client, costBudget).', byLabel('kind', s.protection.rateLimited)),
    family('gateway_batches_rejected_total', 'counter', 'Batched requests refused for holding too many operations.', [[{}, s.protection.batchesRejected]]),
  ];
  if (s.subscriptions) {
    families.push(
      family('gateway_subscription_connections', 'gauge', 'Open GraphQL-over-WebSocket connections.', [[{}, s.subscriptions.connections]]),
      family('gateway_subscriptions', 'gauge', 'Active subscriptions across all connections.', [[{}, s.subscriptions.subscriptions]]),
      family('gateway_subscription_upstreams', 'gauge', 'Subscriptions open to subgraphs (shared by identical client subscriptions).', [[{}, s.subscriptions.upstreams]]),
    );
  }
  if (s.responseCache) {
    const { hits, misses, coalesced, bypassed, clears, entityHits, entityMisses } = s.responseCache;
    families.push(
      family('gateway_response_cache_total', 'counter', 'Queries by what the response cache did: hit, miss (fetched; stored if every subgraph allowed it), coalesced (took the answer of an identical query being fetched), bypass (viewers who never share cached answers).', [
        [{ outcome: 'hit' }, hits], [{ outcome: 'miss' }, misses], [{ outcome: 'coalesced' }, coalesced], [{ outcome: 'bypass' }, bypassed],
      ]),
      family('gateway_response_cache_clears_total', 'counter', 'Times the response cache was emptied because catalog announced a change.', [[{}, clears]]),
      family('gateway_entity_cache_total', 'counter', 'Entities of queries\' _entities fetches by where they came from: hit (the cache), miss (their subgraph).', [
        [{ outcome: 'hit' }, entityHits], [{ outcome: 'miss' }, entityMisses],
      ]),
    );
  }
  if (s.apiClientChanges !== null) {
    families.push(family('gateway_api_client_changes_total', 'counter', 'ApiClientChanged events received (each drops that client\'s cached key verification).', [[{}, s.apiClientChanges]]));
  }
  families.push(
    family('process_uptime_seconds', 'gauge', 'Seconds since the process started.', [[{}, Math.round(s.uptimeSeconds * 1000) / 1000]]),
    family('process_resident_memory_bytes', 'gauge', 'Resident set size in bytes.', [[{}, s.memory.rss]]),
    family('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use, in bytes.', [[{}, s.memory.heapUsed]]),
  );
  return `${families.join('\n')}\n`;
}

export interface MetricsAccess {
  production: boolean;
  /** METRICS_TOKEN: when set, scrapes must send `Authorization: Bearer <token>`. */
  token: string | null;
}

/** Whether this request may read the metrics: 'ok', or the status to answer. */
export function metricsAccess(req: http.IncomingMessage, access: MetricsAccess): 'ok' | 401 | 404 {
  // Production without a token does not serve metrics at all: nothing to find, nothing to guess.
  if (!access.token) return access.production ? 404 : 'ok';
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7).trim() : '');
  const expected = Buffer.from(access.token);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 401;
}

export function metricsRoute(access: MetricsAccess, collect: () => MetricsSources): Route {
  return {
    method: 'GET',
    path: METRICS_PATH,
    handle: (req, res) => {
      const allowed = metricsAccess(req, access);
      if (allowed === 404) return sendJson(res, 404, { error: 'not found' });
      if (allowed === 401) return sendJson(res, 401, { error: 'unauthorized', message: 'Send Authorization: Bearer <METRICS_TOKEN>' }, { 'www-authenticate': 'Bearer realm="metrics"' });
      const body = renderMetrics(collect());
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    },
  };
}
