import { readFileSync } from 'node:fs';
import type { SubscriptionLimits } from './subscriptions/server.ts';
import { loadProtectionConfig, type ProtectionConfig } from './protection/config.ts';
import { responseCacheBytes } from './responseCache.ts';
import { SUBGRAPH_NAMES, subgraphUrl, internalSecret, type SubgraphName } from '@storefront/shared';

export interface GatewayConfig {
  port: number;
  supergraphSdl: string;
  subgraphUrls: Record<SubgraphName, string>;
  /** Development mode keeps Sandbox and introspection; production turns both off. */
  production: boolean;
  secret: string;
  jwksUrl: string;
  jwtIssuer: string;
  jwtAudience: string;
  /** Per-fetch timeout to subgraphs. */
  subgraphTimeoutMs: number;
  subscriptionLimits: Partial<SubscriptionLimits>;
  /** APQ, persisted query lists, operation limits, rate limits and request hygiene (README: API protection). */
  protection: ProtectionConfig;
  /**
   * Redis for domain events (REDIS_URL): the gateway listens for ApiClientChanged to drop a partner's
   * cached key verification at once. Null: changes take effect when the cache entry expires (60 s).
   */
  eventsRedisUrl: string | null;
  /** GATEWAY_RESPONSE_CACHE_MB in bytes: whole responses every subgraph marked public (README: Caching); 0 is off. */
  responseCacheBytes: number;
  /** METRICS_TOKEN: GET /metrics needs `Authorization: Bearer <token>`; production without one does not serve /metrics. */
  metricsToken: string | null;
}

const DEFAULT_SUPERGRAPH = new URL('../../schema/supergraph.graphql', import.meta.url);

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  const subgraphUrls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, subgraphUrl(n, env)])) as Record<SubgraphName, string>;
  return {
    port: Number(env.GATEWAY_PORT ?? env.PORT ?? 4000),
    supergraphSdl: readFileSync(env.SUPERGRAPH_PATH ?? DEFAULT_SUPERGRAPH, 'utf8'),
    subgraphUrls,
    production,
    secret: internalSecret(env),
    jwksUrl: env.JWKS_URL ?? new URL('/.well-known/jwks.json', subgraphUrls.identity).toString(),
    jwtIssuer: env.JWT_ISSUER ?? 'storefront-identity',
    jwtAudience: env.JWT_AUDIENCE ?? 'storefront',
    subgraphTimeoutMs: Number(env.SUBGRAPH_TIMEOUT_MS ?? 10_000),
    subscriptionLimits: {
      ...(env.MAX_SUBSCRIPTIONS_PER_CONNECTION ? { perConnection: Number(env.MAX_SUBSCRIPTIONS_PER_CONNECTION) } : {}),
      ...(env.MAX_SUBSCRIPTIONS_PER_PROCESS ? { perProcess: Number(env.MAX_SUBSCRIPTIONS_PER_PROCESS) } : {}),
    },
    protection: loadProtectionConfig(env, production),
    eventsRedisUrl: env.REDIS_URL || null,
    metricsToken: env.METRICS_TOKEN || null,
    responseCacheBytes: responseCacheBytes(env),
  };
}
