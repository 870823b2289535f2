import type { MutationResolvers } from '../generated/graphql.ts';
import { adjust, restock } from '../services/stock.ts';
import { commit, release, reserve } from '../services/reservations.ts';
import { returnStock } from '../services/returns.ts';

export const Mutation: MutationResolvers = {
  restockVariant: (_, { input }, ctx) => restock(ctx, input),
  adjustStock: (_, { input }, ctx) => adjust(ctx, input),
  reserveStock: (_, { input }, ctx) => reserve(ctx, input),
  commitReservation: (_, { input }, ctx) => commit(ctx, input.reservationId),
  releaseReservation: (_, { input }, ctx) => release(ctx, input.reservationId),
  returnStock: (_, { input }, ctx) => returnStock(ctx, input),
};
