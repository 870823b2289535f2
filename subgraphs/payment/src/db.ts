import { createPrismaClient, type PrismaOptions } from '@storefront/shared/db';
import { PrismaClient, type Prisma } from './generated/prisma/client.ts';

export type PaymentDb = PrismaClient;
/** The client or an interactive transaction's client: what services write through. */
export type PaymentTx = Prisma.TransactionClient;
export const createPaymentDb = (url: string, options?: PrismaOptions): PaymentDb => createPrismaClient(PrismaClient, url, options);
