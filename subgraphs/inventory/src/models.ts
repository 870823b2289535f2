import type { ReservationLineModel, ReservationModel, StockLevelModel } from './generated/prisma/models.ts';

/** What inventory knows of a catalog variant: only its id. Stock is looked up by it. */
export interface VariantRef {
  id: string;
}

/** Parent of the `Stock` type: a variant's stock rows, one per location (possibly none). */
export interface StockParent {
  variantId: string;
  levels: StockLevelModel[];
}

export type ReservationWithLines = ReservationModel & { lines: ReservationLineModel[] };

export const availableOf = (level: { onHand: number; reserved: number }) => level.onHand - level.reserved;

export function stockTotals(levels: readonly { onHand: number; reserved: number }[]) {
  let onHand = 0;
  let reserved = 0;
  for (const l of levels) {
    onHand += l.onHand;
    reserved += l.reserved;
  }
  return { onHand, reserved, available: onHand - reserved };
}
