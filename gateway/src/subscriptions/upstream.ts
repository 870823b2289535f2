import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { ExecutionResult } from 'graphql';
import { signIdentity, type Viewer } from '@storefront/shared';

/** Disposing a client mid-connect rejects with the socket's CloseEvent; that must not become an unhandled rejection. */
const disposeQuietly = (client: Client) => Promise.resolve().then(() => client.dispose()).catch(() => {});

/**
 * graphql-ws connections from the gateway to subgraphs, one per (subgraph, identity), opened on
 * demand and closed when their last subscription ends. Each connection's `connection_init`
 * carries the subscriber's identity signed by the gateway, freshly signed on every (re)connect,
 * and the client retries forever so a restarted subgraph gets its subscriptions back.
 */
export class UpstreamConnections {
  private readonly clients = new Map<string, { client: Client; refs: number }>();

  constructor(private readonly urls: Record<string, string>, private readonly secret: string) {}

  subscribe(
    serviceName: string,
    viewer: Viewer,
    request: { query: string; variables: Record<string, unknown>; operationName?: string },
    sink: { next(value: ExecutionResult): void; error(error: unknown): void; complete(): void },
  ): () => void {
    const key = `${serviceName}\n${viewer.userId ?? ''}\n${viewer.clientId ?? ''}\n${viewer.roles.join(',')}\n${viewer.scopes.join(',')}`;
    let entry = this.clients.get(key);
    if (!entry) {
      const url = this.urls[serviceName].replace(/^http/, 'ws');
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        lazy: true,
        lazyCloseTimeout: 1000,
        connectionParams: () => signIdentity(viewer, this.secret),
        retryAttempts: Number.POSITIVE_INFINITY,
        shouldRetry: () => true,
        retryWait: async (retries) => new Promise((r) => setTimeout(r, Math.min(200 * 2 ** retries, 5000))),
      });
      entry = { client, refs: 0 };
      this.clients.set(key, entry);
    }
    entry.refs += 1;
    const stop = entry.client.subscribe(request, sink as any);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      stop();
      entry!.refs -= 1;
      if (entry!.refs === 0) {
        this.clients.delete(key);
        disposeQuietly(entry!.client);
      }
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((e) => disposeQuietly(e.client)));
    this.clients.clear();
  }
}
