import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@storefront/shared';
import { demoFixture } from '@storefront/shared/fixtures';
import { commit, reserve, type InventoryDb } from '../src/index.ts';
import { returnStock } from '../src/services/returns.ts';
import { asAdmin, asService, contextAs, expectLedgerBalances, level, stockEvents, totalsOf, seededInventory, stockedVariant as stockedVariantIn } from './helpers.ts';

const fixture = demoFixture();
const [AMS, NYC] = fixture.warehouses.map((w) => w.id);
let db: InventoryDb;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ db, stop } = await seededInventory());
});

afterAll(async () => {
  await stop?.();
});

const stockedVariant = (ams: number, nyc: number) => stockedVariantIn(db, ams, nyc);

describe('returnStock (order cancellation)', () => {
  it('returns a committed reservation to the locations it came from, once, however often it is called', async () => {
    const variantId = await stockedVariant(3, 5);
    const reference = newId();
    const held = await reserve(asService(db), { reference, lines: [{ variantId, quantity: 6 }] });
    await commit(asService(db), held.reservation!.id);
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 2, reserved: 0, available: 2 });
    const eventsBefore = (await stockEvents(db, variantId)).length;

    const results = await Promise.all([1, 2, 3].map(() => returnStock(asService(db), { references: [reference, newId()], reason: 'customer cancelled' })));
    for (const r of results) {
      expect(r.userErrors).toEqual([]);
      expect(r.reservations.map((x) => x.id)).toEqual([held.reservation!.id]);
    }
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 8, reserved: 0, available: 8 });
    expect(await level(db, variantId, AMS)).toEqual({ onHand: 3, reserved: 0 });
    expect(await level(db, variantId, NYC)).toEqual({ onHand: 5, reserved: 0 });
    const movements = await db.stockMovement.findMany({ where: { reservationId: held.reservation!.id, kind: 'RETURN' } });
    expect(movements.map((m) => m.deltaOnHand).sort()).toEqual([3, 3]);
    expect(movements.every((m) => m.reason === 'customer cancelled' && m.actor === 'service:order')).toBe(true);
    const events = await stockEvents(db, variantId);
    expect(events).toHaveLength(eventsBefore + 1);
    expect(events.at(-1)!.payload).toMatchObject({ variantId, available: 8, onHand: 8, reserved: 0 });
    await expectLedgerBalances(db, [variantId]);
  });

  it('releases a reservation that was never committed, and leaves released ones alone', async () => {
    const variantId = await stockedVariant(4, 0);
    const reference = newId();
    await reserve(asService(db), { reference, lines: [{ variantId, quantity: 4 }] });
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 4, reserved: 4, available: 0 });
    const first = await returnStock(asService(db), { references: [reference] });
    expect(first.reservations[0].status).toBe('RELEASED');
    const second = await returnStock(asService(db), { references: [reference] });
    expect(second.userErrors).toEqual([]);
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 4, reserved: 0, available: 4 });
    expect(await db.stockMovement.count({ where: { reference, kind: 'RETURN' } })).toBe(0);
    await expectLedgerBalances(db, [variantId]);
  });

  it('is for services only and validates its references', async () => {
    await expect(returnStock(contextAs(db, { userId: newId(), roles: ['ADMIN'] }), { references: ['x'] })).rejects.toThrow(/internal services/);
    const empty = await returnStock(asService(db), { references: ['  '] });
    expect(empty.userErrors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'references'] });
    expect((await returnStock(asService(db), { references: [newId()] })).reservations).toEqual([]);
  });
});
