import type { SubscriptionResolvers } from '../generated/graphql.ts';
import { stockLevelChange, watchStock } from '../services/live.ts';

export const Subscription: SubscriptionResolvers = {
  stockLevelChanged: {
    subscribe: (_, { variantIds }, ctx) => watchStock(ctx, variantIds) as any,
    resolve: (event: any) => stockLevelChange(event) as any,
  },
};
