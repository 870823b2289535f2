// Gateway protection benchmark: `npx tsx bench/gateway-protection.ts`.
// Starts the whole stack in-process (seven subgraphs on fresh, seeded databases on the PostgreSQL server of
// DATABASE_URL), then two gateways in front of it: one with every protection off, one with every protection on
// (operation limits and cost, per-IP and per-client rate limits and the cost budget in Redis, the APQ store in
// Redis, the partner's safelist). The same operation goes through each as a full query, as an APQ hash and as a
// safelisted id. Two setups: the real subgraphs, and
// "replayed" subgraphs (stand-ins that answer recorded responses at memory speed, so the gateway's own work is most
// of each request: the worst case for the relative cost of protection). Writes bench/results/gateway-protection.json.
// Off and on are interleaved in short slices (off, on, on, off, ...) so that other load on the machine weighs on both
// alike; besides req/s and p95 it reports this process's CPU time per request.
// Knobs: BENCH_SLICES (per variant, default 12), BENCH_SLICE_MS (1000), BENCH_CONCURRENCY (16), REDIS_URL.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Redis } from 'ioredis';
import { createLogger, SUBGRAPH_NAMES } from '@storefront/shared';
import { demoFixture } from '@storefront/shared/fixtures';
import { deleteRedisKeys, gatewayHeaders, testServerUrl } from '@storefront/shared/testing';
import { startStack } from '../scripts/lib/stack.ts';
import { createGateway, loadGatewayConfig, type GatewayConfig } from '../gateway/src/index.ts';
import { loadProtectionConfig } from '../gateway/src/protection/config.ts';
import { MANIFEST_DIR, parseManifest, sha256Hex } from '../gateway/src/persistedQueries/manifest.ts';
import { interleavedLoad } from './lib/interleaved.ts';
import { parse } from 'graphql';
import { CostAnalyzer } from '../gateway/src/protection/cost.ts';
import { RedisRateLimiter } from '../gateway/src/protection/rateLimiter.ts';
import { judgeOperation } from '../gateway/src/persistedQueries/policy.ts';
import { apiSchemaOf } from '../gateway/src/persistedQueries/validate.ts';
import { startReplaySubgraph } from './lib/replaySubgraph.ts';

process.env.APOLLO_TELEMETRY_DISABLED ??= '1';
const r2 = (n: number) => Math.round(n * 100) / 100;
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const slices = Number(process.env.BENCH_SLICES ?? 12);
const sliceMs = Number(process.env.BENCH_SLICE_MS ?? 1_000);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisPrefix = `bench:gateway:${randomUUID()}:`;

// The operation: a partner's product feed page (catalog, then inventory for stock), registered in the acme list.
const feed = parseManifest(readFileSync(`${MANIFEST_DIR}/acme.json`, 'utf8'), 'acme.json').operations.find((o) => o.name === 'AcmeProductFeed')!;
const variables = { first: 5 };
// APQ uses the same operation under text no manifest holds (a trailing comment), so lookups hit the APQ store.
const apqText = `${feed.body}\n# apq`;
const apqHash = sha256Hex(apqText);

const log = createLogger('bench', { level: 'error' });
const loadAtStart = os.loadavg().map(r2);
const run = `bench_gw_${process.pid}_${randomBytes(3).toString('hex')}`;
console.log('starting the stack (seeding seven databases)…');
const stack = await startStack({ databaseServerUrl: testServerUrl(), databaseName: (n) => `${run}_${n}`, seed: 'always', ports: 'random', log });
const env = { ...process.env, ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, stack.subgraphUrls[n]])) };
// The response cache is not a protection: off in both, so every request reaches the subgraphs as before.
const base: GatewayConfig = { ...loadGatewayConfig(env), responseCacheBytes: 0 };
const defaults = loadProtectionConfig(env, false);
const generous = { FREE: 10_000_000, STANDARD: 10_000_000, PREMIUM: 10_000_000 };

const offConfig: GatewayConfig = {
  ...base,
  protection: {
    ...defaults,
    redisUrl: undefined,
    apq: { enabled: true, ttlSeconds: 3600 },
    limits: { ...defaults.limits, enabled: false },
    rateLimits: { ...defaults.rateLimits, enabled: false },
    persistedQueries: { ...defaults.persistedQueries, defaultPolicy: 'OFF' },
  },
};
// Every protection on; limits high enough that the benchmark is never refused, so each request pays for the checks.
// First-party traffic (the APQ run) keeps policy OFF so that APQ exercises the Redis store; the partner runs are safelisted.
const onConfig: GatewayConfig = {
  ...base,
  protection: {
    ...defaults,
    redisUrl,
    redisPrefix,
    apq: { enabled: true, ttlSeconds: 3600 },
    limits: { ...defaults.limits, enabled: true },
    rateLimits: { ...defaults.rateLimits, enabled: true, perIp: 10_000_000, perClient: generous, costBudget: { FREE: 1e12, STANDARD: 1e12, PREMIUM: 1e12 } },
    persistedQueries: { ...defaults.persistedQueries, defaultPolicy: 'OFF' },
  },
};
// A partner on the acme list (SAFELIST), created the way an admin would.
const fixture = demoFixture();
const created = await (
  await fetch(stack.subgraphUrls.identity, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...gatewayHeaders({ userId: fixture.users[2].id, roles: ['ADMIN'] }) },
    body: JSON.stringify({
      query: 'mutation($input: CreateApiClientInput!) { createApiClient(input: $input) { clientSecret apiClient { clientId } userErrors { message } } }',
      variables: { input: { name: 'Bench partner', scopes: ['orders:read:any'], rateTier: 'PREMIUM', persistedQueryPolicy: 'SAFELIST', persistedQueryList: 'acme' } },
    }),
  })
).json() as any;
const apiKey = `${created.data.createApiClient.apiClient.clientId}.${created.data.createApiClient.clientSecret}`;

type Mode = 'full query' | 'APQ' | 'safelisted id';
const persisted = (hash: string) => ({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
const requests: Record<Mode, { body: string; headers: Record<string, string> }> = {
  'full query': { body: JSON.stringify({ query: feed.body, variables }), headers: { 'x-api-key': apiKey } },
  APQ: { body: JSON.stringify(persisted(apqHash)), headers: {} },
  'safelisted id': { body: JSON.stringify(persisted(feed.id)), headers: { 'x-api-key': apiKey } },
};

async function once(url: string, mode: Mode): Promise<boolean> {
  const { body, headers } = requests[mode];
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const json = (await res.json()) as { data?: { products?: { edges: unknown[] } }; errors?: unknown };
  return res.status === 200 && !json.errors && json.data?.products?.edges.length === variables.first;
}

const redis = new Redis(redisUrl);
type Setup = 'real subgraphs' | 'replayed subgraphs';
const modes = Object.keys(requests) as Mode[];
const summary: Record<string, unknown>[] = [];

async function measure(setup: Setup, subgraphUrls: GatewayConfig['subgraphUrls']) {
  const off = await createGateway({ ...offConfig, subgraphUrls }, log);
  const on = await createGateway({ ...onConfig, subgraphUrls }, log);
  const urls = { off: `${await off.listen(0)}/graphql`, on: `${await on.listen(0)}/graphql` };
  // Register the APQ text on both gateways (the "on" one stores it in Redis) and check every mode answers.
  for (const url of [urls.off, urls.on]) {
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: apqText, ...persisted(apqHash) }) });
    for (const mode of modes) if (!(await once(url, mode))) throw new Error(`${mode} does not work on ${url}`);
  }
  if (!(await redis.exists(`${redisPrefix}apq:${apqHash}`))) throw new Error('the APQ text is not in Redis');
  console.log(`\n${setup}:`);
  for (const mode of modes) {
    const r = await interleavedLoad({
      concurrency,
      slices,
      sliceMs,
      warmupMs: 1_500,
      variants: { off: () => once(urls.off, mode), on: () => once(urls.on, mode) },
    });
    const entry = {
      setup,
      mode,
      off: r.off,
      on: r.on,
      throughputCostPercent: r2(((r.off.rps - r.on.rps) / r.off.rps) * 100),
      p95AddedMs: r2(r.on.latencyMs.p95 - r.off.latencyMs.p95),
      /** Extra CPU per request with every protection on: the throughput cost when the gateway is CPU-bound. */
      cpuCostPercent: r2(((r.on.cpuMsPerRequest - r.off.cpuMsPerRequest) / r.off.cpuMsPerRequest) * 100),
    };
    summary.push(entry);
    console.log(
      `${mode.padEnd(14)} off ${String(r.off.rps).padStart(7)} req/s p95 ${String(r.off.latencyMs.p95).padStart(7)} ms cpu ${r.off.cpuMsPerRequest} ms/req` +
        ` | on ${String(r.on.rps).padStart(7)} req/s p95 ${String(r.on.latencyMs.p95).padStart(7)} ms cpu ${r.on.cpuMsPerRequest} ms/req` +
        ` | req/s ${entry.throughputCostPercent}%, cpu/req ${entry.cpuCostPercent}%`,
    );
  }
  await off.close();
  await on.close();
}

await measure('real subgraphs', stack.subgraphUrls);
const replays = await Promise.all(SUBGRAPH_NAMES.map(async (n) => [n, await startReplaySubgraph(stack.subgraphUrls[n])] as const));
await measure('replayed subgraphs', Object.fromEntries(replays.map(([n, r]) => [n, r.url])) as GatewayConfig['subgraphUrls']);
await Promise.all(replays.map(([, r]) => r.close()));

// The protection steps on their own, with 16 calls in flight: CPU per call in this process (Redis's own CPU not included).
const sdl = base.supergraphSdl;
const schema = apiSchemaOf(sdl);
const analyzer = new CostAnalyzer(sdl, { defaultListSize: onConfig.protection.limits.defaultListSize });
const document = parse(feed.body);
const acmeList = { name: 'acme', operations: new Map([[feed.id, feed]]) };
const limiter = new RedisRateLimiter(redis, redisPrefix, log);
async function cpuPerCall(calls: number, f: () => unknown): Promise<number> {
  const burst = async (n: number) => Promise.all(Array.from({ length: 16 }, async () => { for (let i = 0; i < n / 16; i++) await f(); }));
  await burst(calls / 10);
  const cpu = process.cpuUsage();
  await burst(calls);
  const used = process.cpuUsage(cpu);
  return r2((used.user + used.system) / calls);
}
const steps = {
  'cost analysis (AcmeProductFeed)': await cpuPerCall(16_000, () => analyzer.measure(schema, document, 'AcmeProductFeed', variables)),
  'policy check by id': await cpuPerCall(160_000, () => judgeOperation('SAFELIST', acmeList, persisted(feed.id))),
  'policy check by body (sha256)': await cpuPerCall(160_000, () => judgeOperation('SAFELIST', acmeList, { query: feed.body })),
  'rate limit / budget counter (one Redis script)': await cpuPerCall(16_000, () => limiter.consume('bench:steps', 1e12, 60_000, 1)),
  'APQ lookup (one Redis GET)': await cpuPerCall(16_000, () => redis.get(`${redisPrefix}apq:${apqHash}`)),
};
console.log('\nprotection steps, CPU µs per call:', steps);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/gateway-protection.json', import.meta.url),
  `${JSON.stringify(
    {
      benchmark: 'gateway-protection',
      generatedAt: new Date().toISOString(),
      target: 'gateway in front of the seven subgraphs (real, and replayed at memory speed), all in one process with the load generator (HTTP on localhost)',
      method:
        'closed loop; off and on interleaved in slices (off, on, on, off, ...) so both see the same machine load. cpuMsPerRequest is this process\'s CPU time per request (gateway, subgraphs or their stand-ins, load loop); on a CPU-bound gateway its change is the throughput cost.',
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverageAtStart: loadAtStart, loadAverageAtEnd: os.loadavg().map(r2), node: process.version, platform: `${os.platform()} ${os.release()}` },
      settings: { concurrency, slicesPerVariant: slices, sliceMs, warmupSeconds: 1.5, operation: 'AcmeProductFeed(first: 5): catalog + inventory', redis: redisUrl.replace(/\/\/[^@]*@/, '//') },
      protectionsOff: 'operation limits off, rate limits off, APQ store in memory, first-party persisted query policy off (the partner\'s SAFELIST still applies: it comes from identity; the check costs under 3 µs)',
      protectionsOn:
        'operation limits (armor depth/aliases/directives, root fields, tokens) and cost analysis; per-IP and per-client rate limits and the per-client cost budget in Redis; APQ store in Redis; the partner on SAFELIST (full query and safelisted id runs)',
      summary,
      stepsCpuMicrosecondsPerCall: steps,
    },
    null,
    2,
  )}\n`,
);
console.log('wrote bench/results/gateway-protection.json');

await deleteRedisKeys(redis, redisPrefix);
await redis.quit();
await stack.stop({ dropDatabases: true });
process.exit(0);
