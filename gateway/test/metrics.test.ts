import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@storefront/shared';
import { createGateway, type GatewayServer } from '../src/server.ts';
import { loadGatewayConfig, type GatewayConfig } from '../src/config.ts';
import { renderMetrics, type MetricsSources } from '../src/metrics.ts';

const gateways: GatewayServer[] = [];

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
});

/** A gateway with no subgraphs behind it: enough for what it refuses, answers locally and counts. */
async function startGateway(overrides: Partial<GatewayConfig> = {}, extraEnv: Record<string, string> = {}): Promise<string> {
  const env = { ...process.env, NODE_ENV: overrides.production ? 'production' : 'development', INTERNAL_HMAC_SECRET: 'metrics-test-secret', PQ_DEFAULT_POLICY: 'log_unknown', RATE_LIMITS: 'off', ...extraEnv };
  const base = loadGatewayConfig(env);
  const gateway = await createGateway({ ...base, ...overrides }, createLogger('gateway', { level: 'silent' }), { events: null });
  gateways.push(gateway);
  return gateway.listen(0);
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g;

/** A strict reading of the text exposition format: HELP and TYPE before each family's samples, nothing else. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  expect(text.endsWith('\n')).toBe(true);
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helped = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (help) {
      expect(helped.has(help[1]), `second HELP for ${help[1]}`).toBe(false);
      helped.add(help[1]);
      continue;
    }
    if (type) {
      expect(helped.has(type[1]), `TYPE before HELP for ${type[1]}`).toBe(true);
      types.set(type[1], type[2]);
      continue;
    }
    const sample = SAMPLE.exec(line);
    expect(sample, `not a Prometheus sample line: ${line}`).not.toBeNull();
    const [, name, labelText = '', value] = sample!;
    expect(types.has(name), `sample before its TYPE: ${line}`).toBe(true);
    const labels = Object.fromEntries([...labelText.matchAll(LABEL)].map((m) => [m[1], m[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\')]));
    samples.push({ name, labels, value: Number(value) });
  }
  return { samples, types };
}

const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

async function scrape(base: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/metrics`, { headers });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

const post = (base: string, body: unknown) =>
  fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('GET /metrics', () => {
  it('serves every family in the Prometheus text format, with process gauges', async () => {
    const base = await startGateway();
    const res = await scrape(base);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { samples, types } = parseExposition(res.text);
    expect(types.get('gateway_graphql_requests_total')).toBe('counter');
    for (const outcome of ['ok', 'rejected', 'unauthenticated', 'rate_limited', 'error']) expect(valueOf(samples, 'gateway_graphql_requests_total', { outcome })).toBe(0);
    for (const limit of ['maxDepth', 'maxAliases', 'maxCost', 'costBudget']) expect(valueOf(samples, 'gateway_operation_limit_rejections_total', { limit })).toBe(0);
    for (const kind of ['ip', 'authFailures', 'client', 'costBudget']) expect(valueOf(samples, 'gateway_rate_limited_total', { kind })).toBe(0);
    expect(valueOf(samples, 'gateway_persisted_query_lists')).toBeGreaterThanOrEqual(3);
    expect(types.get('gateway_subscriptions')).toBe('gauge');
    expect(valueOf(samples, 'gateway_subscription_connections')).toBe(0);
    expect(valueOf(samples, 'gateway_subscription_upstreams')).toBe(0);
    expect(valueOf(samples, 'process_uptime_seconds')).toBeGreaterThan(0);
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    // No event transport: no ApiClientChanged counter to report.
    expect(types.has('gateway_api_client_changes_total')).toBe(false);
  });

  it('counters move when operations are refused or flagged', async () => {
    const base = await startGateway();
    const before = parseExposition((await scrape(base)).text).samples;

    const ok = await post(base, { query: '{ __typename }' });
    expect(ok.status).toBe(200);
    // Ad-hoc, so outside the first-party list (logged under LOG_UNKNOWN), and over the token limit.
    const tooMany = await post(base, { query: `{ ${'__typename '.repeat(2_001)}}` });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as any).errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'maxTokens' });
    const batch = await post(base, Array.from({ length: 11 }, () => ({ query: '{ __typename }' })));
    expect(batch.status).toBe(400);

    const after = parseExposition((await scrape(base)).text).samples;
    const delta = (name: string, labels: Record<string, string> = {}) => (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
    expect(delta('gateway_graphql_requests_total', { outcome: 'ok' })).toBe(1);
    expect(delta('gateway_graphql_requests_total', { outcome: 'rejected' })).toBe(2);
    expect(delta('gateway_operation_limit_rejections_total', { limit: 'maxTokens' })).toBe(1);
    expect(delta('gateway_operation_limit_rejections_total', { limit: 'maxDepth' })).toBe(0);
    expect(delta('gateway_persisted_query_unknown_total', { client: 'first-party' })).toBe(2);
    expect(delta('gateway_batches_rejected_total')).toBe(1);
    // Scrapes are not GraphQL requests.
    expect(delta('gateway_graphql_requests_total', { outcome: 'unauthenticated' })).toBe(0);
  });

  it('counts operations a persisted query list refuses', async () => {
    const base = await startGateway({}, { PQ_DEFAULT_POLICY: 'safelist' });
    const refused = await post(base, { query: '{ __typename }' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    const { samples } = parseExposition((await scrape(base)).text);
    expect(valueOf(samples, 'gateway_persisted_query_rejected_total', { code: 'PERSISTED_QUERY_NOT_IN_LIST' })).toBe(1);
    expect(valueOf(samples, 'gateway_persisted_query_unknown_total', { client: 'first-party' })).toBe(1);
    expect(valueOf(samples, 'gateway_graphql_requests_total', { outcome: 'rejected' })).toBe(1);
  });

  it('in production, needs the bearer token, and is not there at all without one', async () => {
    const token = 'metrics-token-for-tests';
    const guarded = await startGateway({ production: true, metricsToken: token });
    expect((await scrape(guarded)).status).toBe(401);
    expect((await scrape(guarded, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await scrape(guarded, { authorization: `Basic ${token}` })).status).toBe(401);
    const allowed = await scrape(guarded, { authorization: `Bearer ${token}` });
    expect(allowed.status).toBe(200);
    expect(parseExposition(allowed.text).samples.length).toBeGreaterThan(10);

    const unconfigured = await startGateway({ production: true, metricsToken: null });
    expect((await scrape(unconfigured)).status).toBe(404);
    expect((await scrape(unconfigured, { authorization: 'Bearer anything' })).status).toBe(404);

    // A token set in development is enforced there too.
    const devWithToken = await startGateway({ metricsToken: token });
    expect((await scrape(devWithToken)).status).toBe(401);
    expect((await scrape(devWithToken, { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('escapes label values', () => {
    const sources: MetricsSources = {
      requests: { ok: 1, rejected: 0, unauthenticated: 0, rate_limited: 0, error: 0, aborted: 0 },
      protection: {
        persistedQueries: { lists: [], loads: 0, unknown: 1, rejected: {}, unknownByClient: { 'odd"client\\with\nnewline': 1 } },
        rateLimited: { ip: 0, authFailures: 0, client: 0, costBudget: 0 },
        limits: { maxDepth: 0, maxAliases: 0, maxRootFields: 0, maxTokens: 0, maxDirectives: 0, maxFields: 0, maxCost: 0, costBudget: 0 },
        batchesRejected: 0,
      },
      responseCache: { hits: 4, misses: 2, coalesced: 3, bypassed: 1, clears: 5, entityHits: 7, entityMisses: 6 },
      subscriptions: null,
      apiClientChanges: 3,
      uptimeSeconds: 1.5,
      memory: process.memoryUsage(),
    };
    const text = renderMetrics(sources);
    expect(text).toContain('gateway_persisted_query_unknown_total{client="odd\\"client\\\\with\\nnewline"} 1');
    const { samples, types } = parseExposition(text);
    expect(valueOf(samples, 'gateway_persisted_query_unknown_total', { client: 'odd"client\\with\nnewline' })).toBe(1);
    expect(valueOf(samples, 'gateway_api_client_changes_total')).toBe(3);
    expect(valueOf(samples, 'gateway_response_cache_total', { outcome: 'hit' })).toBe(4);
    expect(valueOf(samples, 'gateway_response_cache_total', { outcome: 'bypass' })).toBe(1);
    expect(valueOf(samples, 'gateway_response_cache_clears_total')).toBe(5);
    expect(valueOf(samples, 'gateway_entity_cache_total', { outcome: 'hit' })).toBe(7);
    expect(valueOf(samples, 'gateway_entity_cache_total', { outcome: 'miss' })).toBe(6);
    expect(types.has('gateway_subscriptions')).toBe(false);
  });
});
