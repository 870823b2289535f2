import type { QueryResolvers } from '../generated/graphql.ts';
import { getPayment } from '../services/payments.ts';

export const Query: QueryResolvers = {
  payment: (_, { id }, ctx) => getPayment(ctx, id),
};
