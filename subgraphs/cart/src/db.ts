import { createPrismaClient, type PrismaOptions } from '@storefront/shared/db';
import { PrismaClient } from './generated/prisma/client.ts';

export type CartDb = PrismaClient;
export const createCartDb = (url: string, options?: PrismaOptions): CartDb => createPrismaClient(PrismaClient, url, options);
