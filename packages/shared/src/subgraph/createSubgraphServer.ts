import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { DocumentNode } from 'graphql';
import { createHttpApp, closeServer, HttpError, listen, sendJson, type Route } from '../http/server.ts';
import { createLogger, type Logger } from '../log.ts';
import { internalSecret, verifyIdentity } from '../auth/internalSignature.ts';
import { applyAuthDirectives } from '../graphql/authDirectives.ts';
import { createErrorMasker } from '../graphql/errors.ts';
import type { SubgraphName } from '../services.ts';
import type { BaseRequestContext } from './context.ts';
import { attachSubscriptions } from './subscriptions.ts';
import { OutboxRelay, type OutboxDb } from '../events/outbox.ts';
import { broadcast } from '../events/broadcast.ts';
import type { EventHandler, EventTransport } from '../events/types.ts';

export interface SubgraphServerOptions<Ctx extends BaseRequestContext> {
  name: SubgraphName;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<any> | GraphQLResolverMap<any>[];
  /** Adds the subgraph's own per-request state (DataLoaders, services) to the base context. */
  createContext: (base: BaseRequestContext) => Ctx | Promise<Ctx>;
  /** Extra HTTP routes (JWKS, webhooks). They bypass the gateway signature check: guard them yourself. */
  routes?: Route[];
  /** Readiness probe, e.g. a database ping. */
  ready?: () => Promise<unknown>;
  /** Release resources (database pools, consumers) when the server closes. */
  onClose?: () => Promise<unknown>;
  log?: Logger;
  /** Shared HMAC secret; requests without a valid gateway signature are refused. */
  secret?: string;
  /** Serve the schema's Subscription fields over graphql-ws at /graphql. */
  subscriptions?: boolean;
  /** Apollo plugins of this subgraph's own (none may use per-field hooks: see below). */
  plugins?: ApolloServerPlugin<Ctx>[];
  /** Event plumbing: publish this subgraph's outbox and run its consumers while the server lives. */
  events?: SubgraphEvents;
}

export interface EventConsumer {
  /** Consumer group, e.g. 'catalog.stock': each group gets every event once; replicas share it. */
  group: string;
  types: string[];
  handler: EventHandler;
  /**
   * Every process of the subgraph gets every event (a group of its own, from now on, removed on close) instead
   * of replicas sharing the group's events: for per-process state such as caches.
   */
  broadcast?: boolean;
}

export interface SubgraphEvents {
  transport: EventTransport;
  /** The subgraph's database, whose OutboxEvent table the relay publishes. */
  outbox: OutboxDb;
  /** That database's URL: the relay LISTENs there to publish on commit rather than on its next poll. */
  listenUrl?: string;
  consumers?: EventConsumer[];
}

export interface SubgraphServer {
  name: SubgraphName;
  apollo: ApolloServer<any>;
  http: http.Server;
  log: Logger;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** Builds (but does not start listening) one subgraph: schema, auth, error masking, health and the HTTP server. */
export async function createSubgraphServer<Ctx extends BaseRequestContext>(options: SubgraphServerOptions<Ctx>): Promise<SubgraphServer> {
  const log = options.log ?? createLogger(options.name);
  const secret = options.secret ?? internalSecret();
  const schema = applyAuthDirectives(
    buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers as any }]),
    (ctx: BaseRequestContext) => ctx.viewer,
  );
  const apollo = new ApolloServer<Ctx>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // main.ts handles SIGINT/SIGTERM with a graceful close of everything; Apollo's own handler would stop only
    // Apollo and then re-raise the signal, killing the process half-way through that close.
    stopOnTerminationSignals: false,
    formatError: createErrorMasker(log),
    // No plugin may use per-field hooks: one that does (cache control, inline tracing) wraps every resolver of every
    // request, a measurable share of a large response's CPU. Subgraphs that send cache hints set them per response
    // (cacheHints.ts); the gateway asks no traces.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), ...(options.plugins ?? [])],
  });
  await apollo.start();

  const health: Route[] = [
    { method: 'GET', path: '/health', handle: (_req, res) => sendJson(res, 200, { status: 'ok', service: options.name }) },
    {
      method: 'GET',
      path: '/ready',
      handle: async (_req, res) => {
        try {
          await options.ready?.();
          sendJson(res, 200, { status: 'ready', service: options.name });
        } catch {
          sendJson(res, 503, { status: 'unavailable', service: options.name });
        }
      },
    },
  ];

  const httpServer = createHttpApp<Ctx>({
    apollo,
    routes: [...health, ...(options.routes ?? [])],
    context: async (req) => {
      const verified = verifyIdentity((h) => req.headers[h] as string | undefined, secret);
      if (!verified.ok) throw new HttpError(401, `Subgraphs are reachable only through the gateway: ${verified.reason}`, 'UNAUTHENTICATED');
      const requestId = (req.headers['x-request-id'] as string) || randomUUID();
      return options.createContext({ requestId, viewer: verified.viewer, log: log.child({ requestId }) });
    },
  });

  const relay = options.events ? new OutboxRelay(options.events.outbox, options.events.transport, options.name, log.child({ component: 'outbox-relay' }), { listenUrl: options.events.listenUrl }).start() : null;
  const consumerName = `${options.name}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const consumers = (options.events?.consumers ?? []).map((c) =>
    options.events!.transport.subscribe(
      c.broadcast ? broadcast(c.group, c.types, c.handler, consumerName) : { group: c.group, consumer: consumerName, types: c.types, handler: c.handler },
    ),
  );

  const ws = options.subscriptions
    ? attachSubscriptions({ httpServer, schema, secret, log, createContext: options.createContext })
    : null;

  return {
    name: options.name,
    apollo,
    http: httpServer,
    log,
    listen: (port, host) => listen(httpServer, port, host),
    async close() {
      await ws?.close();
      await closeServer(httpServer);
      await Promise.all(consumers.map((c) => c.close()));
      await relay?.stop();
      await apollo.stop();
      await options.onClose?.();
    },
  };
}
