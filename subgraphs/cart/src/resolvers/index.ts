import type { Resolvers } from '../generated/graphql.ts';
import { Query } from './query.ts';
import { Mutation } from './mutation.ts';
import { Cart, CartLine, User } from './cart.ts';

export const resolvers: Resolvers = { Query, Mutation, Cart, CartLine, User };
