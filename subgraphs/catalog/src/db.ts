import { createPrismaClient, type PrismaOptions } from '@storefront/shared/db';
import { PrismaClient } from './generated/prisma/client.ts';

export type CatalogDb = PrismaClient;
export const createCatalogDb = (url: string, options?: PrismaOptions): CatalogDb => createPrismaClient(PrismaClient, url, options);
