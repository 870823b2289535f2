import type { Resolvers } from '../generated/graphql.ts';
import { Query } from './query.ts';
import { Order, OrderLine, OrderStatusChange, User } from './order.ts';
import { Subscription } from './subscription.ts';
import { InternalMutation, InternalQuery } from './internal.ts';
import { LifecycleMutation, orderShipment } from './lifecycle.ts';

export const resolvers: Resolvers = { Query: { ...Query, ...InternalQuery }, Mutation: { ...InternalMutation, ...LifecycleMutation }, Order: { ...Order, shipment: orderShipment }, OrderLine, OrderStatusChange, User, Subscription };
