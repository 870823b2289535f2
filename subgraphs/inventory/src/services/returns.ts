import type { InventoryContext } from '../context.ts';
import type { ReservationWithLines } from '../models.ts';
import { actorOf, requireService } from './access.ts';
import { inventoryError, type InventoryUserError } from './errors.ts';
import { applyChanges, lockVariants, TX_OPTIONS } from './ledger.ts';
import { release } from './reservations.ts';

export interface ReturnStockInput {
  /** The order's reservation references (its checkout id, its order id); unknown ones are skipped. */
  references: readonly string[];
  reason?: string | null;
}

export interface ReturnStockPayload {
  reservations: ReservationWithLines[];
  userErrors: InventoryUserError[];
}

const MAX_REFERENCES = 10;

/**
 * Gives a cancelled order's stock back, whatever point the order reached (service callers only):
 * - an ACTIVE reservation (the order was never committed) is released: reserved -= q;
 * - a COMMITTED one (the units left stock when the order was paid) is returned: onHand += q at the
 *   locations it was taken from, as RETURN movements in the ledger (with StockChanged events);
 * - a RELEASED or EXPIRED one holds nothing and is left alone.
 * Idempotent: a committed reservation is returned once (its RETURN movements are the marker, checked
 * under the reservation's row lock), so retrying a cancellation never adds stock twice.
 */
export async function returnStock(ctx: InventoryContext, input: ReturnStockInput): Promise<ReturnStockPayload> {
  requireService(ctx.viewer);
  const references = [...new Set(input.references.map((r) => r.trim()).filter(Boolean))];
  if (references.length === 0 || references.length > MAX_REFERENCES) {
    return { reservations: [], userErrors: [inventoryError('INVALID_INPUT', `give 1 to ${MAX_REFERENCES} references`, ['input', 'references'])] };
  }
  const reason = input.reason?.trim() || 'order cancelled';
  const actor = actorOf(ctx.viewer);
  const found = await ctx.db.reservation.findMany({ where: { reference: { in: references } }, select: { id: true } });
  const reservations: ReservationWithLines[] = [];
  const userErrors: InventoryUserError[] = [];
  for (const { id } of found) {
    const current = await ctx.db.reservation.findUniqueOrThrow({ where: { id } });
    if (current.status === 'ACTIVE') {
      const released = await release(ctx, id);
      // It may have been committed meanwhile: then return it below.
      if (released.reservation?.status !== 'COMMITTED') {
        userErrors.push(...released.userErrors);
        if (released.reservation) reservations.push(released.reservation);
        continue;
      }
    }
    const outcome = await ctx.db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT "id" FROM "Reservation" WHERE "id" = ${id} FOR UPDATE`;
      const reservation = (await tx.reservation.findUniqueOrThrow({ where: { id }, include: { lines: true } })) as ReservationWithLines;
      if (reservation.status !== 'COMMITTED') return reservation;
      const returned = await tx.stockMovement.count({ where: { reservationId: id, kind: 'RETURN' } });
      if (returned > 0) return reservation;
      await lockVariants(tx, reservation.lines.map((l) => l.variantId));
      await applyChanges(tx, reservation.lines.map((l) => ({
        variantId: l.variantId, locationId: l.locationId, deltaOnHand: l.quantity, deltaReserved: 0,
        kind: 'RETURN' as const, reason, actor, reference: reservation.reference, reservationId: id,
      })));
      return reservation;
    }, TX_OPTIONS);
    reservations.push(outcome);
  }
  return { reservations, userErrors };
}
