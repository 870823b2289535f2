import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { createTestDatabase, waitUntil as until, type TestDatabase } from '../src/testing/index.ts';
import { MemoryTransport, OutboxRelay, RedisStreamsTransport, applyOnce, outboxEvent, type DomainEvent } from '../src/events/index.ts';

// The outbox tables are the same in every subgraph; the catalog schema's database has them.
import { PrismaClient } from '../../../subgraphs/catalog/src/generated/prisma/client.ts';

const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let database: TestDatabase;
let db: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase('catalog');
  db = new PrismaClient({ adapter: new PrismaPg({ connectionString: database.url }) });
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

const event = (n: number): DomainEvent => ({ id: randomUUID(), type: 'Test', aggregateId: String(n), payload: { n }, occurredAt: new Date().toISOString(), source: 'test' });

describe('Redis Streams transport', () => {
  it('delivers every event to every group once, and each group shares work between its consumers', async () => {
    const stream = `test:${randomUUID()}`;
    const t = new RedisStreamsTransport(REDIS, undefined, { stream, blockMs: 100 });
    const a: number[] = [], b1: number[] = [], b2: number[] = [];
    const subs = [
      t.subscribe({ group: 'a', consumer: 'a1', handler: async (e) => void a.push(e.payload.n as number) }),
      t.subscribe({ group: 'b', consumer: 'b1', handler: async (e) => void b1.push(e.payload.n as number) }),
      t.subscribe({ group: 'b', consumer: 'b2', handler: async (e) => void b2.push(e.payload.n as number) }),
    ];
    await t.publish(Array.from({ length: 50 }, (_, i) => event(i)));
    await until(() => a.length === 50 && b1.length + b2.length === 50);
    expect(a).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...b1, ...b2].sort((x, y) => x - y)).toEqual(a);
    await Promise.all(subs.map((s) => s.close()));
    await t.close();
  });

  it("reclaims a dead consumer's unacknowledged messages", async () => {
    const stream = `test:${randomUUID()}`;
    const t = new RedisStreamsTransport(REDIS, undefined, { stream, blockMs: 100, claimIdleMs: 300 });
    // The first consumer takes the message and dies before acknowledging it.
    const dying = t.subscribe({ group: 'g', consumer: 'dies', handler: () => new Promise(() => {}) });
    await t.publish([event(1)]);
    await new Promise((r) => setTimeout(r, 300));
    await dying.close();
    const got: number[] = [];
    const survivor = t.subscribe({ group: 'g', consumer: 'survives', handler: async (e) => void got.push(e.payload.n as number) });
    await until(() => got.length === 1);
    expect(got).toEqual([1]);
    await survivor.close();
    await t.close();
  });
});

describe('transactional outbox', () => {
  it('keeps events while the transport is down and delivers them, once each, when it is back', async () => {
    const stream = `test:${randomUUID()}`;
    await db.outboxEvent.createMany({ data: Array.from({ length: 20 }, (_, i) => outboxEvent('StockChanged', `v${i}`, { i })) });

    const down = new RedisStreamsTransport('redis://127.0.0.1:1', undefined, { stream });
    const failing = new OutboxRelay(db, down, 'test');
    await expect(failing.publishBatch()).rejects.toBeTruthy();
    await down.close();
    expect(await db.outboxEvent.count({ where: { publishedAt: null } })).toBe(20);

    const up = new RedisStreamsTransport(REDIS, undefined, { stream, blockMs: 100 });
    const applied: string[] = [];
    const consume = async (e: DomainEvent) => {
      await applyOnce(db, 'test.consumer', e.id, async () => void applied.push(e.aggregateId));
    };
    const sub = up.subscribe({ group: 'consumer', consumer: 'c1', handler: consume });
    await new OutboxRelay(db, up, 'test').kick();
    await until(() => applied.length === 20);
    expect(await db.outboxEvent.count({ where: { publishedAt: null } })).toBe(0);

    // A replay of the whole stream (a new consumer of the same group name re-reading) applies nothing twice.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query('SELECT count(*)::int AS n FROM "ProcessedEvent" WHERE consumer = $1', ['test.consumer']);
    await client.end();
    expect(rows[0].n).toBe(20);
    const replayed = (await db.outboxEvent.findMany()).map((r) => ({ id: r.id, type: r.type, aggregateId: r.aggregateId, payload: r.payload as any, occurredAt: '', source: 'test' }));
    for (const e of replayed) await consume(e);
    expect(applied).toHaveLength(20);
    expect(new Set(applied).size).toBe(20);
    await sub.close();
    await up.close();
  });

  it('lets several relays run at once without publishing a row twice', async () => {
    await db.outboxEvent.deleteMany();
    await db.outboxEvent.createMany({ data: Array.from({ length: 300 }, (_, i) => outboxEvent('T', `x${i}`, { i })) });
    const seen: string[] = [];
    const transport = new MemoryTransport();
    transport.subscribe({ group: 'g', consumer: 'c', handler: async (e) => void seen.push(e.id) });
    await Promise.all([0, 1, 2].map(() => new OutboxRelay(db, transport, 'test').kick()));
    await until(() => seen.length >= 300);
    expect(new Set(seen).size).toBe(300);
    expect(seen).toHaveLength(300);
  });

  it('publishes on commit when it listens, long before its fallback poll, also after losing its connection', async () => {
    await db.outboxEvent.deleteMany();
    const seen: string[] = [];
    const transport = new MemoryTransport();
    transport.subscribe({ group: 'g', consumer: 'c', handler: async (e) => void seen.push(e.aggregateId) });
    // A fallback poll of a minute: anything published within seconds was woken by the commit.
    const relay = new OutboxRelay(db, transport, 'test', undefined, { listenUrl: database.url, pollMs: 60_000 }).start();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const listener = async () => (await admin.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'outbox-relay' AND datname = current_database()`)).rows;
    try {
      await until(async () => (await listener()).length === 1);
      await db.$transaction(async (tx) => {
        await tx.outboxEvent.create({ data: outboxEvent('T', 'first', {}) });
        await new Promise((r) => setTimeout(r, 300));
        expect(seen).toEqual([]); // not before the commit
      });
      await until(() => seen.includes('first'), 3_000);

      // The listening connection dies; the relay reconnects and catches up.
      await admin.query('SELECT pg_terminate_backend($1)', [(await listener())[0].pid]);
      await db.outboxEvent.create({ data: outboxEvent('T', 'while-reconnecting', {}) });
      await until(() => seen.includes('while-reconnecting'), 5_000);
      await db.outboxEvent.create({ data: outboxEvent('T', 'after', {}) });
      await until(() => seen.includes('after'), 3_000);
      expect(seen).toEqual(['first', 'while-reconnecting', 'after']);
    } finally {
      await relay.stop();
      await admin.end();
    }
    expect(await db.outboxEvent.count({ where: { publishedAt: null } })).toBe(0);
  });
});
