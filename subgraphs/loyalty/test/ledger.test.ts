import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, type Viewer } from '@storefront/shared';
import { createTestDatabase, type TestDatabase } from '@storefront/shared/testing';
import { createLoyaltyDb, TIER_THRESHOLDS, type LoyaltyDb } from '../src/index.ts';
import { adjustPoints, earnForOrder, pointsForAmount, redeemPoints, releaseOrderPoints, reverseOrderPoints } from '../src/services/points.ts';
import { nextTier, tierFor } from '../src/services/tiers.ts';

let database: TestDatabase;
let db: LoyaltyDb;
const SERVICE: Viewer = { roles: [], scopes: [], service: 'order' };
const service = () => ({ db, viewer: SERVICE });

const account = (userId: string) => db.loyaltyAccount.findUniqueOrThrow({ where: { userId } });
const earn = (userId: string, amount: number, pending = false, orderId = newId()) =>
  earnForOrder(service(), { userId, orderId, amount, currencyCode: 'USD', pending });

/** Balances recomputed from the ledger alone, for every account. */
async function ledgerSums() {
  return db.$queryRaw<{ userId: string; points: number; pendingPoints: number; lifetimePoints: number }[]>`
    SELECT a."userId",
      COALESCE(SUM(e."points") FILTER (WHERE NOT e."pending"), 0)::int AS "points",
      COALESCE(SUM(e."points") FILTER (WHERE e."pending"), 0)::int AS "pendingPoints",
      COALESCE(SUM(e."points") FILTER (WHERE NOT e."pending" AND e."kind" IN ('EARN', 'REVERSE', 'ADJUST')), 0)::int AS "lifetimePoints"
    FROM "LoyaltyAccount" a LEFT JOIN "LoyaltyLedgerEntry" e ON e."userId" = a."userId"
    GROUP BY a."userId" ORDER BY a."userId"`;
}

async function expectBalancesMatchLedger() {
  const accounts = await db.loyaltyAccount.findMany({ orderBy: { userId: 'asc' } });
  expect(accounts.length).toBeGreaterThan(0);
  expect(accounts.map((a) => ({ userId: a.userId, points: a.points, pendingPoints: a.pendingPoints, lifetimePoints: a.lifetimePoints }))).toEqual(await ledgerSums());
  for (const a of accounts) expect(a.tier).toBe(tierFor(a.lifetimePoints));
}

beforeAll(async () => {
  database = await createTestDatabase('loyalty');
  db = createLoyaltyDb(database.url);
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('rules', () => {
  it('puts tiers at the documented lifetime thresholds', () => {
    expect(TIER_THRESHOLDS).toEqual({ BRONZE: 0, SILVER: 1_000, GOLD: 5_000, PLATINUM: 20_000 });
    expect([0, 999, 1_000, 4_999, 5_000, 19_999, 20_000, 1e6].map(tierFor)).toEqual(['BRONZE', 'BRONZE', 'SILVER', 'SILVER', 'GOLD', 'GOLD', 'PLATINUM', 'PLATINUM']);
    expect(nextTier(0)).toEqual({ tier: 'SILVER', pointsNeeded: 1_000 });
    expect(nextTier(4_000)).toEqual({ tier: 'GOLD', pointsNeeded: 1_000 });
    expect(nextTier(20_000)).toBeNull();
  });

  it('earns one point per whole currency unit', () => {
    expect(pointsForAmount(4_599, 'USD')).toBe(45);
    expect(pointsForAmount(99, 'EUR')).toBe(0);
    expect(pointsForAmount(1_500, 'JPY')).toBe(1_500);
    expect(pointsForAmount(-100, 'USD')).toBe(0);
  });
});

describe('the ledger', () => {
  it('earns pending points, releases them on delivery, once', async () => {
    const userId = newId();
    const orderId = newId();
    const placed = await earn(userId, 12_345, true, orderId);
    expect(placed.account).toMatchObject({ points: 0, pendingPoints: 123, lifetimePoints: 0, tier: 'BRONZE' });
    expect((await earn(userId, 12_345, true, orderId)).replayed).toBe(true);
    const released = await releaseOrderPoints(service(), { userId, orderId });
    expect(released.account).toMatchObject({ points: 123, pendingPoints: 0, lifetimePoints: 123 });
    expect(released.appended.map((e) => [e.kind, e.points, e.pending])).toEqual([['EARN', -123, true], ['EARN', 123, false]]);
    const again = await releaseOrderPoints(service(), { userId, orderId });
    expect(again.appended).toEqual([]);
    expect(await account(userId)).toMatchObject({ points: 123, pendingPoints: 0 });
    expect(await db.loyaltyLedgerEntry.count({ where: { userId } })).toBe(3);
  });

  it('reverses what an order earned, pending or available, even into a negative balance', async () => {
    const userId = newId();
    const pendingOrder = newId();
    const deliveredOrder = newId();
    await earn(userId, 50_000, true, pendingOrder);
    await earn(userId, 30_000, false, deliveredOrder);
    expect(await account(userId)).toMatchObject({ points: 300, pendingPoints: 500, lifetimePoints: 300 });

    const cancelled = await reverseOrderPoints(service(), { userId, orderId: pendingOrder, reason: 'cancelled' });
    expect(cancelled.account).toMatchObject({ points: 300, pendingPoints: 0, lifetimePoints: 300 });
    await redeemPoints(service(), { userId, points: 250, idempotencyKey: newId() });
    const refunded = await reverseOrderPoints(service(), { userId, orderId: deliveredOrder, reason: 'refunded' });
    expect(refunded.account).toMatchObject({ points: -250, pendingPoints: 0, lifetimePoints: 0 });
    expect((await reverseOrderPoints(service(), { userId, orderId: deliveredOrder })).appended).toEqual([]);
    // Points earned after that pay the debt back first.
    expect((await earn(userId, 40_000)).account.points).toBe(150);
  });

  it('redeems only what is available, once per key', async () => {
    const userId = newId();
    await earn(userId, 10_000);
    const short = await redeemPoints(service(), { userId, points: 101, idempotencyKey: newId() });
    expect(short.userErrors).toMatchObject([{ code: 'INSUFFICIENT_POINTS' }]);
    const key = newId();
    expect((await redeemPoints(service(), { userId, points: 60, idempotencyKey: key })).account.points).toBe(40);
    expect((await redeemPoints(service(), { userId, points: 60, idempotencyKey: key })).replayed).toBe(true);
    expect((await redeemPoints(service(), { userId, points: 30, idempotencyKey: key })).userErrors[0].code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await redeemPoints(service(), { userId, points: 0, idempotencyKey: newId() })).userErrors[0].code).toBe('INVALID_POINTS');
    expect(await account(userId)).toMatchObject({ points: 40, lifetimePoints: 100 });
  });

  it('moves tiers with lifetime points and records LoyaltyTierChanged in the outbox', async () => {
    const userId = newId();
    await earn(userId, 99_900);
    expect((await account(userId)).tier).toBe('BRONZE');
    const before = await account(userId);
    const silver = await earn(userId, 100);
    expect(silver.account).toMatchObject({ lifetimePoints: 1_000, tier: 'SILVER' });
    expect(silver.account.tierPeriodStart.getTime()).toBeGreaterThan(before.tierPeriodStart.getTime());
    await redeemPoints(service(), { userId, points: 1_000, idempotencyKey: newId() });
    expect((await account(userId)).tier).toBe('SILVER');
    // At SILVER an order earns ×1.25: 3,200 units make 4,000 points, 5,000 lifetime.
    const gold = await earn(userId, 320_000);
    expect(gold.account.tier).toBe('GOLD');
    const events = await db.outboxEvent.findMany({ where: { aggregateId: userId }, orderBy: { occurredAt: 'asc' } });
    expect(events.map((e) => e.payload)).toMatchObject([{ from: 'BRONZE', to: 'SILVER', lifetimePoints: 1_000 }, { from: 'SILVER', to: 'GOLD', lifetimePoints: 5_000 }]);
  });

  it('lets staff adjust, but never below zero lifetime points', async () => {
    const userId = newId();
    const staff = { db, viewer: { userId: newId(), roles: ['ADMIN'], scopes: ['loyalty:write:any'] } as Viewer };
    const given = await adjustPoints(staff, { userId, points: 500, reason: 'goodwill' });
    expect(given.account).toMatchObject({ points: 500, lifetimePoints: 500 });
    expect(given.appended[0]).toMatchObject({ kind: 'ADJUST', actor: staff.viewer.userId, reason: 'goodwill' });
    expect((await adjustPoints(staff, { userId, points: -501, reason: 'oops' })).userErrors[0].code).toBe('LIFETIME_BELOW_ZERO');
    expect((await adjustPoints(staff, { userId, points: 10, reason: '  ' })).userErrors[0].code).toBe('REASON_REQUIRED');
    await expect(adjustPoints({ db, viewer: { userId, roles: ['CUSTOMER'], scopes: ['loyalty:read'] } }, { userId, points: 1_000_000, reason: 'me' }))
      .rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await expect(earnForOrder({ db, viewer: { userId, roles: ['CUSTOMER'], scopes: [] } }, { userId, orderId: newId(), amount: 100, currencyCode: 'USD', pending: false }))
      .rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });

  it('keeps balances equal to the ledger under concurrent writes', async () => {
    const userId = newId();
    await earn(userId, 100_000);
    const ops = [
      ...Array.from({ length: 12 }, (_, i) => () => earn(userId, 1_000 * (i + 1), i % 2 === 0)),
      ...Array.from({ length: 8 }, () => () => redeemPoints(service(), { userId, points: 150, idempotencyKey: newId() })),
    ];
    const results = await Promise.all(ops.map((op) => op()));
    const redeemed = results.slice(12).filter((r) => r.userErrors.length === 0).length;
    expect(redeemed).toBeGreaterThanOrEqual(6);
    const a = await account(userId);
    // 1,000 lifetime points make the member SILVER: every later order earns ×1.25, rounded down.
    const silver = (i: number) => Math.floor(10 * (i + 1) * 1.25);
    expect(a.pendingPoints).toBe([0, 2, 4, 6, 8, 10].reduce((s, i) => s + silver(i), 0));
    expect(a.points).toBe(1_000 + [1, 3, 5, 7, 9, 11].reduce((s, i) => s + silver(i), 0) - 150 * redeemed);
    await expectBalancesMatchLedger();
  });

  it('appends nothing when the account update cannot commit', async () => {
    const userId = newId();
    await earn(userId, 90_000);
    await db.$executeRawUnsafe(`CREATE FUNCTION refuse_outbox() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'outbox unavailable'; END $$ LANGUAGE plpgsql`);
    await db.$executeRawUnsafe(`CREATE TRIGGER refuse_outbox BEFORE INSERT ON "OutboxEvent" FOR EACH ROW EXECUTE FUNCTION refuse_outbox()`);
    try {
      // Crossing into SILVER writes a LoyaltyTierChanged event, which now fails.
      await expect(earn(userId, 20_000)).rejects.toThrow();
    } finally {
      await db.$executeRawUnsafe('DROP TRIGGER refuse_outbox ON "OutboxEvent"');
      await db.$executeRawUnsafe('DROP FUNCTION refuse_outbox()');
    }
    expect(await account(userId)).toMatchObject({ points: 900, lifetimePoints: 900, tier: 'BRONZE' });
    expect(await db.loyaltyLedgerEntry.count({ where: { userId } })).toBe(1);
  });

  it('has every balance equal to the sum of its ledger entries', async () => {
    await expectBalancesMatchLedger();
    await expect(db.loyaltyAccount.update({ where: { userId: (await db.loyaltyAccount.findFirstOrThrow()).userId }, data: { lifetimePoints: -1 } }))
      .rejects.toThrow(/LoyaltyAccount_balances_check|check constraint/i);
  });
});
