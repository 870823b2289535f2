import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, type Viewer } from '@storefront/shared';
import { createTestDatabase, type TestDatabase } from '@storefront/shared/testing';
import { createLoyaltyDb, type LoyaltyDb } from '../src/index.ts';
import { adjustPoints } from '../src/services/points.ts';
import { commitPointsHold, holdPoints, releasePointsHold } from '../src/services/holds.ts';

let database: TestDatabase;
let db: LoyaltyDb;
const cart = () => ({ db, viewer: { roles: [], scopes: [], service: 'cart' } as Viewer });
const staff = { get db() { return db; }, viewer: { userId: newId(), roles: ['ADMIN'], scopes: ['loyalty:write:any'] } as Viewer };
const account = (userId: string) => db.loyaltyAccount.findUniqueOrThrow({ where: { userId } });

beforeAll(async () => {
  database = await createTestDatabase('loyalty');
  db = createLoyaltyDb(database.url);
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

async function member(points: number) {
  const userId = newId();
  await adjustPoints(staff, { userId, points, reason: 'test balance' });
  return userId;
}

describe('points holds for checkout', () => {
  it('holds once per checkout, commits once, and a committed hold is never released', async () => {
    const userId = await member(1_000);
    const checkoutId = newId();
    const held = await Promise.all(Array.from({ length: 5 }, () => holdPoints(cart(), { checkoutId, userId, points: 400 })));
    expect(held.every((h) => h.userErrors.length === 0 && h.hold?.status === 'HELD')).toBe(true);
    expect((await account(userId)).points).toBe(600);
    const orderId = newId();
    expect((await commitPointsHold(cart(), { checkoutId, orderId })).hold).toMatchObject({ status: 'COMMITTED', orderId });
    expect((await commitPointsHold(cart(), { checkoutId, orderId })).userErrors).toEqual([]);
    await releasePointsHold(cart(), { checkoutId, userId });
    expect((await account(userId)).points).toBe(600);
    expect((await holdPoints(cart(), { checkoutId, userId, points: 999 })).userErrors[0]?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('lets exactly one of many concurrent checkouts hold the same points', async () => {
    const userId = await member(1_000);
    const results = await Promise.all(Array.from({ length: 6 }, () => holdPoints(cart(), { checkoutId: newId(), userId, points: 1_000 })));
    expect(results.filter((r) => r.userErrors.length === 0)).toHaveLength(1);
    expect(results.filter((r) => r.userErrors[0]?.code === 'INSUFFICIENT_POINTS')).toHaveLength(5);
    expect(await account(userId)).toMatchObject({ points: 0, lifetimePoints: 1_000 });
  });

  it('gives the points back once on release, and a release before the hold blocks a late hold', async () => {
    const userId = await member(300);
    const checkoutId = newId();
    await holdPoints(cart(), { checkoutId, userId, points: 300 });
    await Promise.all([releasePointsHold(cart(), { checkoutId, userId }), releasePointsHold(cart(), { checkoutId, userId })]);
    expect(await account(userId)).toMatchObject({ points: 300 });
    expect((await commitPointsHold(cart(), { checkoutId, orderId: newId() })).userErrors[0]?.code).toBe('HOLD_RELEASED');

    const early = newId();
    expect((await releasePointsHold(cart(), { checkoutId: early, userId })).hold).toMatchObject({ status: 'RELEASED', points: 0 });
    expect((await holdPoints(cart(), { checkoutId: early, userId, points: 100 })).userErrors[0]?.code).toBe('HOLD_RELEASED');
    expect(await account(userId)).toMatchObject({ points: 300 });
    const kinds = await db.loyaltyLedgerEntry.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });
    expect(kinds.map((e) => [e.kind, e.points])).toEqual([['ADJUST', 300], ['REDEEM', -300], ['REDEEM', 300]]);
  });

  it('is for services only', async () => {
    const userId = await member(100);
    await expect(holdPoints({ db, viewer: { userId, roles: ['CUSTOMER'], scopes: [] } as Viewer }, { checkoutId: newId(), userId, points: 1 }))
      .rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });
});
