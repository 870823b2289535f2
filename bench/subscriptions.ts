// Subscription fan-out: one gateway process against the order subgraph served directly over
// graphql-ws, at 1,000 and 5,000 subscribers of the same order's `orderStatusChanged`.
//   npx tsx bench/subscriptions.ts   (BENCH_SUBSCRIBERS=1000,5000  BENCH_PACED=10  BENCH_BURST=20)
// Services run as child processes (identity, order, gateway) on a Redis logical database of their
// own (BENCH_REDIS_DB, default 8, flushed first) and databases bench_subs_<name> (recreated).
// Events are real: `transition(PARTIALLY_REFUNDED)` commits the order change and its outbox row in
// this process; the order subgraph's relay publishes it to Redis, its live consumer pushes it out.
//   - latency: commit -> client (the relay is woken by the commit's NOTIFY) and outbox publish -> client
//     (publishedAt, set by the relay's transaction), p50/p99 over every delivery; the paced phase
//     waits for full delivery of each event before the next, the burst phase does not.
//   - throughput: a burst of events committed back to back; deliveries/s and fully fanned-out events/s.
//   - memory: RSS growth of the serving process (gateway, or order subgraph when direct) per subscriber.
// Results: bench/results/subscriptions.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { createLogger, withDatabase, type SubgraphName } from '@storefront/shared';
import { dropDatabase } from '@storefront/shared/db';
import { gatewayHeaders, testServerUrl } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createOrderDb, transition } from '@storefront/order';
import { prepareDatabase } from '../scripts/lib/stack.ts';
import { login } from '../test/e2e/stack.ts';
import { freePort, startService, type ServiceProcess } from '../test/e2e/processes.ts';
import { percentile } from './lib/load.ts';

const SIZES = (process.env.BENCH_SUBSCRIBERS ?? '1000,5000').split(',').map(Number);
const PACED = Number(process.env.BENCH_PACED ?? 10);
const BURST = Number(process.env.BENCH_BURST ?? 20);
const REDIS_URL = `redis://127.0.0.1:6379/${process.env.BENCH_REDIS_DB ?? 8}`;
const fixture = demoFixture();
const order = fixture.orders.find((o) => o.status === 'PAID' && o.userId === fixture.customer.id)!;
const QUERY = 'subscription($orderId: ID!) { orderStatusChanged(orderId: $orderId) { id number status } }';

const log = createLogger('bench');
const names: SubgraphName[] = ['identity', 'order'];
const databaseUrls = Object.fromEntries(names.map((n) => [n, withDatabase(testServerUrl(), `bench_subs_${n}`)])) as Record<SubgraphName, string>;
const processes: ServiceProcess[] = [];

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Subscriber {
  socket: WebSocket;
  received: number[];
}

/** A minimal graphql-transport-ws client: connection_init, one subscribe, timestamps of every `next`. */
function subscriber(url: string, connectionParams: Record<string, unknown>): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const sub: Subscriber = { socket, received: [] };
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: connectionParams })));
    socket.on('message', (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY, variables: { orderId: order.id } } }));
        resolve(sub);
      } else if (msg.type === 'next') {
        if (msg.payload.errors) console.error('error result', JSON.stringify(msg.payload.errors));
        sub.received.push(Date.now());
      } else if (msg.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
      else if (msg.type === 'error') console.error('subscription error', JSON.stringify(msg.payload));
    });
    socket.on('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
    socket.on('error', reject);
  });
}

async function connectAll(n: number, url: string, params: () => Record<string, unknown>): Promise<Subscriber[]> {
  const subs: Subscriber[] = [];
  for (let i = 0; i < n; i += 250) subs.push(...(await Promise.all(Array.from({ length: Math.min(250, n - i) }, () => subscriber(url, params())))));
  return subs;
}

async function main() {
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  redis.disconnect();
  for (const n of names) {
    await dropDatabase(databaseUrls[n]);
    await prepareDatabase(n, databaseUrls[n], 'always', log);
  }
  const ports = { identity: await freePort(), order: await freePort(), gateway: await freePort() };
  const env: Record<string, string> = {
    REDIS_URL,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    IDENTITY_URL: `http://127.0.0.1:${ports.identity}/graphql`,
    ORDER_URL: `http://127.0.0.1:${ports.order}/graphql`,
    IDENTITY_DATABASE_URL: databaseUrls.identity,
    ORDER_DATABASE_URL: databaseUrls.order,
    MAX_SUBSCRIPTIONS_PER_CONNECTION: '10',
    MAX_SUBSCRIPTIONS_PER_PROCESS: '50000',
  };
  const [identity, orderService] = await Promise.all([
    startService('identity', ports.identity, { ...env, IDENTITY_PORT: String(ports.identity) }),
    startService('order', ports.order, { ...env, ORDER_PORT: String(ports.order) }),
  ]);
  processes.push(identity, orderService);
  const gateway = await startService('gateway', ports.gateway, { ...env, GATEWAY_PORT: String(ports.gateway) });
  processes.push(gateway);

  const token = await login(gateway.url, 'customer');
  const viewerId = fixture.customer.id;
  const orderDb = createOrderDb(databaseUrls.order);
  const commit = async () => {
    const res = await transition({ db: orderDb }, order.id, 'PARTIALLY_REFUNDED', { actor: 'system', reason: 'bench' });
    if (res.userErrors?.length) throw new Error(JSON.stringify(res.userErrors));
    return Date.now();
  };
  // The relay marks rows published after handing them to Redis, so a subscriber may see an event
  // before its row says so: wait for the marks.
  const publishedTimes = async (since: Date, count: number) => {
    for (let attempt = 0; ; attempt++) {
      const rows = await orderDb.outboxEvent.findMany({ where: { aggregateId: order.id, type: 'OrderStatusChanged', occurredAt: { gte: since } }, orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }] });
      const last = rows.slice(-count);
      if (last.length === count && last.every((r) => r.publishedAt)) return last.map((r) => r.publishedAt!.getTime());
      if (attempt > 50) throw new Error(`expected ${count} published outbox rows, found ${last.filter((r) => r.publishedAt).length}`);
      await sleep(100);
    }
  };
  const waitFor = async (subs: Subscriber[], count: number, ms: number) => {
    const start = Date.now();
    while (subs.some((s) => s.received.length < count)) {
      if (Date.now() - start > ms) return false;
      await sleep(5);
    }
    return true;
  };

  const modes = {
    gateway: { url: gateway.url.replace(/^http/, 'ws'), params: () => ({ authorization: `Bearer ${token}` }), pid: gateway.child.pid! },
    direct: { url: orderService.url.replace(/^http/, 'ws'), params: () => gatewayHeaders({ userId: viewerId, roles: ['CUSTOMER'] }), pid: orderService.child.pid! },
  };
  const results: any[] = [];
  for (const size of SIZES) {
    for (const [mode, m] of Object.entries(modes)) {
      await sleep(1500);
      const rssBefore = rssKb(m.pid);
      const connectStart = Date.now();
      const subs = await connectAll(size, m.url, m.params);
      const connectMs = Date.now() - connectStart;
      // Nothing acknowledges a subscribe: warm up until every subscriber has had an event.
      let warm = false;
      for (let i = 0; i < 20 && !warm; i++) {
        await commit();
        warm = await waitFor(subs, 1, 3000);
      }
      if (!warm) throw new Error(`${mode} ${size}: not every subscriber received the warm-up event`);
      await sleep(1000);
      const rssAfter = rssKb(m.pid);
      for (const s of subs) s.received.length = 0;

      // Paced: one event at a time, each fully delivered before the next.
      const pacedSince = new Date(Date.now() - 1000);
      const pacedCommits: number[] = [];
      for (let i = 0; i < PACED; i++) {
        pacedCommits.push(await commit());
        if (!(await waitFor(subs, i + 1, 60_000))) throw new Error(`${mode} ${size}: paced event ${i} not delivered`);
      }
      const pacedPublished = await publishedTimes(pacedSince, PACED);
      const fromCommit: number[] = [];
      const fromPublish: number[] = [];
      for (const s of subs) {
        for (let i = 0; i < PACED; i++) {
          fromCommit.push(s.received[i] - pacedCommits[i]);
          fromPublish.push(s.received[i] - pacedPublished[i]);
        }
      }
      for (const s of subs) s.received.length = 0;

      // Burst: commits back to back; throughput until the last delivery of the last event.
      await sleep(500);
      const burstSince = new Date(Date.now() - 1000);
      const burstCommits: number[] = [];
      for (let i = 0; i < BURST; i++) burstCommits.push(await commit());
      if (!(await waitFor(subs, BURST, 180_000))) throw new Error(`${mode} ${size}: burst not delivered`);
      const burstPublished = await publishedTimes(burstSince, BURST);
      const firstPublish = Math.min(...burstPublished);
      const lastDelivery = Math.max(...subs.map((s) => s.received[BURST - 1]));
      const burstFromPublish = subs.flatMap((s) => s.received.map((t, i) => t - burstPublished[i]));
      const seconds = (lastDelivery - firstPublish) / 1000;
      const extra = subs.filter((s) => s.received.length !== BURST).length;

      for (const s of subs) s.socket.close(1000);
      const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
      const c = sorted(fromCommit);
      const p = sorted(fromPublish);
      const b = sorted(burstFromPublish);
      const row = {
        mode,
        subscribers: size,
        connectMs,
        pacedEvents: PACED,
        latencyFromCommitMs: { p50: percentile(c, 50), p99: percentile(c, 99) },
        latencyFromPublishMs: { p50: percentile(p, 50), p99: percentile(p, 99) },
        burstEvents: BURST,
        burstSeconds: seconds,
        eventsPerSecond: BURST / seconds,
        deliveriesPerSecond: (BURST * size) / seconds,
        burstLatencyFromPublishMs: { p50: percentile(b, 50), p99: percentile(b, 99) },
        subscribersWithWrongCount: extra,
        rssDeltaKb: rssAfter - rssBefore,
        rssPerSubscriberKb: (rssAfter - rssBefore) / size,
      };
      console.log(JSON.stringify(row));
      results.push(row);
    }
  }
  await orderDb.$disconnect();

  const compare = SIZES.map((size) => {
    const g = results.find((r) => r.mode === 'gateway' && r.subscribers === size);
    const d = results.find((r) => r.mode === 'direct' && r.subscribers === size);
    return {
      subscribers: size,
      throughputRatio: g.deliveriesPerSecond / d.deliveriesPerSecond,
      p99RatioPaced: g.latencyFromPublishMs.p99 / d.latencyFromPublishMs.p99,
      p99RatioBurst: g.burstLatencyFromPublishMs.p99 / d.burstLatencyFromPublishMs.p99,
      meetsTargets: g.deliveriesPerSecond >= 0.7 * d.deliveriesPerSecond && g.latencyFromPublishMs.p99 <= 1.5 * d.latencyFromPublishMs.p99,
    };
  });
  console.table(compare);
  mkdirSync(new URL('results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('results/subscriptions.json', import.meta.url),
    JSON.stringify({ date: new Date().toISOString(), machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, subscription: QUERY, results, compare }, null, 2) + '\n',
  );
}

try {
  await main();
} finally {
  await Promise.all(processes.map((p) => p.stop()));
  await Promise.all(Object.values(databaseUrls).map((u) => dropDatabase(u).catch(() => {})));
}
process.exit(0);
