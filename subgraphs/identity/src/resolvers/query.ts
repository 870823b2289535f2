import type { QueryResolvers } from '../generated/graphql.ts';
import { getMe, getUser } from '../services/users.ts';
import { listApiClients } from '../services/apiClients.ts';

export const Query: QueryResolvers = {
  me: (_, __, ctx) => getMe(ctx),
  user: (_, { id }, ctx) => getUser(ctx, id),
  apiClients: (_, args, ctx) => listApiClients(ctx, args),
};
