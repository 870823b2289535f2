import type { Resolvers } from '../generated/graphql.ts';
import { Query } from './query.ts';
import { Mutation } from './mutation.ts';
import { Subscription } from './subscription.ts';
import { LocationStock, Reservation, ReservationLine, Stock, Variant } from './stock.ts';

export const resolvers: Resolvers = { Query, Mutation, Variant, Stock, LocationStock, Reservation, ReservationLine, Subscription };
