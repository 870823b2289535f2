import { createHash } from 'node:crypto';
import { newId } from '@storefront/shared';
import type { MovementKind, Prisma } from '../generated/prisma/client.ts';
import type { StockLevelModel } from '../generated/prisma/models.ts';
import { writeStockChanged } from '../events.ts';

/**
 * The one place stock quantities change. Every writer follows the same protocol inside one
 * READ COMMITTED transaction:
 *   1. lockVariants: a transaction-scoped advisory lock per variant (taken in one fixed global
 *      order, so two writers can never deadlock), then `SELECT ... FOR UPDATE` of the variant's
 *      rows ordered by (variantId, locationId). The advisory lock also covers rows that do not
 *      exist yet, so creating a location's first row cannot race, and each StockChanged event
 *      carries a total no concurrent writer can have made stale.
 *   2. applyChanges: one conditional UPDATE (it refuses any row that would break
 *      0 <= reserved <= onHand; the CHECK constraint is the last line of defence), the ledger
 *      movements and the StockChanged outbox events, all in the same transaction.
 */
export type Tx = Prisma.TransactionClient;

// A burst on one hot variant queues on its lock while holding pool connections; later callers wait
// for a connection (maxWait) rather than fail. Each queued transaction is short, so the wait is bounded.
export const TX_OPTIONS = { isolationLevel: 'ReadCommitted', maxWait: 30_000, timeout: 30_000 } as const;

export interface LockedLevel {
  variantId: string;
  locationId: string;
  sku: string | null;
  onHand: number;
  reserved: number;
  priority: number;
  code: string;
}

const lockKey = (variantId: string): bigint => createHash('sha256').update(`inventory:variant:${variantId}`).digest().readBigInt64BE(0);

/** Locks the given variants for the rest of the transaction and returns their stock rows. */
export async function lockVariants(tx: Tx, variantIds: readonly string[]): Promise<LockedLevel[]> {
  const ids = [...new Set(variantIds)].sort();
  if (ids.length === 0) return [];
  const keys = [...new Set(ids.map(lockKey))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
  // unnest yields the keys in array order, so the locks are taken in that (sorted) order.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(k) FROM unnest(${keys}::bigint[]) AS t(k)`;
  return tx.$queryRaw<LockedLevel[]>`
    SELECT s."variantId", s."locationId", s."sku", s."onHand", s."reserved", l."priority", l."code"
    FROM "StockLevel" s JOIN "Location" l ON l."id" = s."locationId"
    WHERE s."variantId" = ANY(${ids}::text[])
    ORDER BY s."variantId", s."locationId"
    FOR UPDATE OF s`;
}

export interface Change {
  variantId: string;
  locationId: string;
  deltaOnHand: number;
  deltaReserved: number;
  kind: MovementKind;
  reason: string;
  actor: string;
  reference?: string | null;
  reservationId?: string | null;
}

export class StockInvariantError extends Error {}

/**
 * Applies changes to rows the caller has locked with lockVariants: updates the rows, appends one
 * ledger movement per change and one StockChanged event per variant. Returns the updated rows.
 */
export async function applyChanges(tx: Tx, changes: readonly Change[]): Promise<StockLevelModel[]> {
  if (changes.length === 0) return [];
  // Several changes may hit one row (the sweeper releasing many reservations): sum them first,
  // an UPDATE ... FROM applies only one joined row per target row.
  const byRow = new Map<string, { v: string; l: string; dh: number; dr: number }>();
  for (const c of changes) {
    const key = `${c.variantId}\u0000${c.locationId}`;
    const row = byRow.get(key) ?? byRow.set(key, { v: c.variantId, l: c.locationId, dh: 0, dr: 0 }).get(key)!;
    row.dh += c.deltaOnHand;
    row.dr += c.deltaReserved;
  }
  const rows = [...byRow.values()];
  const updated = await tx.$queryRaw<StockLevelModel[]>`
    UPDATE "StockLevel" s
    SET "onHand" = s."onHand" + d.dh, "reserved" = s."reserved" + d.dr, "updatedAt" = (now() AT TIME ZONE 'UTC')
    FROM unnest(${rows.map((r) => r.v)}::text[], ${rows.map((r) => r.l)}::text[], ${rows.map((r) => r.dh)}::int[], ${rows.map((r) => r.dr)}::int[]) AS d(v, l, dh, dr)
    WHERE s."variantId" = d.v AND s."locationId" = d.l
      AND s."onHand" + d.dh >= 0 AND s."reserved" + d.dr >= 0 AND s."reserved" + d.dr <= s."onHand" + d.dh
    RETURNING s.*`;
  if (updated.length !== rows.length) {
    // Only reachable if a caller computed changes without holding the locks; throwing rolls everything back.
    throw new StockInvariantError(`stock change refused for ${rows.length - updated.length} row(s): missing row or quantities out of range`);
  }
  await tx.stockMovement.createMany({
    data: changes.map((c) => ({
      id: newId(), variantId: c.variantId, locationId: c.locationId, deltaOnHand: c.deltaOnHand, deltaReserved: c.deltaReserved,
      kind: c.kind, reason: c.reason, actor: c.actor, reference: c.reference ?? null, reservationId: c.reservationId ?? null,
    })),
  });
  await emitStockChanged(tx, changes.map((c) => c.variantId));
  return updated;
}

/** Writes a StockChanged event with the current totals of each variant (zero when it has no rows). */
export async function emitStockChanged(tx: Tx, variantIds: readonly string[]): Promise<void> {
  const ids = [...new Set(variantIds)].sort();
  if (ids.length === 0) return;
  // occurredAt is read from the database clock here, under the variant locks, so a variant's events
  // are ordered as their changes were (now() would be the transaction's start, before the lock wait).
  const totals = await tx.$queryRaw<{ variantId: string; onHand: number; reserved: number; at: Date }[]>`
    SELECT t.v AS "variantId", COALESCE(SUM(s."onHand"), 0)::int AS "onHand", COALESCE(SUM(s."reserved"), 0)::int AS "reserved",
           (clock_timestamp() AT TIME ZONE 'UTC')::timestamp(3) AS "at"
    FROM unnest(${ids}::text[]) AS t(v) LEFT JOIN "StockLevel" s ON s."variantId" = t.v
    GROUP BY t.v ORDER BY t.v`;
  await writeStockChanged(
    tx,
    totals.map((t) => ({ variantId: t.variantId, available: t.onHand - t.reserved, onHand: t.onHand, reserved: t.reserved })),
    totals[0].at,
  );
}
