import type { Resolvers } from '../generated/graphql.ts';
import { Query } from './query.ts';
import { Mutation } from './mutation.ts';
import { User } from './user.ts';
import { ApiClient } from './apiClient.ts';

export const resolvers: Resolvers = { Query, Mutation, User, ApiClient };
