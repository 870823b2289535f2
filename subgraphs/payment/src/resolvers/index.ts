import type { Resolvers } from '../generated/graphql.ts';
import { Query } from './query.ts';
import { Mutation } from './mutation.ts';
import { Order, Payment } from './payment.ts';

export const resolvers: Resolvers = { Query, Mutation, Payment, Order };
