import { createPrismaClient, type PrismaOptions } from '@storefront/shared/db';
import { PrismaClient } from './generated/prisma/client.ts';

export type OrderDb = PrismaClient;
export const createOrderDb = (url: string, options?: PrismaOptions): OrderDb => createPrismaClient(PrismaClient, url, options);
