import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginLandingPageDisabled, ApolloServerPluginUsageReportingDisabled, ApolloServerPluginSchemaReportingDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway } from '@apollo/gateway';
import { INTERNAL_HEADERS, closeServer, createErrorMasker, createHttpApp, createLogger, listen, sendJson, type Logger } from '@storefront/shared';
import type { GatewayConfig } from './config.ts';
import type { GatewayContext } from './context.ts';
import { SignedDataSource } from './dataSource.ts';
import { JwksCache } from './auth/jwks.ts';
import { createAuthenticator, identityApiKeyVerifier, type Authenticator } from './auth/authenticate.ts';
import { attachGatewaySubscriptions } from './subscriptions/server.ts';

export interface GatewayServer {
  apollo: ApolloServer<GatewayContext>;
  http: http.Server;
  log: Logger;
  authenticator: Authenticator;
  subscriptions: ReturnType<typeof attachGatewaySubscriptions> | null;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** Builds the gateway (not listening yet): the supergraph from a file, never introspection at run time. */
export async function createGateway(config: GatewayConfig, log: Logger = createLogger('gateway')): Promise<GatewayServer> {
  const buildService = ({ name }: { name: string }) =>
    new SignedDataSource(name, config.subgraphUrls[name as keyof typeof config.subgraphUrls], config.secret, config.subgraphTimeoutMs);
  const gateway = new ApolloGateway({ supergraphSdl: config.supergraphSdl, buildService, logger: log });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !config.production,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.production,
    csrfPrevention: true,
    formatError: createErrorMasker(log),
    plugins: [
      config.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
    ],
  });
  await apollo.start();

  const authenticator = createAuthenticator({
    jwks: new JwksCache(config.jwksUrl),
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    verifyApiKey: identityApiKeyVerifier(config.subgraphUrls.identity, config.secret),
  });

  const httpServer = createHttpApp<GatewayContext>({
    apollo,
    routes: [{ method: 'GET', path: '/health', handle: (_req, res) => sendJson(res, 200, { status: 'ok', service: 'gateway' }) }],
    context: async (req) => {
      // Internal identity headers are the gateway's to set; a client sending them gets them dropped.
      for (const name of INTERNAL_HEADERS) delete req.headers[name];
      const requestId = randomUUID();
      return { requestId, viewer: await authenticator.authenticate(req), clientIp: req.socket.remoteAddress };
    },
  });

  const subscriptions = /\btype Subscription\b/.test(config.supergraphSdl)
    ? attachGatewaySubscriptions({
        httpServer,
        supergraphSdl: config.supergraphSdl,
        serviceMap: Object.fromEntries(Object.keys(config.subgraphUrls).map((name) => [name, buildService({ name })])),
        subgraphUrls: config.subgraphUrls,
        secret: config.secret,
        authenticator,
        apollo,
        log,
        limits: config.subscriptionLimits,
      })
    : null;

  return {
    apollo,
    subscriptions,
    http: httpServer,
    log,
    authenticator,
    listen: (port = config.port, host) => listen(httpServer, port, host),
    async close() {
      await subscriptions?.close();
      await closeServer(httpServer);
      await apollo.stop();
    },
  };
}
