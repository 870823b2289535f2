import type { BaseRequestContext } from '@storefront/shared';
import type { IdentityDb } from './db.ts';
import { createLoaders, type IdentityLoaders } from './loaders.ts';
import { currentRequestInfo } from './requestInfo.ts';
import type { SigningKeys } from './services/signingKeys.ts';
import type { RateLimiter, RateLimits } from './services/rateLimit.ts';
import type { IdentityPrivacyDeps } from './services/privacy.ts';

/** What lives as long as the server: the database, the signing keys and the rate limiter. */
export interface IdentityDeps {
  db: IdentityDb;
  keys: SigningKeys;
  limiter: RateLimiter;
  limits: RateLimits;
  /** For identity's own signed calls to the other subgraphs (the privacy export). */
  privacy: IdentityPrivacyDeps;
}

export interface IdentityContext extends BaseRequestContext, IdentityDeps {
  loaders: IdentityLoaders;
  /** The end client's address as forwarded by the gateway (X-Forwarded-For), for rate limits. */
  clientIp: string;
  /** Users who proved their credentials in this request (login, register, refresh): they may read their own personal fields in the payload. */
  authenticatedUserIds: Set<string>;
}

export const createIdentityContext = (deps: IdentityDeps) => (base: BaseRequestContext): IdentityContext => ({
  ...base,
  ...deps,
  loaders: createLoaders(deps.db),
  clientIp: currentRequestInfo().clientIp,
  authenticatedUserIds: new Set(),
});
