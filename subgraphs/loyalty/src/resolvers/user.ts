import type { LoyaltyAccountResolvers, LoyaltyLedgerEntryResolvers, UserResolvers } from '../generated/graphql.ts';
import { history, loyaltyFor, nextTierOf } from '../services/accounts.ts';

// Entity references bypass root fields: the owner check lives in loyaltyFor.
export const User: UserResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  loyalty: (user, _, ctx) => loyaltyFor(ctx, user.id),
};

export const LoyaltyAccount: LoyaltyAccountResolvers = {
  tierSince: (a) => a.tierPeriodStart.toISOString(),
  nextTier: (a) => nextTierOf(a)?.tier ?? null,
  pointsToNextTier: (a) => nextTierOf(a)?.pointsNeeded ?? null,
  history: (a, args, ctx) => history(ctx, a, args),
};

export const LoyaltyLedgerEntry: LoyaltyLedgerEntryResolvers = {
  order: (e) => (e.orderId ? { id: e.orderId } : null),
  createdAt: (e) => e.createdAt.toISOString(),
};
