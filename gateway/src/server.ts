import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginLandingPageDisabled, ApolloServerPluginUsageReportingDisabled, ApolloServerPluginSchemaReportingDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway } from '@apollo/gateway';
import type { GraphQLFormattedError } from 'graphql';
import { RedisStreamsTransport, type EventTransport } from '@storefront/shared/events';
import { HttpError, INTERNAL_HEADERS, closeServer, createErrorMasker, createHttpApp, createLogger, listen, sendJson, type Logger } from '@storefront/shared';
import type { GatewayConfig } from './config.ts';
import type { GatewayContext } from './context.ts';
import { SignedDataSource } from './dataSource.ts';
import { JwksCache } from './auth/jwks.ts';
import { createAuthenticator, identityApiKeyVerifier, type Authenticator } from './auth/authenticate.ts';
import { subscribeToApiClientChanges, type ApiClientChanges } from './auth/apiClientChanges.ts';
import { countRequests, metricsRoute } from './metrics.ts';
import { attachGatewaySubscriptions } from './subscriptions/server.ts';
import { createProtection, GATEWAY_PUBLIC_CODES, type Protection } from './protection/index.ts';
import { clearOnCatalogChanges, createResponseCache, sharesPublicAnswers, type ResponseCache } from './responseCache.ts';

export interface GatewayServer {
  apollo: ApolloServer<GatewayContext>;
  http: http.Server;
  log: Logger;
  authenticator: Authenticator;
  protection: Protection;
  /** Null when GATEWAY_RESPONSE_CACHE_MB is 0. */
  responseCache: ResponseCache | null;
  subscriptions: ReturnType<typeof attachGatewaySubscriptions> | null;
  /** The ApiClientChanged listener; null without an event transport. */
  apiClientChanges: ApiClientChanges | null;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /**
   * Where identity's ApiClientChanged events arrive (not closed with the gateway). Defaults to Redis
   * Streams at config.eventsRedisUrl; null turns the listener off (key changes then wait for the cache TTL).
   */
  events?: EventTransport | null;
}

/** The shared masker, plus the gateway's own client-facing codes (persisted query policy). */
function gatewayErrorFormatter(log: Logger) {
  const mask = createErrorMasker(log);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (GATEWAY_PUBLIC_CODES.has(formatted.extensions?.code as string)) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    return mask(formatted, error);
  };
}

/**
 * Builds the gateway (not listening yet): the supergraph from a file, never introspection at run time.
 * Production turns off introspection, the Sandbox landing page and field suggestions; stack traces
 * never leave the server and unexpected errors are masked with the request id.
 */
export async function createGateway(config: GatewayConfig, log: Logger = createLogger('gateway'), options: GatewayOptions = {}): Promise<GatewayServer> {
  const responseCache = createResponseCache(config.responseCacheBytes, config.subgraphTimeoutMs);
  const entityCaching = responseCache ? { cache: responseCache.entities, shares: sharesPublicAnswers } : null;
  // The environment's URL for a known subgraph, else the one the supergraph names.
  const buildService = ({ name, url }: { name: string; url?: string }) =>
    new SignedDataSource(name, config.subgraphUrls[name as keyof typeof config.subgraphUrls] ?? url!, config.secret, config.subgraphTimeoutMs, entityCaching);
  const gateway = new ApolloGateway({ supergraphSdl: config.supergraphSdl, buildService, logger: log });
  const verifyApiKey = identityApiKeyVerifier(config.subgraphUrls.identity, config.secret);
  const protection = await createProtection({ config: config.protection, supergraphSdl: config.supergraphSdl, log, apiKeyKnownValid: verifyApiKey.knownValid });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !config.production,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.production,
    csrfPrevention: true,
    // main.ts handles SIGINT/SIGTERM with a graceful close of everything; Apollo's own handler would stop only
    // Apollo and then re-raise the signal, killing the process half-way through that close.
    stopOnTerminationSignals: false,
    formatError: gatewayErrorFormatter(log),
    persistedQueries: protection.apollo.persistedQueries,
    allowBatchedHttpRequests: protection.apollo.allowBatchedHttpRequests,
    validationRules: protection.apollo.validationRules,
    parseOptions: protection.apollo.parseOptions,
    plugins: [
      config.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      // Protection first: a cached answer is still judged, limited and charged like any other.
      ...protection.apollo.plugins,
      ...(responseCache?.plugins ?? []),
    ],
  });
  try {
    await apollo.start();
  } catch (e) {
    await protection.close();
    throw e;
  }

  const authenticator = createAuthenticator({
    jwks: new JwksCache(config.jwksUrl),
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    verifyApiKey,
  });

  const ownTransport = options.events === undefined && config.eventsRedisUrl ? new RedisStreamsTransport(config.eventsRedisUrl, log) : null;
  const events = options.events === undefined ? ownTransport : options.events;
  const apiClientChanges = events ? subscribeToApiClientChanges(events, verifyApiKey.forget, log) : null;
  const catalogChanges = events && responseCache ? clearOnCatalogChanges(events, responseCache, log) : null;

  const httpServer: http.Server = createHttpApp<GatewayContext>({
    apollo,
    routes: [
      { method: 'GET', path: '/health', handle: (_req, res) => sendJson(res, 200, { status: 'ok', service: 'gateway' }) },
      metricsRoute({ production: config.production, token: config.metricsToken }, () => ({
        requests,
        protection: protection.stats(),
        responseCache: responseCache?.stats() ?? null,
        subscriptions: subscriptions?.stats() ?? null,
        apiClientChanges: apiClientChanges?.received ?? null,
        uptimeSeconds: process.uptime(),
        memory: process.memoryUsage(),
      })),
    ],
    bodyLimit: protection.http.bodyLimit,
    intercept: protection.http.intercept,
    beforeExecute: protection.http.beforeExecute,
    context: async (req, res) => {
      // Internal identity headers are the gateway's to set; a client sending them gets them dropped.
      for (const name of INTERNAL_HEADERS) delete req.headers[name];
      const requestId = randomUUID();
      res.setHeader('x-request-id', requestId);
      try {
        const { viewer, client } = await authenticator.authenticateRequest(req);
        return { requestId, viewer, client, clientIp: protection.clientAddress(req) };
      } catch (e) {
        if (e instanceof HttpError && e.status === 401 && req.headers['x-api-key'] !== undefined) await protection.recordAuthFailure(req);
        throw e;
      }
    },
  });

  const requests = countRequests(httpServer);

  const subscriptions = /\btype Subscription\b/.test(config.supergraphSdl)
    ? attachGatewaySubscriptions({
        httpServer,
        supergraphSdl: config.supergraphSdl,
        serviceMap: Object.fromEntries(Object.keys(config.subgraphUrls).map((name) => [name, buildService({ name })])),
        subgraphUrls: config.subgraphUrls,
        secret: config.secret,
        authenticator,
        apollo,
        protection,
        log,
        limits: config.subscriptionLimits,
      })
    : null;

  return {
    apollo,
    subscriptions,
    apiClientChanges,
    http: httpServer,
    log,
    authenticator,
    protection,
    responseCache,
    listen: (port = config.port, host) => listen(httpServer, port, host),
    async close() {
      await subscriptions?.close();
      await closeServer(httpServer);
      await apollo.stop();
      await protection.close();
      await apiClientChanges?.close();
      await catalogChanges?.close();
      await ownTransport?.close();
    },
  };
}
