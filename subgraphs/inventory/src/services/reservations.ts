import { newId, startPeriodicJob, type Logger, type PeriodicJob } from '@storefront/shared';
import type { InventoryContext } from '../context.ts';
import type { InventoryDb } from '../db.ts';
import { createInventoryContext } from '../context.ts';
import { availableOf, type ReservationWithLines } from '../models.ts';
import { actorOf, requireService } from './access.ts';
import { inventoryError, type InventoryUserError } from './errors.ts';
import { applyChanges, lockVariants, TX_OPTIONS, type LockedLevel, type Tx } from './ledger.ts';

export const DEFAULT_TTL_SECONDS = 15 * 60;
export const MAX_TTL_SECONDS = 24 * 60 * 60;
export const MAX_LINES = 100;
export const MAX_UNITS = 1_000_000;
const MAX_REFERENCE_LENGTH = 200;

export interface ReserveInput {
  /** The caller's idempotency key, normally the order id. */
  reference: string;
  lines: readonly { variantId: string; quantity: number }[];
  ttlSeconds?: number | null;
}

export interface Shortage {
  variantId: string;
  requested: number;
  available: number;
}

export interface ReservePayload {
  reservation: ReservationWithLines | null;
  shortages: Shortage[];
  userErrors: InventoryUserError[];
}

export interface ReservationPayload {
  reservation: ReservationWithLines | null;
  userErrors: InventoryUserError[];
}

interface Allocation {
  variantId: string;
  locationId: string;
  quantity: number;
}

const failed = (userErrors: InventoryUserError[], shortages: Shortage[] = []): ReservePayload => ({ reservation: null, shortages, userErrors });

function validateReserve(input: ReserveInput): InventoryUserError[] {
  const errors: InventoryUserError[] = [];
  const reference = input.reference?.trim() ?? '';
  if (!reference || reference.length > MAX_REFERENCE_LENGTH) {
    errors.push(inventoryError('INVALID_INPUT', `reference must be 1 to ${MAX_REFERENCE_LENGTH} characters`, ['input', 'reference']));
  }
  if (input.lines.length === 0 || input.lines.length > MAX_LINES) {
    errors.push(inventoryError('INVALID_INPUT', `a reservation has 1 to ${MAX_LINES} lines`, ['input', 'lines']));
  }
  input.lines.forEach((line, i) => {
    if (!line.variantId) errors.push(inventoryError('INVALID_INPUT', 'variantId is required', ['input', 'lines', String(i), 'variantId']));
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_UNITS) {
      errors.push(inventoryError('INVALID_QUANTITY', `quantity must be an integer from 1 to ${MAX_UNITS}`, ['input', 'lines', String(i), 'quantity']));
    }
  });
  const ttl = input.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    errors.push(inventoryError('INVALID_INPUT', `ttlSeconds must be from 1 to ${MAX_TTL_SECONDS}`, ['input', 'ttlSeconds']));
  }
  return errors;
}

/** Requested units per variant (a variant named on two lines counts once, summed), ordered by variant id. */
function wantedUnits(lines: ReserveInput['lines']): Map<string, number> {
  const wanted = new Map<string, number>();
  for (const line of [...lines].sort((a, b) => (a.variantId < b.variantId ? -1 : a.variantId > b.variantId ? 1 : 0))) {
    wanted.set(line.variantId, (wanted.get(line.variantId) ?? 0) + line.quantity);
  }
  return wanted;
}

/**
 * Allocation draws from locations in priority order (then code), splitting a line across
 * locations when the first cannot cover it. Deterministic for the same stock.
 */
function allocate(wanted: Map<string, number>, levels: readonly LockedLevel[]): { allocations: Allocation[]; shortages: Shortage[] } {
  const allocations: Allocation[] = [];
  const shortages: Shortage[] = [];
  for (const [variantId, requested] of wanted) {
    const candidates = levels
      .filter((l) => l.variantId === variantId && availableOf(l) > 0)
      .sort((a, b) => a.priority - b.priority || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    const available = candidates.reduce((sum, l) => sum + availableOf(l), 0);
    if (available < requested) {
      shortages.push({ variantId, requested, available });
      continue;
    }
    let remaining = requested;
    for (const level of candidates) {
      if (remaining === 0) break;
      const quantity = Math.min(remaining, availableOf(level));
      allocations.push({ variantId, locationId: level.locationId, quantity });
      remaining -= quantity;
    }
  }
  return { allocations, shortages };
}

function shortagesIn(wanted: Map<string, number>, levels: readonly { variantId: string; onHand: number; reserved: number }[]): Shortage[] {
  const shortages: Shortage[] = [];
  for (const [variantId, requested] of wanted) {
    const available = levels.filter((l) => l.variantId === variantId).reduce((sum, l) => sum + Math.max(0, availableOf(l)), 0);
    if (available < requested) shortages.push({ variantId, requested, available });
  }
  return shortages;
}

function outOfStock(ctx: InventoryContext, input: ReserveInput, shortages: Shortage[]): ReservePayload {
  ctx.log.info({ reference: input.reference, shortages }, 'reservation refused: out of stock');
  const lineIndex = (variantId: string) => String(input.lines.findIndex((l) => l.variantId === variantId));
  return failed(
    shortages.map((s) =>
      inventoryError('OUT_OF_STOCK', `Variant ${s.variantId}: only ${s.available} of ${s.requested} units available`, ['input', 'lines', lineIndex(s.variantId), 'quantity']),
    ),
    shortages,
  );
}

const sameUnits = (reservation: ReservationWithLines, wanted: Map<string, number>): boolean => {
  const held = wantedUnits(reservation.lines);
  return held.size === wanted.size && [...wanted].every(([variantId, quantity]) => held.get(variantId) === quantity);
};

const sortLines = (r: ReservationWithLines): ReservationWithLines => ({
  ...r,
  lines: [...r.lines].sort((a, b) => (a.variantId < b.variantId ? -1 : a.variantId > b.variantId ? 1 : a.locationId < b.locationId ? -1 : 1)),
});

const findByReference = (db: InventoryDb | Tx, reference: string) =>
  db.reservation.findUnique({ where: { reference }, include: { lines: true } }).then((r) => (r ? sortLines(r) : null));

/** A second reserve with a known reference answers with the existing reservation, whatever its status now. */
function replay(existing: ReservationWithLines, wanted: Map<string, number>): ReservePayload {
  if (sameUnits(existing, wanted)) return { reservation: existing, shortages: [], userErrors: [] };
  return failed([inventoryError('REFERENCE_CONFLICT', 'This reference already holds a reservation for different lines', ['input', 'reference'])]);
}

/**
 * Holds stock for every line or for none. Rows are locked in (variantId, locationId) order, so
 * concurrent reservations queue instead of deadlocking or overselling.
 */
export async function reserve(ctx: InventoryContext, input: ReserveInput): Promise<ReservePayload> {
  requireService(ctx.viewer);
  const errors = validateReserve(input);
  if (errors.length) return failed(errors);
  const reference = input.reference.trim();
  const wanted = wantedUnits(input.lines);

  const [existing, visible] = await Promise.all([
    findByReference(ctx.db, reference),
    ctx.db.stockLevel.findMany({ where: { variantId: { in: [...wanted.keys()] } }, select: { variantId: true, onHand: true, reserved: true } }),
  ]);
  if (existing) return replay(existing, wanted);
  // Unlocked pre-check on committed stock: a sold-out variant (the flash-sale stampede) is refused
  // without queueing for its lock. Only the locked check below can grant units.
  const visiblyShort = shortagesIn(wanted, visible);
  if (visiblyShort.length) return outOfStock(ctx, input, visiblyShort);

  const actor = actorOf(ctx.viewer);
  const expiresAt = new Date(Date.now() + (input.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000);
  const outcome = await ctx.db.$transaction(async (tx) => {
    const levels = await lockVariants(tx, [...wanted.keys()]);
    const { allocations, shortages } = allocate(wanted, levels);
    if (shortages.length) return { kind: 'short' as const, shortages };
    const id = newId();
    // A concurrent reserve with the same reference that got here first wins; this one then writes nothing.
    const [reservation] = await tx.reservation.createManyAndReturn({ data: [{ id, reference, expiresAt }], skipDuplicates: true });
    if (!reservation) return { kind: 'raced' as const };
    const lines = await tx.reservationLine.createManyAndReturn({ data: allocations.map((a) => ({ reservationId: id, ...a })) });
    await applyChanges(tx, allocations.map((a) => ({
      variantId: a.variantId, locationId: a.locationId, deltaOnHand: 0, deltaReserved: a.quantity,
      kind: 'RESERVE' as const, reason: 'checkout hold', actor, reference, reservationId: id,
    })));
    return { kind: 'reserved' as const, reservation: sortLines({ ...reservation, lines }) };
  }, TX_OPTIONS);

  if (outcome.kind === 'short') return outOfStock(ctx, input, outcome.shortages);
  if (outcome.kind === 'raced') return replay((await findByReference(ctx.db, reference))!, wanted);
  return { reservation: outcome.reservation, shortages: [], userErrors: [] };
}

type Settlement = 'COMMITTED' | 'RELEASED';

/** Moves an ACTIVE reservation to COMMITTED or RELEASED exactly once; a repeat answers with the current state. */
async function settle(ctx: InventoryContext, reservationId: string, target: Settlement): Promise<ReservationPayload> {
  requireService(ctx.viewer);
  const actor = actorOf(ctx.viewer);
  return ctx.db.$transaction(async (tx): Promise<ReservationPayload> => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "Reservation" WHERE "id" = ${reservationId} FOR UPDATE`;
    if (locked.length === 0) return { reservation: null, userErrors: [inventoryError('NOT_FOUND', 'Reservation not found', ['input', 'reservationId'])] };
    const reservation = sortLines((await tx.reservation.findUnique({ where: { id: reservationId }, include: { lines: true } }))!);
    // Already where the caller wants it (a release also accepts an expired hold): idempotent success.
    if (reservation.status === target || (target === 'RELEASED' && reservation.status === 'EXPIRED')) return { reservation, userErrors: [] };
    if (reservation.status !== 'ACTIVE') {
      return {
        reservation,
        userErrors: [inventoryError('RESERVATION_NOT_ACTIVE', `Reservation is ${reservation.status}; it can no longer be ${target.toLowerCase()}`, ['input', 'reservationId'])],
      };
    }
    // An ACTIVE hold past its expiry that the sweeper has not reached still holds its units, so
    // committing it is safe: a payment that took longer than the TTL does not lose the sale.
    await lockVariants(tx, reservation.lines.map((l) => l.variantId));
    await applyChanges(tx, reservation.lines.map((l) => ({
      variantId: l.variantId, locationId: l.locationId,
      deltaOnHand: target === 'COMMITTED' ? -l.quantity : 0, deltaReserved: -l.quantity,
      kind: target === 'COMMITTED' ? ('COMMIT' as const) : ('RELEASE' as const),
      reason: target === 'COMMITTED' ? 'order committed' : 'reservation released', actor, reference: reservation.reference, reservationId,
    })));
    const updated = await tx.reservation.update({ where: { id: reservationId }, data: { status: target } });
    return { reservation: { ...updated, lines: reservation.lines }, userErrors: [] };
  }, TX_OPTIONS);
}

/** The reserved units leave the warehouse: onHand -= q and reserved -= q on every line. */
export const commit = (ctx: InventoryContext, reservationId: string) => settle(ctx, reservationId, 'COMMITTED');

/** The reserved units become sellable again: reserved -= q on every line. */
export const release = (ctx: InventoryContext, reservationId: string) => settle(ctx, reservationId, 'RELEASED');

export interface SweepResult {
  expired: string[];
}

/**
 * Releases ACTIVE reservations whose expiry is at or before `now`, in batches. `FOR UPDATE SKIP
 * LOCKED` lets several sweepers (one per replica) run at once: each takes reservations the others
 * are not holding, and a reservation being committed or released right now is left alone.
 */
export async function sweepExpired(ctx: InventoryContext, now: Date = new Date(), options: { batchSize?: number } = {}): Promise<SweepResult> {
  const batchSize = options.batchSize ?? 100;
  const actor = actorOf(ctx.viewer);
  const expired: string[] = [];
  for (;;) {
    const batch = await ctx.db.$transaction(async (tx) => {
      const due = await tx.$queryRaw<{ id: string }[]>`
        SELECT "id" FROM "Reservation"
        WHERE "status" = 'ACTIVE' AND "expiresAt" <= (${now.toISOString()}::timestamptz AT TIME ZONE 'UTC')
        ORDER BY "expiresAt", "id"
        LIMIT ${batchSize}
        FOR UPDATE SKIP LOCKED`;
      if (due.length === 0) return [];
      const ids = due.map((r) => r.id);
      const reservations = await tx.reservation.findMany({ where: { id: { in: ids } }, include: { lines: true } });
      const lines = reservations.flatMap((r) => r.lines.map((l) => ({ ...l, reference: r.reference })));
      await lockVariants(tx, lines.map((l) => l.variantId));
      await applyChanges(tx, lines.map((l) => ({
        variantId: l.variantId, locationId: l.locationId, deltaOnHand: 0, deltaReserved: -l.quantity,
        kind: 'RELEASE' as const, reason: 'reservation expired', actor, reference: l.reference, reservationId: l.reservationId,
      })));
      await tx.reservation.updateMany({ where: { id: { in: ids } }, data: { status: 'EXPIRED' } });
      return ids;
    }, TX_OPTIONS);
    expired.push(...batch);
    if (batch.length < batchSize) break;
  }
  if (expired.length) ctx.log.info({ count: expired.length }, 'expired reservations released');
  return { expired };
}

/** Runs sweepExpired every `intervalMs` until stopped. */
export function startReservationSweeper(db: InventoryDb, log: Logger, intervalMs = 30_000): PeriodicJob {
  const context = createInventoryContext(db);
  const sweep = () => sweepExpired(context({ requestId: `sweeper-${newId()}`, viewer: { roles: [], scopes: [], service: 'inventory-sweeper' }, log }));
  return startPeriodicJob('reservation sweep', intervalMs, sweep, log);
}
