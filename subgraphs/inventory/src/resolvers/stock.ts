import type { LocationStockResolvers, ReservationLineResolvers, ReservationResolvers, StockResolvers, VariantResolvers } from '../generated/graphql.ts';
import { availableOf, stockTotals } from '../models.ts';
import { levelsInLocationOrder, variantStock } from '../services/stock.ts';

// Inventory cannot tell whether catalog knows a variant id; one it never stocked simply has none.
export const Variant: VariantResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  stock: (v, _, ctx) => variantStock(ctx, v.id),
};

export const Stock: StockResolvers = {
  available: (s) => stockTotals(s.levels).available,
  onHand: (s) => stockTotals(s.levels).onHand,
  reserved: (s) => stockTotals(s.levels).reserved,
  inStock: (s) => stockTotals(s.levels).available > 0,
  locations: (s, _, ctx) => levelsInLocationOrder(ctx, s.levels),
};

export const LocationStock: LocationStockResolvers = {
  location: async (l, _, ctx) => (await ctx.loaders.location.load(l.locationId))!,
  available: (l) => availableOf(l),
};

export const Reservation: ReservationResolvers = {
  expiresAt: (r) => r.expiresAt.toISOString(),
  createdAt: (r) => r.createdAt.toISOString(),
};

export const ReservationLine: ReservationLineResolvers = {
  location: async (l, _, ctx) => (await ctx.loaders.location.load(l.locationId))!,
};
