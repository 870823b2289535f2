import { createPrismaClient, type PrismaOptions } from '@storefront/shared/db';
import { PrismaClient } from './generated/prisma/client.ts';

export type IdentityDb = PrismaClient;
export const createIdentityDb = (url: string, options?: PrismaOptions): IdentityDb => createPrismaClient(PrismaClient, url, options);
