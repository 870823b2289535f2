import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId } from '@storefront/shared';
import { applyOnce, RedisStreamsTransport, type DomainEvent } from '@storefront/shared/events';
import { createTestDatabase, type TestDatabase } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createInventoryContext, createInventoryDb, createInventoryServer, restock, seedInventory, STOCK_CHANGED, type InventoryDb } from '../../subgraphs/inventory/src/index.ts';

/**
 * Done-when 5: events produced while Redis is down are delivered once it is back, none lost, none
 * applied twice. A private redis-server on a free port (never the shared 6379) is stopped and
 * started under a running inventory subgraph whose outbox relay publishes to it, with a consumer
 * group applying events idempotently (applyOnce) and acknowledging after handling.
 *
 * The Redis runs with AOF (appendfsync always), as a durable event bus must: without persistence a
 * restart loses the stream and its consumer groups, and the transport's consumers do not yet
 * recreate a lost group (reported to the shared package's owner).
 */

const log = createLogger('events-e2e', { level: 'silent' });
const fixture = demoFixture();
const [AMS] = fixture.warehouses.map((w) => w.id);

let database: TestDatabase;
let db: InventoryDb;
let port: number;
let dir: string;
let url: string;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
    srv.on('error', reject);
  });
}

const redisUp = () =>
  execFileSync('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--daemonize', 'yes']);
const redisDown = () => execFileSync('redis-cli', ['-p', String(port), 'shutdown']);
const ping = () => {
  try {
    return execFileSync('redis-cli', ['-p', String(port), 'ping']).toString().trim() === 'PONG';
  } catch {
    return false;
  }
};

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const service = () => createInventoryContext(db)({ requestId: newId(), viewer: { roles: [], scopes: [], service: 'e2e' }, log });
const admin = () => createInventoryContext(db)({ requestId: newId(), viewer: { userId: newId(), roles: ['ADMIN'], scopes: ['inventory:write'] }, log });

beforeAll(async () => {
  database = await createTestDatabase('inventory');
  db = createInventoryDb(database.url);
  await seedInventory(db, fixture);
  port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'events-e2e-redis-'));
  url = `redis://127.0.0.1:${port}`;
  redisUp();
  await until('redis', ping);
});

afterAll(async () => {
  if (ping()) redisDown();
  rmSync(dir, { recursive: true, force: true });
  await db?.$disconnect();
  await database?.drop();
});

describe('events through Redis Streams with Redis going down', () => {
  it('delivers what was produced during the outage once Redis is back: none lost, none applied twice', async () => {
    const stream = `test:events:${newId()}`;
    const transport = new RedisStreamsTransport(url, undefined, { stream, blockMs: 200, claimIdleMs: 2_000 });
    const consumerTransport = new RedisStreamsTransport(url, undefined, { stream, blockMs: 200, claimIdleMs: 2_000 });
    const server = await createInventoryServer({ databaseUrl: database.url, db, log, events: transport, sweepIntervalMs: 0 });
    const deliveries: string[] = [];
    const applied = new Map<string, number>();
    const group = `e2e.stock.${newId()}`;
    const variantId = newId();
    const consumer = consumerTransport.subscribe({
      group, consumer: 'c1', types: [STOCK_CHANGED],
      handler: async (event: DomainEvent) => {
        // The seed's own stock events travel the same stream; this test counts its variant's.
        if (event.aggregateId !== variantId) return;
        deliveries.push(event.id);
        await applyOnce(db, group, event.id, async () => {
          applied.set(event.id, (applied.get(event.id) ?? 0) + 1);
        });
      },
    });
    try {
      const change = () => restock(admin(), { variantId, locationId: AMS, quantity: 1, reason: 'goods in' });
      const produced = async () => (await db.outboxEvent.findMany({ where: { type: STOCK_CHANGED, aggregateId: variantId }, select: { id: true } })).map((e) => e.id);

      for (let i = 0; i < 5; i++) expect((await change()).userErrors).toEqual([]);
      expect(await produced()).toHaveLength(5);
      await until('the first 5 events', () => applied.size === 5);

      redisDown();
      await until('redis down', () => !ping());
      for (let i = 0; i < 20; i++) await change();
      // Committed with the stock changes, held in the outbox while the relay cannot publish.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await db.outboxEvent.count({ where: { aggregateId: variantId, publishedAt: null } })).toBe(20);
      expect(applied.size).toBe(5);

      redisUp();
      await until('redis up', ping);
      await until('all 25 events applied', () => applied.size === 25, 30_000);
      const ids = await produced();
      expect(ids).toHaveLength(25);
      expect(new Set(applied.keys())).toEqual(new Set(ids));
      expect([...applied.values()].every((n) => n === 1)).toBe(true);
      expect(await db.outboxEvent.count({ where: { aggregateId: variantId, publishedAt: null } })).toBe(0);
      expect(await db.processedEvent.count({ where: { consumer: group } })).toBe(25);

      // At-least-once: a redelivery (a relay replaying after a crash between publish and mark) is skipped.
      const again = await db.outboxEvent.findMany({ where: { aggregateId: variantId }, take: 3 });
      await transport.publish(again.map((e) => ({ id: e.id, type: e.type, aggregateId: e.aggregateId, payload: e.payload as any, occurredAt: e.occurredAt.toISOString(), source: 'inventory' })));
      await until('redeliveries', () => deliveries.length >= 28);
      expect(applied.size).toBe(25);
      expect([...applied.values()].every((n) => n === 1)).toBe(true);
      // The last event carries the final total.
      const stock = await db.stockLevel.findUniqueOrThrow({ where: { variantId_locationId: { variantId, locationId: AMS } } });
      expect(stock.onHand).toBe(25);
    } finally {
      await consumer.close();
      await server.close();
      await consumerTransport.close();
      await transport.close();
    }
  }, 90_000);

  it("reclaims a dead consumer's pending messages: another member of the group handles and acknowledges them", async () => {
    const stream = `test:events:${newId()}`;
    const group = `e2e.reclaim.${newId()}`;
    const producer = new RedisStreamsTransport(url, undefined, { stream });
    const deadTransport = new RedisStreamsTransport(url, undefined, { stream, blockMs: 200, claimIdleMs: 60_000 });
    const events: DomainEvent[] = Array.from({ length: 5 }, (_, i) => ({
      id: newId(), type: STOCK_CHANGED, aggregateId: `v${i}`, payload: { i }, occurredAt: new Date().toISOString(), source: 'e2e',
    }));
    // The first consumer takes the messages and dies without acknowledging them.
    const taken: string[] = [];
    const dead = deadTransport.subscribe({
      group, consumer: 'dead', handler: async (e) => {
        taken.push(e.id);
        await new Promise(() => {});
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    await producer.publish(events);
    await until('the dead consumer to take a message', () => taken.length > 0);
    await dead.close();
    await deadTransport.close();

    // What it read stays pending, unacknowledged: at least the message its handler took, and any others the same
    // read returned (a read can return several when the publish landed before Redis served it).
    const pending = Number(execFileSync('redis-cli', ['-p', String(port), 'XPENDING', stream, group]).toString().split('\n')[0]);
    expect(taken).toHaveLength(1);
    expect(pending).toBeGreaterThanOrEqual(1);
    expect(pending).toBeLessThanOrEqual(5);

    const handled = new Map<string, number>();
    const aliveTransport = new RedisStreamsTransport(url, undefined, { stream, blockMs: 200, claimIdleMs: 1_000 });
    const alive = aliveTransport.subscribe({
      group, consumer: 'alive', handler: async (e) => {
        await applyOnce(db, group, e.id, async () => {
          handled.set(e.id, (handled.get(e.id) ?? 0) + 1);
        });
      },
    });
    try {
      await until('the pending messages to be reclaimed', () => handled.size === 5, 20_000);
      expect(new Set(handled.keys())).toEqual(new Set(events.map((e) => e.id)));
      await until('acknowledged', () => Number(execFileSync('redis-cli', ['-p', String(port), 'XPENDING', stream, group]).toString().split('\n')[0]) === 0);
    } finally {
      await alive.close();
      await aliveTransport.close();
      await producer.close();
    }
  }, 60_000);
});
