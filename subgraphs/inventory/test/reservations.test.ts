import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@storefront/shared';
import { demoFixture } from '@storefront/shared/fixtures';
import { commit, release, reserve, sweepExpired, type InventoryDb } from '../src/index.ts';
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

const hold = (variantId: string, quantity: number, extra: { reference?: string; ttlSeconds?: number } = {}) =>
  reserve(asService(db), { reference: extra.reference ?? newId(), lines: [{ variantId, quantity }], ttlSeconds: extra.ttlSeconds });

describe('reserve under concurrency', () => {
  it('gives exactly 10 of 100 concurrent single-unit reservations for 10 units, never overselling', async () => {
    const variantId = await stockedVariant(6, 4);
    const eventsBefore = (await stockEvents(db, variantId)).length;

    const results = await Promise.all(Array.from({ length: 100 }, () => hold(variantId, 1)));

    const won = results.filter((r) => r.reservation);
    const lost = results.filter((r) => !r.reservation);
    expect(won).toHaveLength(10);
    expect(lost).toHaveLength(90);
    for (const r of lost) {
      expect(r.userErrors.map((e) => e.code)).toEqual(['OUT_OF_STOCK']);
      expect(r.shortages).toEqual([{ variantId, requested: 1, available: 0 }]);
    }
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 10, reserved: 10, available: 0 });
    expect(await level(db, variantId, AMS)).toEqual({ onHand: 6, reserved: 6 });
    expect(await level(db, variantId, NYC)).toEqual({ onHand: 4, reserved: 4 });
    expect(await db.stockLevel.count({ where: { OR: [{ reserved: { lt: 0 } }, { onHand: { lt: 0 } }] } })).toBe(0);
    await expectLedgerBalances(db, [variantId]);

    // One StockChanged per successful reservation, each a snapshot taken under the lock: 9, 8, ..., 0.
    const events = (await stockEvents(db, variantId)).slice(eventsBefore);
    expect(events).toHaveLength(10);
    expect(events.map((e) => (e.payload as any).available)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(events.at(-1)!.payload).toEqual({ variantId, available: 0, onHand: 10, reserved: 10 });
  });

  it('has a CHECK constraint that refuses rows with reserved > onHand or negative quantities', async () => {
    const variantId = await stockedVariant(3, 0);
    await expect(db.$executeRaw`UPDATE "StockLevel" SET "reserved" = "onHand" + 1 WHERE "variantId" = ${variantId}`).rejects.toThrow(/StockLevel_quantities_check/);
    await expect(db.$executeRaw`UPDATE "StockLevel" SET "onHand" = -1, "reserved" = -1 WHERE "variantId" = ${variantId}`).rejects.toThrow(/StockLevel_quantities_check/);
    expect(await level(db, variantId, AMS)).toEqual({ onHand: 3, reserved: 0 });
  });
});

describe('reserve', () => {
  it('allocates from locations in priority order, splitting a line when needed', async () => {
    const variantId = await stockedVariant(2, 5);
    const { reservation } = await hold(variantId, 4);
    expect(Object.fromEntries(reservation!.lines.map((l) => [l.locationId, l.quantity]))).toEqual({ [AMS]: 2, [NYC]: 2 });
    const again = await hold(variantId, 3);
    expect(Object.fromEntries(again.reservation!.lines.map((l) => [l.locationId, l.quantity]))).toEqual({ [NYC]: 3 });
    expect(await level(db, variantId, AMS)).toEqual({ onHand: 2, reserved: 2 });
    expect(await level(db, variantId, NYC)).toEqual({ onHand: 5, reserved: 5 });
  });

  it('is all-or-nothing across lines and writes nothing when a line is short', async () => {
    const plenty = await stockedVariant(10, 0);
    const scarce = await stockedVariant(1, 1);
    const movementsBefore = await db.stockMovement.count({ where: { variantId: { in: [plenty, scarce] } } });
    const eventsBefore = await db.outboxEvent.count({ where: { aggregateId: { in: [plenty, scarce] } } });

    const result = await reserve(asService(db), {
      reference: newId(),
      lines: [{ variantId: plenty, quantity: 3 }, { variantId: scarce, quantity: 2 }, { variantId: scarce, quantity: 1 }],
    });

    expect(result.reservation).toBeNull();
    expect(result.shortages).toEqual([{ variantId: scarce, requested: 3, available: 2 }]);
    expect(result.userErrors).toMatchObject([{ code: 'OUT_OF_STOCK', field: ['input', 'lines', '1', 'quantity'] }]);
    expect(await totalsOf(db, plenty)).toEqual({ onHand: 10, reserved: 0, available: 10 });
    expect(await totalsOf(db, scarce)).toEqual({ onHand: 2, reserved: 0, available: 2 });
    expect(await db.stockMovement.count({ where: { variantId: { in: [plenty, scarce] } } })).toBe(movementsBefore);
    expect(await db.outboxEvent.count({ where: { aggregateId: { in: [plenty, scarce] } } })).toBe(eventsBefore);
  });

  it('treats a variant with no stock rows as out of stock, not as an error', async () => {
    const unknown = newId();
    const result = await hold(unknown, 1);
    expect(result.shortages).toEqual([{ variantId: unknown, requested: 1, available: 0 }]);
  });

  it('validates input', async () => {
    const variantId = await stockedVariant(5, 0);
    const zero = await reserve(asService(db), { reference: newId(), lines: [{ variantId, quantity: 0 }] });
    expect(zero.userErrors).toMatchObject([{ code: 'INVALID_QUANTITY', field: ['input', 'lines', '0', 'quantity'] }]);
    const empty = await reserve(asService(db), { reference: ' ', lines: [] });
    expect(empty.userErrors.map((e) => e.field)).toEqual([['input', 'reference'], ['input', 'lines']]);
    const ttl = await reserve(asService(db), { reference: newId(), lines: [{ variantId, quantity: 1 }], ttlSeconds: 0 });
    expect(ttl.userErrors).toMatchObject([{ code: 'INVALID_INPUT', field: ['input', 'ttlSeconds'] }]);
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 5, reserved: 0, available: 5 });
  });

  it('is idempotent per reference, also when the same reference arrives concurrently', async () => {
    const variantId = await stockedVariant(5, 0);
    const reference = newId();
    const first = await hold(variantId, 2, { reference });
    const again = await hold(variantId, 2, { reference });
    expect(again.reservation!.id).toBe(first.reservation!.id);
    expect(await totalsOf(db, variantId)).toMatchObject({ reserved: 2 });

    const racing = newId();
    const results = await Promise.all(Array.from({ length: 10 }, () => hold(variantId, 1, { reference: racing })));
    expect(new Set(results.map((r) => r.reservation?.id)).size).toBe(1);
    expect(results.every((r) => r.userErrors.length === 0)).toBe(true);
    expect(await db.reservation.count({ where: { reference: racing } })).toBe(1);
    expect(await totalsOf(db, variantId)).toMatchObject({ reserved: 3 });

    const conflict = await hold(variantId, 1, { reference });
    expect(conflict.reservation).toBeNull();
    expect(conflict.userErrors.map((e) => e.code)).toEqual(['REFERENCE_CONFLICT']);
    await expectLedgerBalances(db, [variantId]);
  });

  it('is refused to anyone but a service identity', async () => {
    const variantId = await stockedVariant(5, 0);
    const input = { reference: newId(), lines: [{ variantId, quantity: 1 }] };
    await expect(reserve(contextAs(db, { userId: fixture.customer.id, roles: ['CUSTOMER'] }), input)).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await expect(reserve(asAdmin(db), input)).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await expect(reserve(contextAs(db), input)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await expect(commit(asAdmin(db), newId())).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await expect(release(asAdmin(db), newId())).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(await totalsOf(db, variantId)).toMatchObject({ reserved: 0 });
  });
});

describe('commit and release', () => {
  it('commit takes reserved units out of on-hand, once', async () => {
    const variantId = await stockedVariant(4, 3);
    const { reservation } = await hold(variantId, 5);
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 7, reserved: 5, available: 2 });

    const committed = await commit(asService(db), reservation!.id);
    expect(committed.userErrors).toEqual([]);
    expect(committed.reservation!.status).toBe('COMMITTED');
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 2, reserved: 0, available: 2 });
    expect(await level(db, variantId, AMS)).toEqual({ onHand: 0, reserved: 0 });
    expect(await level(db, variantId, NYC)).toEqual({ onHand: 2, reserved: 0 });

    const movements = await db.stockMovement.count({ where: { variantId } });
    const again = await commit(asService(db), reservation!.id);
    expect(again.reservation!.status).toBe('COMMITTED');
    expect(again.userErrors).toEqual([]);
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 2, reserved: 0, available: 2 });
    expect(await db.stockMovement.count({ where: { variantId } })).toBe(movements);

    const commitMoves = await db.stockMovement.findMany({ where: { reservationId: reservation!.id, kind: 'COMMIT' } });
    expect(commitMoves.map((m) => [m.deltaOnHand, m.deltaReserved, m.actor]).sort()).toEqual([[-1, -1, 'service:order'], [-4, -4, 'service:order']]);
    expect((await stockEvents(db, variantId)).at(-1)!.payload).toEqual({ variantId, available: 2, onHand: 2, reserved: 0 });
    await expectLedgerBalances(db, [variantId]);

    const released = await release(asService(db), reservation!.id);
    expect(released.userErrors.map((e) => e.code)).toEqual(['RESERVATION_NOT_ACTIVE']);
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 2, reserved: 0, available: 2 });
  });

  it('release gives the reserved units back, once', async () => {
    const variantId = await stockedVariant(6, 0);
    const { reservation } = await hold(variantId, 4);
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 6, reserved: 4, available: 2 });

    const released = await release(asService(db), reservation!.id);
    expect(released.reservation!.status).toBe('RELEASED');
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 6, reserved: 0, available: 6 });
    const movements = await db.stockMovement.count({ where: { variantId } });
    const again = await release(asService(db), reservation!.id);
    expect(again).toMatchObject({ userErrors: [], reservation: { status: 'RELEASED' } });
    expect(await db.stockMovement.count({ where: { variantId } })).toBe(movements);
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 6, reserved: 0, available: 6 });

    const committed = await commit(asService(db), reservation!.id);
    expect(committed.userErrors.map((e) => e.code)).toEqual(['RESERVATION_NOT_ACTIVE']);
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 6, reserved: 0, available: 6 });
    expect((await stockEvents(db, variantId)).at(-1)!.payload).toEqual({ variantId, available: 6, onHand: 6, reserved: 0 });
    await expectLedgerBalances(db, [variantId]);
  });

  it('answers an unknown reservation with NOT_FOUND', async () => {
    expect((await commit(asService(db), newId())).userErrors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    expect((await release(asService(db), 'not-a-uuid')).userErrors.map((e) => e.code)).toEqual(['NOT_FOUND']);
  });

  it('settles concurrent commits and releases of one reservation exactly once', async () => {
    const variantId = await stockedVariant(5, 0);
    const { reservation } = await hold(variantId, 3);
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => commit(asService(db), reservation!.id)),
      ...Array.from({ length: 5 }, () => release(asService(db), reservation!.id)),
    ]);
    const final = await db.reservation.findUniqueOrThrow({ where: { id: reservation!.id } });
    expect(['COMMITTED', 'RELEASED']).toContain(final.status);
    expect(await totalsOf(db, variantId)).toEqual(final.status === 'COMMITTED' ? { onHand: 2, reserved: 0, available: 2 } : { onHand: 5, reserved: 0, available: 5 });
    expect(await db.stockMovement.count({ where: { reservationId: reservation!.id, kind: { in: ['COMMIT', 'RELEASE'] } } })).toBe(1);
    expect(results.filter((r) => r.userErrors.length === 0)).toHaveLength(5);
    await expectLedgerBalances(db, [variantId]);
  });
});

describe('sweepExpired', () => {
  const later = () => new Date(Date.now() + 120_000);
  const sweeper = () => contextAs(db, { service: 'inventory-sweeper' });

  it('releases expired ACTIVE reservations exactly once, with several sweepers at the same time', async () => {
    // Clear whatever earlier tests left due, so the counts below are this test's own.
    await sweepExpired(sweeper(), new Date(Date.now() + 30 * 86_400_000));
    const variantId = await stockedVariant(10, 0);
    const short = await Promise.all([1, 2, 3].map(() => hold(variantId, 2, { ttlSeconds: 60 })));
    const long = await hold(variantId, 1, { ttlSeconds: 3600 });
    const committedEarly = await hold(variantId, 1, { ttlSeconds: 60 });
    await commit(asService(db), committedEarly.reservation!.id);
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 9, reserved: 7, available: 2 });

    expect((await sweepExpired(sweeper(), new Date())).expired).toEqual([]);

    const runs = await Promise.all([1, 2, 3].map(() => sweepExpired(sweeper(), later(), { batchSize: 1 })));
    const expired = runs.flatMap((r) => r.expired);
    expect(expired.sort()).toEqual(short.map((r) => r.reservation!.id).sort());
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 9, reserved: 1, available: 8 });
    const statuses = await db.reservation.findMany({ where: { id: { in: [...expired, long.reservation!.id, committedEarly.reservation!.id] } } });
    expect(statuses.filter((r) => r.status === 'EXPIRED')).toHaveLength(3);
    expect(statuses.find((r) => r.id === long.reservation!.id)!.status).toBe('ACTIVE');
    expect(statuses.find((r) => r.id === committedEarly.reservation!.id)!.status).toBe('COMMITTED');
    const moves = await db.stockMovement.findMany({ where: { reservationId: { in: expired }, kind: 'RELEASE' } });
    expect(moves).toHaveLength(3);
    expect(moves.every((m) => m.reason === 'reservation expired' && m.deltaReserved === -2 && m.actor === 'service:inventory-sweeper')).toBe(true);
    expect((await stockEvents(db, variantId)).at(-1)!.payload).toEqual({ variantId, available: 8, onHand: 9, reserved: 1 });
    await expectLedgerBalances(db, [variantId]);

    expect((await sweepExpired(sweeper(), later())).expired).toEqual([]);
    // An expired hold can be released (idempotently) but no longer committed.
    expect((await release(asService(db), expired[0])).userErrors).toEqual([]);
    expect((await commit(asService(db), expired[1])).userErrors.map((e) => e.code)).toEqual(['RESERVATION_NOT_ACTIVE']);
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 9, reserved: 1, available: 8 });
  });

  it('skips a reservation another transaction holds locked instead of waiting for it', async () => {
    const variantId = await stockedVariant(5, 0);
    const locked = await hold(variantId, 1, { ttlSeconds: 60 });
    const free = await hold(variantId, 1, { ttlSeconds: 60 });

    const during = await db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT "id" FROM "Reservation" WHERE "id" = ${locked.reservation!.id} FOR UPDATE`;
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('sweeper blocked on a locked row')), 5_000));
      return Promise.race([sweepExpired(sweeper(), later()), timeout]);
    }, { timeout: 15_000 });
    expect(during.expired).toContain(free.reservation!.id);
    expect(during.expired).not.toContain(locked.reservation!.id);

    const after = await sweepExpired(sweeper(), later());
    expect(after.expired).toEqual([locked.reservation!.id]);
    expect(await totalsOf(db, variantId)).toEqual({ onHand: 5, reserved: 0, available: 5 });
  });
});
