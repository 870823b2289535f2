import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { createClient, type Client, type SubscribePayload } from 'graphql-ws';

/** A JWKS endpoint with one RS256 key, and access tokens signed with it (issuer and audience as the gateway expects). */
/** The purpose-built "order" subgraph of the WebSocket tests: it owns a Subscription of Tick entities. */
export const ORDER_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { ping: String }
  type Subscription { ticks(topic: String!): Tick! }
  type Tick @key(fields: "id") { id: ID! n: Int! }
`;

export async function startJwks() {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const server = createServer((_req, res) => res.end(JSON.stringify({ keys: [{ ...keys.publicKey.export({ format: 'jwk' }), kid: 'k1' }] })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    token: (sub: string, expiresIn: number | string = '15m', claims: { roles?: string[]; scope?: string } = {}) =>
      jwt.sign({ sub, roles: ['CUSTOMER'], scope: 'orders:read', ...claims }, keys.privateKey, { algorithm: 'RS256', keyid: 'k1', issuer: 'storefront-identity', audience: 'storefront', expiresIn: expiresIn as any }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A `ws` WebSocket that sends extra headers with its upgrade request (e.g. X-Forwarded-For, as a proxy would). */
const withHeaders = (headers: Record<string, string>) =>
  class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  };

export interface Connection {
  client: Client;
  closed: { code?: number; reason?: string };
  state: { connected: boolean };
}

/** A graphql-ws client that connects at once and does not retry; `opened` collects clients to dispose. */
export function connect(url: string, connectionParams: Record<string, unknown>, opened: Client[], headers: Record<string, string> = {}): Connection {
  const closed: Connection['closed'] = {};
  const state = { connected: false };
  const client = createClient({
    url,
    webSocketImpl: Object.keys(headers).length ? withHeaders(headers) : WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    on: { closed: (e: any) => Object.assign(closed, { code: e.code, reason: e.reason }), connected: () => void (state.connected = true) },
  });
  opened.push(client);
  return { client, closed, state };
}

export interface Collected {
  results: any[];
  errors: any[];
  done: { value: boolean };
  stop: () => void;
}

/** Subscribes (any operation type) and keeps what arrives; `errors` holds the error payloads (arrays of GraphQL errors). */
export function collect(client: Client, payload: SubscribePayload): Collected {
  const results: any[] = [];
  const errors: any[] = [];
  const done = { value: false };
  const stop = client.subscribe(payload, {
    next: (r) => void results.push(r),
    error: (e) => {
      errors.push(e);
      done.value = true;
    },
    complete: () => void (done.value = true),
  });
  return { results, errors, done, stop };
}

export { waitUntil as until } from '@storefront/shared/testing';
