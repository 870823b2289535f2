import { createPrismaClient, type PrismaOptions } from '@storefront/shared/db';
import { PrismaClient, type Prisma } from './generated/prisma/client.ts';

export type LoyaltyDb = PrismaClient;
export type LoyaltyTx = Prisma.TransactionClient;
export const createLoyaltyDb = (url: string, options?: PrismaOptions): LoyaltyDb => createPrismaClient(PrismaClient, url, options);
