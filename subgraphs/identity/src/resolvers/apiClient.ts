import type { ApiClientResolvers } from '../generated/graphql.ts';

export const ApiClient: ApiClientResolvers = {
  createdAt: (c) => c.createdAt.toISOString(),
  revokedAt: (c) => c.revokedAt?.toISOString() ?? null,
};
