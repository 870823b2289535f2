import { createPrismaClient, type PrismaOptions } from '@storefront/shared/db';
import { PrismaClient } from './generated/prisma/client.ts';

export type InventoryDb = PrismaClient;
export const createInventoryDb = (url: string, options?: PrismaOptions): InventoryDb => createPrismaClient(PrismaClient, url, options);
