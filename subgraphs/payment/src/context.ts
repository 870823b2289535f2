import type { BaseRequestContext } from '@storefront/shared';
import type { PaymentDb } from './db.ts';
import { createLoaders, type PaymentLoaders } from './loaders.ts';
import type { PaymentProvider } from './services/provider.ts';

export interface PaymentContext extends BaseRequestContext {
  db: PaymentDb;
  loaders: PaymentLoaders;
  provider: PaymentProvider;
}

export const createPaymentContext = (db: PaymentDb, provider: PaymentProvider) => (base: BaseRequestContext): PaymentContext => ({
  ...base,
  db,
  loaders: createLoaders(db),
  provider,
});
