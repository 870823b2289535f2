import type { QueryResolvers } from '../generated/graphql.ts';
import { getOrder } from '../services/orders.ts';

export const Query: QueryResolvers = {
  order: (_, { id }, ctx) => getOrder(ctx, id),
};
