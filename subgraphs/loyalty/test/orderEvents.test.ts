import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { newId, type Viewer } from '@storefront/shared';
import { MemoryTransport, type DomainEvent } from '@storefront/shared/events';
import { createTestDatabase, type TestDatabase } from '@storefront/shared/testing';
import { createLoyaltyDb, createLoyaltyServer, type LoyaltyDb } from '../src/index.ts';
import { applyOrderEvent } from '../src/services/orderEvents.ts';
import { expirePoints, releaseHeldPoints } from '../src/services/expiry.ts';
import { adjustPoints, redeemPoints } from '../src/services/points.ts';
import { TIER_PERIOD_MS } from '../src/services/tiers.ts';
import { eraseUserData } from '../src/privacy.ts';

let database: TestDatabase;
let db: LoyaltyDb;

beforeAll(async () => {
  database = await createTestDatabase('loyalty');
  db = createLoyaltyDb(database.url);
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

const SERVICE = { roles: [], scopes: [], service: 'checkout' };
const account = (userId: string) => db.loyaltyAccount.findUniqueOrThrow({ where: { userId } });
const entries = (userId: string) => db.loyaltyLedgerEntry.findMany({ where: { userId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });

/** An OrderStatusChanged event as order's outbox writes it. */
function statusChanged(order: { id: string; userId: string; total: number }, to: string, extra: Record<string, unknown> = {}): DomainEvent {
  return {
    id: newId(), type: 'OrderStatusChanged', aggregateId: order.id, source: 'order', occurredAt: new Date().toISOString(),
    payload: { orderId: order.id, orderNumber: 'SO-1', userId: order.userId, from: 'PENDING_PAYMENT', to, actor: 'service:payment', reason: null, total: { amount: order.total, currencyCode: 'USD' }, ...extra },
  };
}
const newOrder = (total: number, userId = newId()) => ({ id: newId(), userId, total });
const apply = (e: DomainEvent) => applyOrderEvent(db, e);

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** points = sum of non-pending entries, pendingPoints = sum of pending ones, for one member. */
async function expectLedgerMatches(userId: string) {
  const rows = await entries(userId);
  const a = await account(userId);
  expect({ points: a.points, pendingPoints: a.pendingPoints }).toEqual({
    points: rows.filter((e) => !e.pending).reduce((s, e) => s + e.points, 0),
    pendingPoints: rows.filter((e) => e.pending).reduce((s, e) => s + e.points, 0),
  });
  expect(a.lifetimePoints).toBe(rows.filter((e) => !e.pending && e.kind !== 'REDEEM' && e.kind !== 'EXPIRE').reduce((s, e) => s + e.points, 0));
  expect(a.pendingPoints).toBeGreaterThanOrEqual(0);
}

describe('order events', () => {
  it('credits a PAID order once when the same event is delivered 5 times through the running consumer', async () => {
    const transport = new MemoryTransport();
    const server = await createLoyaltyServer({ databaseUrl: database.url, db, events: transport, expiry: { intervalMs: 0 } });
    try {
      const order = newOrder(45_99);
      const paid = statusChanged(order, 'PAID');
      // The same event 5 times (redelivery), then the same change again under new ids (a replayed outbox).
      await transport.publish(Array.from({ length: 5 }, () => paid));
      await transport.publish(Array.from({ length: 3 }, () => ({ ...paid, id: newId() })));
      const marker = newOrder(100, order.userId);
      await transport.publish([statusChanged(marker, 'PAID')]);
      const rows = await until(() => entries(order.userId), (r) => r.some((e) => e.orderId === marker.id));
      expect(rows.some((e) => e.orderId === marker.id)).toBe(true);
      expect(rows.filter((e) => e.orderId === order.id).map((e) => [e.kind, e.points, e.pending])).toEqual([['EARN', 45, true]]);
      expect(await account(order.userId)).toMatchObject({ points: 0, pendingPoints: 46, lifetimePoints: 0 });
    } finally {
      await server.close();
      await transport.close();
    }
  });

  it('credits once under concurrent replays, and releases on delivery once', async () => {
    const order = newOrder(20_000);
    const paid = statusChanged(order, 'PAID');
    await Promise.all(Array.from({ length: 5 }, () => apply(paid)));
    expect(await account(order.userId)).toMatchObject({ points: 0, pendingPoints: 200 });
    const delivered = statusChanged(order, 'DELIVERED');
    await Promise.all([apply(delivered), apply(delivered), apply(paid)]);
    expect(await account(order.userId)).toMatchObject({ points: 200, pendingPoints: 0, lifetimePoints: 200 });
    expect(await db.loyaltyLedgerEntry.count({ where: { userId: order.userId } })).toBe(3);
    await expectLedgerMatches(order.userId);
  });

  it('reverses a partial refund proportionally, cumulatively and once, and the rest on the full refund', async () => {
    const order = newOrder(10_000);
    await apply(statusChanged(order, 'PAID'));
    await apply(statusChanged(order, 'DELIVERED'));
    const quarter = statusChanged(order, 'PARTIALLY_REFUNDED', { refundedAmount: 2_500, capturedAmount: 10_000 });
    await apply(quarter);
    await apply(quarter);
    expect(await account(order.userId)).toMatchObject({ points: 75, lifetimePoints: 75 });
    // A second refund brings the refunded total to 60%: 60 points reversed in all.
    await apply(statusChanged(order, 'PARTIALLY_REFUNDED', { refundedAmount: 6_000, capturedAmount: 10_000 }));
    expect(await account(order.userId)).toMatchObject({ points: 40, lifetimePoints: 40 });
    await apply(statusChanged(order, 'REFUNDED', { refundedAmount: 10_000, capturedAmount: 10_000 }));
    await apply(statusChanged(order, 'REFUNDED', { refundedAmount: 10_000, capturedAmount: 10_000 }));
    expect(await account(order.userId)).toMatchObject({ points: 0, pendingPoints: 0, lifetimePoints: 0 });
    expect((await entries(order.userId)).filter((e) => e.kind === 'REVERSE').map((e) => e.points)).toEqual([-25, -35, -40]);
    await expectLedgerMatches(order.userId);
  });

  it('reverses a partial refund of a still pending order from the pending points', async () => {
    const order = newOrder(9_999);
    await apply(statusChanged(order, 'PAID'));
    await apply(statusChanged(order, 'PARTIALLY_REFUNDED', { refundedAmount: 3_333, capturedAmount: 9_999 }));
    expect(await account(order.userId)).toMatchObject({ points: 0, pendingPoints: 66 });
    await apply(statusChanged(order, 'DELIVERED'));
    expect(await account(order.userId)).toMatchObject({ points: 66, pendingPoints: 0, lifetimePoints: 66 });
  });

  it('reverses everything on cancellation, and a late PAID replay earns nothing', async () => {
    const order = newOrder(5_000);
    const paid = statusChanged(order, 'PAID');
    await apply(paid);
    await apply(statusChanged(order, 'CANCELLED'));
    expect(await account(order.userId)).toMatchObject({ points: 0, pendingPoints: 0, lifetimePoints: 0 });
    await apply(paid);
    await apply(statusChanged(order, 'DELIVERED'));
    expect(await account(order.userId)).toMatchObject({ points: 0, pendingPoints: 0, lifetimePoints: 0 });
    await expectLedgerMatches(order.userId);
  });

  it('lets the balance go negative when spent points are reversed, and then refuses redemptions (the documented policy)', async () => {
    const order = newOrder(30_000);
    await apply(statusChanged(order, 'PAID'));
    await apply(statusChanged(order, 'DELIVERED'));
    const spent = await redeemPoints({ db, viewer: SERVICE }, { userId: order.userId, points: 250, idempotencyKey: newId() });
    expect(spent.userErrors).toEqual([]);
    await apply(statusChanged(order, 'REFUNDED', { refundedAmount: 30_000, capturedAmount: 30_000 }));
    expect(await account(order.userId)).toMatchObject({ points: -250, lifetimePoints: 0 });
    const refused = await redeemPoints({ db, viewer: SERVICE }, { userId: order.userId, points: 1, idempotencyKey: newId() });
    expect(refused.userErrors[0]?.code).toBe('INSUFFICIENT_POINTS');
    // The next order's points pay the debt back first.
    const next = newOrder(40_000, order.userId);
    await apply(statusChanged(next, 'PAID'));
    await apply(statusChanged(next, 'DELIVERED'));
    expect(await account(order.userId)).toMatchObject({ points: 150, lifetimePoints: 400 });
    await expectLedgerMatches(order.userId);
  });
});

describe('tiers', () => {
  it('upgrades exactly at 1,000 lifetime points, then earns ×1.25', async () => {
    const userId = newId();
    const first = newOrder(99_900, userId);
    await apply(statusChanged(first, 'PAID'));
    await apply(statusChanged(first, 'DELIVERED'));
    expect(await account(userId)).toMatchObject({ lifetimePoints: 999, tier: 'BRONZE' });
    const second = newOrder(100, userId);
    await apply(statusChanged(second, 'PAID'));
    expect((await account(userId)).tier).toBe('BRONZE'); // pending points do not count
    await apply(statusChanged(second, 'DELIVERED'));
    expect(await account(userId)).toMatchObject({ lifetimePoints: 1_000, tier: 'SILVER' });
    const third = newOrder(10_000, userId);
    await apply(statusChanged(third, 'PAID'));
    expect((await account(userId)).pendingPoints).toBe(125);
  });

  it('never downgrades within the tier period, and follows lifetime points after it', async () => {
    const userId = newId();
    const order = newOrder(100_000, userId);
    await apply(statusChanged(order, 'PAID'));
    await apply(statusChanged(order, 'DELIVERED'));
    expect((await account(userId)).tier).toBe('SILVER');
    await apply(statusChanged(order, 'REFUNDED', { refundedAmount: 100_000, capturedAmount: 100_000 }));
    expect(await account(userId)).toMatchObject({ lifetimePoints: 0, tier: 'SILVER' });
    // The period is over: the next change applies the tier the lifetime points reach.
    await db.loyaltyAccount.update({ where: { userId }, data: { tierPeriodStart: new Date(Date.now() - TIER_PERIOD_MS - 1_000) } });
    const staff = { db, viewer: { userId: newId(), roles: ['ADMIN'], scopes: ['loyalty:write:any'] } as Viewer };
    await adjustPoints(staff, { userId, points: 10, reason: 'goodwill' });
    expect(await account(userId)).toMatchObject({ lifetimePoints: 10, tier: 'BRONZE' });
  });
});

describe('expiry', () => {
  it('expires only unconsumed points older than the period, once', async () => {
    const userId = newId();
    const old = newOrder(10_000, userId);
    await apply(statusChanged(old, 'PAID'));
    await apply(statusChanged(old, 'DELIVERED'));
    await redeemPoints({ db, viewer: SERVICE }, { userId, points: 30, idempotencyKey: newId() });
    await new Promise((r) => setTimeout(r, 50));
    const boundary = new Date();
    await new Promise((r) => setTimeout(r, 50));
    const recent = newOrder(5_000, userId);
    await apply(statusChanged(recent, 'PAID'));
    await apply(statusChanged(recent, 'DELIVERED'));
    expect((await account(userId)).points).toBe(120);

    const now = new Date(boundary.getTime() + 365 * 86_400_000);
    const run = await expirePoints(db, { now, expireAfterMs: 365 * 86_400_000 });
    expect(run.members).toBeGreaterThanOrEqual(1);
    expect(await account(userId)).toMatchObject({ points: 50, lifetimePoints: 150 });
    const expired = (await entries(userId)).filter((e) => e.kind === 'EXPIRE');
    expect(expired.map((e) => e.points)).toEqual([-70]);
    await expirePoints(db, { now, expireAfterMs: 365 * 86_400_000 });
    await expirePoints(db, { now: new Date(now.getTime() + 1), expireAfterMs: 365 * 86_400_000 });
    expect((await entries(userId)).filter((e) => e.kind === 'EXPIRE')).toHaveLength(1);
    await expectLedgerMatches(userId);
  });

  it('releases pending points after the holding period when the order is never delivered', async () => {
    const userId = newId();
    const order = newOrder(8_000, userId);
    await apply(statusChanged(order, 'PAID'));
    const day = 86_400_000;
    expect(await releaseHeldPoints(db, { now: new Date(Date.now() + 29 * day), holdPendingMs: 30 * day })).toBe(0);
    expect(await account(userId)).toMatchObject({ points: 0, pendingPoints: 80 });
    expect(await releaseHeldPoints(db, { now: new Date(Date.now() + 31 * day), holdPendingMs: 30 * day })).toBeGreaterThanOrEqual(1);
    expect(await account(userId)).toMatchObject({ points: 80, pendingPoints: 0, lifetimePoints: 80 });
    // The delivery arriving afterwards changes nothing.
    await apply(statusChanged(order, 'DELIVERED'));
    expect(await account(userId)).toMatchObject({ points: 80, pendingPoints: 0 });
    await expectLedgerMatches(userId);
  });

  it('runs on the server on the configured interval, and not at all with 0', async () => {
    const userId = newId();
    const order = newOrder(7_000, userId);
    await apply(statusChanged(order, 'PAID'));
    await apply(statusChanged(order, 'DELIVERED'));
    const off = await createLoyaltyServer({ databaseUrl: database.url, db, expiry: { intervalMs: 0, expireAfterMs: 1 } });
    await new Promise((r) => setTimeout(r, 200));
    expect((await account(userId)).points).toBe(70);
    await off.close();
    const on = await createLoyaltyServer({ databaseUrl: database.url, db, expiry: { intervalMs: 50, expireAfterMs: 1 } });
    try {
      const a = await until(() => account(userId), (x) => x.points === 0);
      expect(a.points).toBe(0);
      expect((await entries(userId)).filter((e) => e.kind === 'EXPIRE').map((e) => e.reason)[0]).toMatch(/expired/);
    } finally {
      await on.close();
    }
  });
});

describe('a deleted customer', () => {
  const staff = () => ({ db, viewer: { userId: newId(), roles: ['ADMIN'], scopes: ['loyalty:write:any'] } as Viewer });

  it('earns nothing from order events that arrive after the deletion, and staff cannot adjust the closed account', async () => {
    const userId = newId();
    const before = newOrder(50_000, userId);
    await apply(statusChanged(before, 'PAID'));
    await apply(statusChanged(before, 'DELIVERED'));
    expect((await account(userId)).points).toBeGreaterThan(0);
    expect(await eraseUserData(db, newId(), userId)).toBe(true);
    expect(await account(userId)).toMatchObject({ points: 0, pendingPoints: 0, closedAt: expect.any(Date) });
    const closedEntries = (await entries(userId)).length;

    // Events from order are not ordered with identity's: these were in flight when the account went.
    const after = newOrder(80_000, userId);
    await apply(statusChanged(after, 'PAID'));
    await apply(statusChanged(after, 'DELIVERED'));
    await apply(statusChanged(before, 'REFUNDED', { refundedAmount: 50_000, capturedAmount: 50_000 }));
    expect(await account(userId)).toMatchObject({ points: 0, pendingPoints: 0 });
    expect(await entries(userId)).toHaveLength(closedEntries);
    const adjusted = await adjustPoints(staff(), { userId, points: 10, reason: 'goodwill' });
    expect(adjusted.userErrors.map((e) => e.code)).toEqual(['ACCOUNT_CLOSED']);
    await expectLedgerMatches(userId);
  });

  it('is closed even if they never had an account, so a late order event opens none', async () => {
    const userId = newId();
    expect(await eraseUserData(db, newId(), userId)).toBe(true);
    await apply(statusChanged(newOrder(30_000, userId), 'PAID'));
    expect(await account(userId)).toMatchObject({ points: 0, pendingPoints: 0, closedAt: expect.any(Date) });
    expect(await entries(userId)).toEqual([]);
  });
});

describe('property: the balance is the sum of the ledger', () => {
  type Op =
    | { op: 'earn'; amount: number }
    | { op: 'deliver'; order: number }
    | { op: 'redeem'; points: number }
    | { op: 'refund'; order: number; percent: number }
    | { op: 'cancel'; order: number }
    | { op: 'expire'; days: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('earn' as const), amount: fc.integer({ min: 0, max: 200_000 }) }),
    fc.record({ op: fc.constant('deliver' as const), order: fc.nat(9) }),
    fc.record({ op: fc.constant('redeem' as const), points: fc.integer({ min: 1, max: 1_500 }) }),
    fc.record({ op: fc.constant('refund' as const), order: fc.nat(9), percent: fc.integer({ min: 1, max: 100 }) }),
    fc.record({ op: fc.constant('cancel' as const), order: fc.nat(9) }),
    fc.record({ op: fc.constant('expire' as const), days: fc.integer({ min: 0, max: 800 }) }),
  );

  it('after any sequence of earn, deliver, redeem, refund, cancel and expire', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
        const userId = newId();
        const orders: { id: string; userId: string; total: number; refunded: number }[] = [];
        for (const step of ops) {
          const order = 'order' in step ? orders[step.order % Math.max(orders.length, 1)] : undefined;
          switch (step.op) {
            case 'earn': {
              const o = { ...newOrder(step.amount, userId), refunded: 0 };
              orders.push(o);
              await apply(statusChanged(o, 'PAID'));
              break;
            }
            case 'deliver':
              if (order) await apply(statusChanged(order, 'DELIVERED'));
              break;
            case 'redeem':
              await redeemPoints({ db, viewer: SERVICE }, { userId, points: step.points, idempotencyKey: newId() });
              break;
            case 'refund':
              if (order && order.total > 0) {
                order.refunded = Math.min(order.total, order.refunded + Math.max(1, Math.floor((order.total * step.percent) / 100)));
                await apply(statusChanged(order, order.refunded >= order.total ? 'REFUNDED' : 'PARTIALLY_REFUNDED', { refundedAmount: order.refunded, capturedAmount: order.total }));
              }
              break;
            case 'cancel':
              if (order) await apply(statusChanged(order, 'CANCELLED'));
              break;
            case 'expire':
              await expirePoints(db, { now: new Date(Date.now() + step.days * 86_400_000), expireAfterMs: 365 * 86_400_000 });
              break;
          }
        }
        if (!(await db.loyaltyAccount.findUnique({ where: { userId } }))) return;
        await expectLedgerMatches(userId);
        const a = await account(userId);
        // Only a reversal can take points below zero, and never by more than was redeemed or expired.
        const rows = await entries(userId);
        const spent = -rows.filter((e) => e.kind === 'REDEEM' || e.kind === 'EXPIRE').reduce((s, e) => s + e.points, 0);
        expect(a.points).toBeGreaterThanOrEqual(-spent);
        expect(a.lifetimePoints).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
