import type { Resolvers } from '../generated/graphql.ts';
import { Mutation } from './mutation.ts';
import { LoyaltyAccount, LoyaltyLedgerEntry, User } from './user.ts';

export const resolvers: Resolvers = { Mutation, User, LoyaltyAccount, LoyaltyLedgerEntry };
