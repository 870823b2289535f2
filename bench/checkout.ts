// Checkout throughput through the gateway: sustained checkouts/s and latency at 1, 10 and 50
// concurrent buyers spread over many SKUs, and with every buyer on one hot SKU; plus the SQL
// statements one checkout costs in each subgraph.
//   npx tsx bench/checkout.ts        (BENCH_SECONDS per scenario, default 10)
// The whole stack runs in this process (scripts/lib/stack.ts) on fresh databases, events in
// memory. Buyers (one per concurrent worker) register through the gateway once; stock is made
// plentiful directly in inventory's database. One iteration = createCart with one line (through
// the gateway) + checkout (through the gateway); checkouts/s counts PAID orders, the latency
// figures are of the checkout mutation alone (and of the whole iteration).
// SQL statements are counted exactly: every subgraph gets a Prisma client built with logQueries
// and its 'query' events are counted (BEGIN/COMMIT included as Prisma reports them); the
// background rate (outbox relays, sweepers) measured while idle is subtracted.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SUBGRAPH_NAMES, newId, withDatabase, type SubgraphName } from '@storefront/shared';
import { REPO_ROOT } from '@storefront/shared/db';
import { demoFixture } from '@storefront/shared/fixtures';
import { MemoryTransport } from '@storefront/shared/events';
import { testServerUrl } from '@storefront/shared/testing';
import { startStack } from '../scripts/lib/stack.ts';
import { percentile } from './lib/load.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const warmupMs = 2_000;
const CONCURRENCY = [1, 10, 50];
const HOT_CONCURRENCY = [10, 50];
const round = (n: number) => Math.round(n * 100) / 100;
// Other work on the machine shows in every figure; the load average is recorded with them.
const loadAtStart = os.loadavg().map(round);

// ------------------------------------------------------------------------------------------
// Stack with counting Prisma clients

const run = `bench_checkout_${process.pid}_${randomBytes(2).toString('hex')}`;
const dbName = (n: SubgraphName) => `${run}_${n}`;
const serverUrl = testServerUrl();
const statements = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 0])) as Record<SubgraphName, number>;
const clients: { $disconnect(): Promise<void> }[] = [];
const subgraphOptions: Partial<Record<SubgraphName, Record<string, unknown>>> = {};
for (const name of SUBGRAPH_NAMES) {
  const mod: Record<string, any> = await import(`@storefront/${name}`);
  const db = mod[`create${name[0].toUpperCase()}${name.slice(1)}Db`](withDatabase(serverUrl, dbName(name)), { logQueries: true });
  db.$on('query', () => { statements[name] += 1; });
  clients.push(db);
  subgraphOptions[name] = { db };
}
// Many registrations from one address, and the same customers buying all the time.
subgraphOptions.identity = { ...subgraphOptions.identity, rateLimitPrefix: `${run}:rl:`, rateLimits: { registerPerIp: { limit: 10_000, windowSeconds: 3600 } } };
subgraphOptions.payment = { ...subgraphOptions.payment, risk: { customerVelocity: { max: 1_000_000, windowMs: 60_000 }, cardVelocity: { max: 1_000_000, windowMs: 60_000 } } };

const stack = await startStack({ databaseServerUrl: serverUrl, databaseName: dbName, seed: 'always', ports: 'random', events: new MemoryTransport(), subgraphOptions });

async function gql(query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const res = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body: any = await res.json();
  if (!res.ok || body.errors) throw new Error(`${res.status} ${JSON.stringify(body.errors ?? body).slice(0, 300)}`);
  return body.data;
}

const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken userErrors { code message } } }`;
const CREATE = `mutation($input: CreateCartInput!) { createCart(input: $input) { cart { id } userErrors { code } } }`;
const CHECKOUT = `mutation($input: CheckoutInput!) { checkout(input: $input) { order { id status total { amount } } userErrors { code message } } }`;

try {
  // Plenty of stock everywhere, so every checkout can succeed (direct DB: the bench measures checkout, not restocking).
  const inventoryDb = subgraphOptions.inventory!.db as any;
  await inventoryDb.stockLevel.updateMany({ data: { onHand: 10_000_000, reserved: 0 } });

  const maxBuyers = Math.max(...CONCURRENCY, ...HOT_CONCURRENCY);
  const tokens: string[] = [];
  for (let i = 0; i < maxBuyers; i++) {
    const data = await gql(REGISTER, { input: { email: `buyer${i}.${run}@bench.storefront.dev`, password: `bench-${randomBytes(8).toString('hex')}-Pw1!`, name: `Buyer ${i}` } });
    if (!data.register.accessToken) throw new Error(`register failed: ${JSON.stringify(data.register.userErrors)}`);
    tokens.push(data.register.accessToken);
  }
  const skus = demoFixture().products.flatMap((p) => p.variants.map((v) => v.id));
  const hot = skus[7];
  console.log(`stack up; ${tokens.length} buyers registered; ${skus.length} SKUs`);

  /** One buy: a line into the buyer's cart, then checkout. Returns the checkout's latency, or throws. */
  async function buy(token: string, variantId: string): Promise<number> {
    const created = await gql(CREATE, { input: { lines: [{ variantId, quantity: 1 }] } }, token);
    if (created.createCart.userErrors.length) throw new Error(`createCart: ${JSON.stringify(created.createCart.userErrors)}`);
    const started = performance.now();
    const data = await gql(CHECKOUT, { input: { cartId: created.createCart.cart.id, paymentToken: 'tok_success', idempotencyKey: newId() } }, token);
    const elapsed = performance.now() - started;
    if (data.checkout.userErrors.length || data.checkout.order?.status !== 'PAID') throw new Error(`checkout: ${JSON.stringify(data.checkout)}`);
    return elapsed;
  }

  /** A few distinct failure messages per scenario (warm-up included, so a scenario with 0 errors may list some). */
  const errorSamples: Record<string, string[]> = {};
  async function scenario(name: string, concurrency: number, pick: (i: number) => string) {
    let counter = 0;
    const phase = async (ms: number) => {
      const checkoutMs: number[] = [];
      const iterationMs: number[] = [];
      let errors = 0;
      const deadline = performance.now() + ms;
      const worker = async (w: number) => {
        while (performance.now() < deadline) {
          const started = performance.now();
          try {
            checkoutMs.push(await buy(tokens[w], pick(counter++)));
            iterationMs.push(performance.now() - started);
          } catch (error) {
            errors += 1;
            const key = `${name} c=${concurrency}`;
            const message = (error as Error).message.slice(0, 240);
            const seen = (errorSamples[key] ??= []);
            if (seen.length < 3 && !seen.includes(message)) seen.push(message);
          }
        }
      };
      const before = { ...statements };
      const started = performance.now();
      await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
      return { checkoutMs, iterationMs, errors, elapsedMs: performance.now() - started, before };
    };
    await phase(warmupMs);
    const { checkoutMs, iterationMs, errors, elapsedMs } = await phase(seconds * 1000);
    checkoutMs.sort((a, b) => a - b);
    iterationMs.sort((a, b) => a - b);
    const result = {
      name, concurrency, durationSeconds: round(elapsedMs / 1000), checkouts: checkoutMs.length, errors,
      checkoutsPerSecond: round(checkoutMs.length / (elapsedMs / 1000)),
      checkoutLatencyMs: { p50: round(percentile(checkoutMs, 50)), p95: round(percentile(checkoutMs, 95)), p99: round(percentile(checkoutMs, 99)), max: round(checkoutMs.at(-1) ?? 0) },
      iterationLatencyMs: { p50: round(percentile(iterationMs, 50)), p95: round(percentile(iterationMs, 95)) },
    };
    console.log(`${name.padEnd(28)} c=${String(concurrency).padStart(2)}  ${String(result.checkouts).padStart(5)} PAID  ${String(errors).padStart(3)} errors  ${String(result.checkoutsPerSecond).padStart(7)}/s  checkout p50 ${result.checkoutLatencyMs.p50} ms  p95 ${result.checkoutLatencyMs.p95} ms  (iteration p95 ${result.iterationLatencyMs.p95} ms)`);
    return result;
  }

  // SQL statements per checkout, at concurrency 1: the background rate first, then sequential checkouts.
  // Seeding leaves a backlog of events (catalog's stock copy consumes StockChanged for every
  // variant); wait until every subgraph is down to its polling rate before measuring it.
  const measureIdle = async (ms: number) => {
    const from = { ...statements };
    const started = performance.now();
    await new Promise((r) => setTimeout(r, ms));
    const elapsed = (performance.now() - started) / 1000;
    return Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, (statements[n] - from[n]) / elapsed])) as Record<SubgraphName, number>;
  };
  for (let i = 0; i < 60 && Math.max(...Object.values(await measureIdle(1_000))) > 20; i++);
  const idleRate = await measureIdle(3_000);

  const samples = 20;
  const perCheckout = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 0])) as Record<SubgraphName, number>;
  const perCart = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 0])) as Record<SubgraphName, number>;
  for (let i = 0; i < samples; i++) {
    const token = tokens[0];
    const t0 = performance.now();
    const s0 = { ...statements };
    const created = await gql(CREATE, { input: { lines: [{ variantId: skus[(i * 13) % skus.length], quantity: 1 }] } }, token);
    const t1 = performance.now();
    const s1 = { ...statements };
    const data = await gql(CHECKOUT, { input: { cartId: created.createCart.cart.id, paymentToken: 'tok_success', idempotencyKey: newId() } }, token);
    if (data.checkout.order?.status !== 'PAID') throw new Error(`checkout failed: ${JSON.stringify(data.checkout)}`);
    await new Promise((r) => setTimeout(r, 300)); // events consumed after the answer (loyalty, catalog stock copy) count too
    const t2 = performance.now();
    for (const n of SUBGRAPH_NAMES) {
      perCart[n] += s1[n] - s0[n] - (idleRate[n] * (t1 - t0)) / 1000;
      perCheckout[n] += statements[n] - s1[n] - (idleRate[n] * (t2 - t1)) / 1000;
    }
  }
  const mean = (m: Record<SubgraphName, number>) => Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, round(Math.max(0, m[n] / samples))])) as Record<SubgraphName, number>;
  const sum = (m: Record<string, number>) => round(Object.values(m).reduce((a, b) => a + b, 0));
  const sql = {
    method: 'Prisma query events from a logQueries client per subgraph, idle background rate subtracted',
    samples,
    idleStatementsPerSecond: Object.fromEntries(Object.entries(idleRate).map(([k, v]) => [k, round(v)])),
    perCheckout: { total: sum(mean(perCheckout)), bySubgraph: mean(perCheckout) },
    perCreateCartWithOneLine: { total: sum(mean(perCart)), bySubgraph: mean(perCart) },
  };
  console.log(`SQL per checkout: ${sql.perCheckout.total} ${JSON.stringify(sql.perCheckout.bySubgraph)}; per createCart+line: ${sql.perCreateCartWithOneLine.total}`);

  const results = [];
  for (const c of CONCURRENCY) results.push(await scenario('many SKUs', c, () => skus[Math.floor(Math.random() * skus.length)]));
  for (const c of HOT_CONCURRENCY) results.push(await scenario('one hot SKU', c, () => hot));

  for (const [key, messages] of Object.entries(errorSamples)) console.log(`errors in ${key}:\n- ${messages.join('\n- ')}`);
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(REPO_ROOT, 'bench', 'results', 'checkout.json'),
    `${JSON.stringify({ ranAt: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version, loadAverage1m: { start: loadAtStart[0], end: round(os.loadavg()[0]) } }, dbPoolSizePerSubgraph: Number(process.env.DB_POOL_SIZE ?? 10), seconds, warmupSeconds: warmupMs / 1000, events: 'in-process (MemoryTransport)', skus: skus.length, results, sql, errorSamples }, null, 2)}\n`,
  );
  console.log('wrote bench/results/checkout.json');
} finally {
  await stack.stop({ dropDatabases: true });
  await Promise.all(clients.map((c) => c.$disconnect()));
}
