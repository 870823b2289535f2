import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { verifyIdentity } from '../auth/internalSignature.ts';
import type { Logger } from '../log.ts';
import type { BaseRequestContext } from './context.ts';

/**
 * Serves a subgraph's Subscription fields over graphql-ws on the same path as HTTP. Only the
 * gateway (or a service) may connect: `connection_init`'s payload must carry the same signed
 * identity headers as an HTTP request, else the socket closes with 4403.
 */
export function attachSubscriptions(options: {
  httpServer: http.Server;
  schema: GraphQLSchema;
  secret: string;
  log: Logger;
  createContext: (base: BaseRequestContext) => unknown;
  path?: string;
}) {
  const wss = new WebSocketServer({ server: options.httpServer, path: options.path ?? '/graphql' });
  const server = useServer(
    {
      schema: options.schema,
      onConnect: (ctx) => {
        const payload = (ctx.connectionParams ?? {}) as Record<string, string>;
        const verified = verifyIdentity((h) => payload[h], options.secret);
        if (!verified.ok) return false;
        (ctx.extra as any).viewer = verified.viewer;
        return true;
      },
      context: (ctx) => {
        const requestId = randomUUID();
        return options.createContext({ requestId, viewer: (ctx.extra as any).viewer, log: options.log.child({ requestId }) }) as any;
      },
    },
    wss,
  );
  return {
    async close() {
      for (const client of wss.clients) client.close(1001, 'Going away');
      await server.dispose();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}
