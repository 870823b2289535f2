import type { Resolvers } from '../generated/graphql.ts';
import { Query } from './query.ts';
import { Order, OrderLine, OrderStatusChange, User } from './order.ts';

export const resolvers: Resolvers = { Query, Order, OrderLine, OrderStatusChange, User };
