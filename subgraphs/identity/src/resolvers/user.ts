import type { UserResolvers } from '../generated/graphql.ts';
import { assertMaySeePersonal, resolveUserReference } from '../services/users.ts';
import { listAddresses } from '../services/addresses.ts';

// References resolve for every caller so other subgraphs can join User (order.customer { name });
// the personal fields check ownership themselves, since entity references bypass root fields.
export const User: UserResolvers = {
  __resolveReference: (ref, ctx) => resolveUserReference(ctx, ref.id),
  email: (u, _, ctx) => {
    assertMaySeePersonal(ctx, u);
    return u.email;
  },
  addresses: (u, _, ctx) => {
    assertMaySeePersonal(ctx, u);
    return listAddresses(ctx, u.id);
  },
  roles: (u) => u.roles,
  createdAt: (u) => u.createdAt.toISOString(),
};
