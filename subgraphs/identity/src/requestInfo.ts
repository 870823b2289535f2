import { AsyncLocalStorage } from 'node:async_hooks';
import type http from 'node:http';

/**
 * The shared createSubgraphServer hands createContext only the base context (no request), so the
 * client IP is carried from the HTTP request to the GraphQL context through AsyncLocalStorage.
 */
export interface RequestInfo {
  clientIp: string;
}

const store = new AsyncLocalStorage<RequestInfo>();

export const UNKNOWN_IP = 'unknown';

/**
 * The client address as the gateway saw it. The gateway appends (or sets) X-Forwarded-For, so the
 * last entry is the one it wrote; anything before it came from the client and could be forged.
 */
export function clientIpOf(req: Pick<http.IncomingMessage, 'headers'>): string {
  const header = req.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header;
  const last = value?.split(',').map((s) => s.trim()).filter(Boolean).pop();
  return last && last.length <= 64 ? last : UNKNOWN_IP;
}

export const currentRequestInfo = (): RequestInfo => store.getStore() ?? { clientIp: UNKNOWN_IP };

/** Runs every 'request' listener of the server inside a store holding that request's info. */
export function captureRequestInfo(server: http.Server): void {
  const listeners = server.listeners('request') as ((req: http.IncomingMessage, res: http.ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) =>
    store.run({ clientIp: clientIpOf(req) }, () => {
      for (const listener of listeners) listener.call(server, req, res);
    }),
  );
}
