import type { QueryResolvers } from '../generated/graphql.ts';
import { listLocations } from '../services/stock.ts';

export const Query: QueryResolvers = {
  locations: (_, __, ctx) => listLocations(ctx),
};
