import type { BaseRequestContext } from '@storefront/shared';
import type { CartDb } from './db.ts';
import type { CatalogClient } from './clients/catalog.ts';
import type { CheckoutDeps } from './services/checkout.ts';
import { createLoaders, type CartLoaders } from './loaders.ts';

export interface CartContext extends BaseRequestContext {
  db: CartDb;
  loaders: CartLoaders;
  /** Prices and availability of variants, asked of the catalog subgraph. */
  catalog: CatalogClient;
  now: () => Date;
  /** What the checkout saga needs (its own clients for inventory, order and payment). */
  checkout: Omit<CheckoutDeps, 'log'>;
}

export interface CartContextDeps {
  db: CartDb;
  catalog: CatalogClient;
  now?: () => Date;
  checkout: Omit<CheckoutDeps, 'log'>;
}

export const createCartContext = (deps: CartContextDeps) => (base: BaseRequestContext): CartContext => ({
  ...base,
  db: deps.db,
  loaders: createLoaders(deps.db),
  catalog: deps.catalog,
  checkout: deps.checkout,
  now: deps.now ?? (() => new Date()),
});
