import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { GraphQLError, print, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { ApolloServer } from '@apollo/server';
import type { ServiceMap } from '@apollo/gateway';
import { createErrorMasker, type Logger, type Viewer } from '@storefront/shared';
import type { Authenticator } from '../auth/authenticate.ts';
import type { GatewayContext } from '../context.ts';
import type { Protection } from '../protection/index.ts';
import { SubscriptionPlanner } from './planner.ts';
import { UpstreamConnections } from './upstream.ts';
import { createEventExecutor } from './eventExecutor.ts';
import { Topics } from './topics.ts';
import { ResultChannel } from './channel.ts';

/** WebSocket close codes this endpoint uses (documented in the README). */
export const CLOSE = {
  unauthorized: 4401, // no, invalid or expired token
  forbidden: 4403, // subscribing to what the caller may not see
  tooManySubscriptions: 4429,
  /**
   * A connection that keeps sending operations after being rate limited. The same code as too many
   * subscriptions: both mean "too many" (HTTP's 429), and graphql-ws clients treat 4429 as fatal
   * (it is their TooManyInitialisationRequests), so they do not reconnect in a loop. The reason
   * text tells the two apart.
   */
  rateLimited: 4429,
  slowConsumer: 4408,
  serviceRestart: 1012, // graceful shutdown: reconnect
} as const;

export interface SubscriptionLimits {
  perConnection: number;
  perProcess: number;
  /** Results queued for one subscriber before it is cut off as a slow consumer. */
  maxQueuedResults: number;
  /** Bytes buffered on a socket before it is cut off as a slow consumer. */
  maxBufferedBytes: number;
  keepAliveMs: number;
}

/** Operations refused by the rate limit in a row (nothing allowed in between) before the connection is closed. */
const RATE_LIMITED_IN_A_ROW = 5;

export const DEFAULT_LIMITS: SubscriptionLimits = { perConnection: 100, perProcess: 20_000, maxQueuedResults: 256, maxBufferedBytes: 4 * 1024 * 1024, keepAliveMs: 12_000 };

/** graphql-ws hands `subscribe` only the execution args, so the connection travels on the context. */
type WsContext = GatewayContext & { connection: Extra };

interface Extra extends Record<PropertyKey, unknown> {
  socket: WebSocket;
  /** The upgrade request (graphql-ws/use/ws puts it here). */
  request: http.IncomingMessage;
  viewer?: Viewer;
  clientIp?: string;
  /** Operations refused by the rate limit since the last one allowed. */
  rateLimitedInARow?: number;
  expiryTimer?: NodeJS.Timeout;
  active?: number;
}

const tokenFrom = (params: Record<string, unknown> | undefined) => {
  const raw = params?.authorization ?? params?.Authorization ?? params?.token;
  if (typeof raw !== 'string' || !raw) return null;
  return raw.toLowerCase().startsWith('bearer ') ? raw.slice(7).trim() : raw.trim();
};

/**
 * graphql-ws (graphql-transport-ws) on the gateway's /graphql path: same endpoint and same
 * authentication as HTTP. Subscriptions are planned with the federation query planner and
 * executed per event through the gateway's executor; queries and mutations sent over the socket
 * go through Apollo Server as HTTP ones do. Every operation is first judged by the protection layer
 * (rate limits, persisted query policy, operation limits) in `onSubscribe`; a refusal is an error
 * for that operation, and the connection stays open unless it keeps ignoring rate limits.
 */
export function attachGatewaySubscriptions(options: {
  httpServer: http.Server;
  supergraphSdl: string;
  serviceMap: ServiceMap;
  subgraphUrls: Record<string, string>;
  secret: string;
  authenticator: Authenticator;
  apollo: ApolloServer<GatewayContext>;
  protection: Protection;
  log: Logger;
  limits?: Partial<SubscriptionLimits>;
}) {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const maskError = createErrorMasker(options.log);
  const planner = new SubscriptionPlanner(options.supergraphSdl);
  const upstream = new UpstreamConnections(options.subgraphUrls, options.secret);
  const topics = new Topics(planner, upstream, createEventExecutor(planner, options.serviceMap, options.log), options.log);
  let active = 0;

  const schema = planner.apiGraphQLSchema;
  const wss = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: 256 * 1024 });
  const disposable = useServer<Record<string, unknown>, Extra>(
    {
      schema,
      onConnect: async (ctx) => {
        const extra = ctx.extra as Extra;
        extra.clientIp = options.protection.clientAddress(extra.request);
        const token = tokenFrom(ctx.connectionParams);
        if (!token) {
          extra.socket.close(CLOSE.unauthorized, 'Unauthorized: connection_init needs an access token');
          return false;
        }
        try {
          extra.viewer = await options.authenticator.verifyToken(token);
        } catch {
          extra.socket.close(CLOSE.unauthorized, 'Unauthorized: invalid or expired access token');
          return false;
        }
        if (extra.viewer.expiresAt) {
          const ms = extra.viewer.expiresAt * 1000 - Date.now();
          extra.expiryTimer = setTimeout(() => extra.socket.close(CLOSE.unauthorized, 'Unauthorized: access token expired'), Math.max(ms, 0));
          extra.expiryTimer.unref();
        }
        return true;
      },
      // The same masking as HTTP responses: unexpected errors leave as a generic message and request id.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: result.errors.map((e) => maskError(e instanceof GraphQLError ? e.toJSON() : (e as any), e)) } : undefined,
      onClose: (ctx) => {
        const extra = ctx.extra as Extra;
        if (extra.expiryTimer) clearTimeout(extra.expiryTimer);
      },
      onSubscribe: async (ctx, _id, payload) => {
        const extra = ctx.extra as Extra;
        const context: WsContext = { requestId: randomUUID(), viewer: extra.viewer!, clientIp: extra.clientIp, connection: extra };
        const onRateDecision = (allowed: boolean) => void (extra.rateLimitedInARow = allowed ? 0 : (extra.rateLimitedInARow ?? 0) + 1);
        const judgement = await options.protection.judgeWebSocketOperation({ payload, context, schema, onRateDecision });
        if (judgement.allowed) {
          return { schema, document: judgement.document, operationName: judgement.operationName, variableValues: judgement.variables, contextValue: context };
        }
        if (judgement.rateLimited && (extra.rateLimitedInARow ?? 0) >= RATE_LIMITED_IN_A_ROW) {
          // After graphql-ws has sent this operation's error.
          setImmediate(() => extra.socket.close(CLOSE.rateLimited, 'Rate limited: too many operations'));
        }
        return judgement.errors;
      },
      execute: async (args: ExecutionArgs) => {
        const res = await options.apollo.executeOperation(
          { query: print(args.document), variables: (args.variableValues ?? undefined) as any, operationName: args.operationName ?? undefined },
          { contextValue: args.contextValue as GatewayContext },
        );
        if (res.body.kind !== 'single') return { errors: [new GraphQLError('Incremental delivery is not supported over WebSocket')] };
        const { errors, ...rest } = res.body.singleResult;
        return { ...rest, ...(errors ? { errors: errors.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions })) } : {}) } as ExecutionResult;
      },
      subscribe: (args: ExecutionArgs) => {
        const context = args.contextValue as WsContext;
        const extra = context.connection;
        const socket = extra.socket;
        if ((extra.active ?? 0) >= limits.perConnection || active >= limits.perProcess) {
          socket.close(CLOSE.tooManySubscriptions, 'Too many subscriptions');
          return { errors: [new GraphQLError('Too many subscriptions', { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })] };
        }
        extra.active = (extra.active ?? 0) + 1;
        active += 1;
        let leave = () => {};
        const channel = new ResultChannel(limits.maxQueuedResults, {
          overflow: () => socket.close(CLOSE.slowConsumer, 'Slow consumer'),
          failed: (errors) => {
            const code = errors[0]?.extensions?.code;
            if (code === 'FORBIDDEN' || code === 'UNAUTHENTICATED') socket.close(CLOSE.forbidden, `Forbidden: ${errors[0]?.message ?? 'not allowed'}`);
            else channel.push({ errors: errors.map((e) => new GraphQLError(e?.message ?? 'Subscription failed', { extensions: e?.extensions })) });
          },
          ended: () => {
            extra.active = (extra.active ?? 1) - 1;
            active -= 1;
            leave();
          },
        });
        const guarded = {
          [Symbol.asyncIterator]: () => guarded,
          next: async () => {
            if (socket.bufferedAmount > limits.maxBufferedBytes) {
              socket.close(CLOSE.slowConsumer, 'Slow consumer');
              return channel.return();
            }
            return channel.next();
          },
          return: () => channel.return(),
        };
        try {
          leave = topics.join(channel, args.document, args.operationName, (args.variableValues ?? {}) as Record<string, unknown>, context);
        } catch (e) {
          channel.end();
          return { errors: [new GraphQLError((e as Error).message, { extensions: { code: 'BAD_USER_INPUT' } })] };
        }
        return guarded as AsyncIterableIterator<ExecutionResult>;
      },
    },
    wss,
    limits.keepAliveMs,
  );

  return {
    stats: () => ({ connections: wss.clients.size, subscriptions: active, upstreams: topics.upstreamCount }),
    async close() {
      // Let each client receive the 1012 close frame before the server goes away (at most a second).
      const closing = [...wss.clients].map((client) => new Promise<void>((resolve) => {
        client.once('close', () => resolve());
        client.close(CLOSE.serviceRestart, 'Service restarting: reconnect');
      }));
      await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 1000).unref())]);
      await disposable.dispose();
      await upstream.close();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}
