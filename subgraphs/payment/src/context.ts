import type { BaseRequestContext } from '@storefront/shared';
import type { PaymentDb } from './db.ts';
import { createLoaders, type PaymentLoaders } from './loaders.ts';
import type { PaymentProvider } from './services/provider.ts';
import { DEFAULT_RISK_RULES, type RiskRules } from './services/risk.ts';

export interface PaymentContext extends BaseRequestContext {
  db: PaymentDb;
  loaders: PaymentLoaders;
  provider: PaymentProvider;
  /** The rules of the risk check before authorization. */
  risk: RiskRules;
}

export const createPaymentContext = (db: PaymentDb, provider: PaymentProvider, risk: RiskRules = DEFAULT_RISK_RULES) => (base: BaseRequestContext): PaymentContext => ({
  ...base,
  db,
  loaders: createLoaders(db),
  provider,
  risk,
});
