import type { MutationResolvers } from '../generated/graphql.ts';
import { adjustPoints } from '../services/points.ts';
import { commitPointsHold, holdPoints, releasePointsHold, type HoldOutcome } from '../services/holds.ts';

const holdPayload = (r: HoldOutcome) => ({ hold: r.hold, available: r.outcome?.account.points ?? null, userErrors: r.userErrors });

export const Mutation: MutationResolvers = {
  adjustLoyaltyPoints: async (_, { input }, ctx) => {
    const outcome = await adjustPoints(ctx, input);
    return { account: outcome.account, userErrors: outcome.userErrors };
  },
  holdPoints: async (_, { input }, ctx) => holdPayload(await holdPoints(ctx, input)),
  commitPointsHold: async (_, { input }, ctx) => holdPayload(await commitPointsHold(ctx, input)),
  releasePointsHold: async (_, { input }, ctx) => holdPayload(await releasePointsHold(ctx, input)),
};
