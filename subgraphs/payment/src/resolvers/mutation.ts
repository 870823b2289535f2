import type { MutationResolvers } from '../generated/graphql.ts';
import { authorizePayment, capturePayment, refundPayment, voidPayment } from '../services/payments.ts';
import { tokenizeCard } from '../services/tokens.ts';

export const Mutation: MutationResolvers = {
  tokenizeCard: (_, { input }, ctx) => tokenizeCard(ctx, input),
  authorizePayment: (_, { input }, ctx) => authorizePayment(ctx, input),
  capturePayment: (_, { input }, ctx) => capturePayment(ctx, input),
  voidPayment: (_, { input }, ctx) => voidPayment(ctx, input),
  refundPayment: (_, { input }, ctx) => refundPayment(ctx, input),
};
