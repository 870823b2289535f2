import type { MutationResolvers } from '../generated/graphql.ts';
import { adjustPoints } from '../services/points.ts';

export const Mutation: MutationResolvers = {
  adjustLoyaltyPoints: async (_, { input }, ctx) => {
    const outcome = await adjustPoints(ctx, input);
    return { account: outcome.account, userErrors: outcome.userErrors };
  },
};
