import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, verifyIdentity, type Viewer } from '@storefront/shared';
import { cacheHintOf, SignedDataSource, type CacheHint } from './dataSource.ts';

const SECRET = 'data-source-test-secret-0123456789abcdef';
let server: http.Server;
let base: string;
let lastHeaders: http.IncomingHttpHeaders = {};
let lastBody: unknown;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      lastHeaders = req.headers;
      lastBody = raw ? JSON.parse(raw) : undefined;
      if (req.url === '/ok') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { hello: 'world' }, errors: [{ message: 'partial' }] }));
      } else if (req.url === '/public') {
        res.setHeader('content-type', 'application/json');
        res.setHeader('cache-control', 'public, max-age=5');
        res.end(JSON.stringify({ data: { hello: 'cacheable' } }));
      } else if (req.url === '/500') {
        res.statusCode = 500;
        res.end('boom');
      } else if (req.url === '/html') {
        res.setHeader('content-type', 'text/html');
        res.end('<html>proxy error</html>');
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('{}'), 2_000);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));

const viewer: Viewer = { userId: 'u-1', roles: ['CUSTOMER'], scopes: ['orders:read'] } as Viewer;

/** The hints each fetch gave the response's cache policy (Apollo's CachePolicy.restrict). */
let restricted: CacheHint[] = [];
const overallCachePolicy = { restrict: (hint: CacheHint) => void restricted.push(hint) };

function call(path: string, context: Record<string, unknown> = { viewer, requestId: 'req-1', clientIp: '203.0.113.9' }, timeoutMs = 1_000) {
  const source = new SignedDataSource('catalog', `${base}${path}`, SECRET, timeoutMs);
  restricted = [];
  return source.process({
    kind: 'incoming operation',
    request: { query: 'query Q($id: ID!) { product(id: $id) { id } }', variables: { id: 'p1' }, operationName: 'Q' },
    context,
    incomingRequestContext: { overallCachePolicy } as never,
  } as never);
}

describe('SignedDataSource', () => {
  it('posts the operation with the viewer signed, the request id and the client address, and returns the body as is', async () => {
    const response = await call('/ok');
    expect(response).toEqual({ data: { hello: 'world' }, errors: [{ message: 'partial' }] });
    expect(lastBody).toEqual({ query: 'query Q($id: ID!) { product(id: $id) { id } }', variables: { id: 'p1' }, operationName: 'Q' });
    expect(lastHeaders['content-type']).toBe('application/json');
    expect(lastHeaders['x-request-id']).toBe('req-1');
    expect(lastHeaders['x-forwarded-for']).toBe('203.0.113.9');
    const verified = verifyIdentity((name) => lastHeaders[name] as string | undefined, SECRET);
    expect(verified).toMatchObject({ ok: true, viewer: { userId: 'u-1', roles: ['CUSTOMER'] } });
  });

  it("narrows the response's cache policy to the subgraph's Cache-Control, and to uncacheable without one", async () => {
    await call('/public');
    expect(restricted).toEqual([{ maxAge: 5, scope: 'PUBLIC' }]);
    await call('/ok');
    expect(restricted).toEqual([{ maxAge: 0 }]);
  });

  it('reads Cache-Control headers as Apollo does', () => {
    expect(cacheHintOf('max-age=60, private')).toEqual({ maxAge: 60, scope: 'PRIVATE' });
    expect(cacheHintOf('public,max-age=3')).toEqual({ maxAge: 3, scope: 'PUBLIC' });
    expect(cacheHintOf('public, max-age=abc')).toEqual({ maxAge: 0, scope: 'PUBLIC' });
    expect(cacheHintOf('no-store')).toEqual({ maxAge: 0 });
    expect(cacheHintOf('public, max-age=5, no-cache')).toEqual({ maxAge: 0 });
    expect(cacheHintOf(undefined)).toEqual({ maxAge: 0 });
  });

  it('signs the anonymous viewer when the context has none', async () => {
    await call('/ok', {});
    const verified = verifyIdentity((name) => lastHeaders[name] as string | undefined, SECRET);
    expect(verified).toEqual({ ok: true, viewer: ANONYMOUS });
  });

  it('turns a non-2xx answer into SUBGRAPH_ERROR naming the subgraph', async () => {
    await expect(call('/500')).rejects.toMatchObject({ message: 'Subgraph "catalog" answered HTTP 500', extensions: { code: 'SUBGRAPH_ERROR', serviceName: 'catalog' } });
  });

  it('turns a body that is not a GraphQL response into SUBGRAPH_ERROR', async () => {
    await expect(call('/html')).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_ERROR', serviceName: 'catalog' } });
  });

  it('turns a refused connection and a timeout into SUBGRAPH_UNAVAILABLE', async () => {
    const refused = new SignedDataSource('order', 'http://127.0.0.1:1/graphql', SECRET, 1_000);
    await expect(refused.process({ kind: 'incoming operation', request: { query: '{ a }' }, context: {}, incomingRequestContext: {} } as never))
      .rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'order' } });
    const started = Date.now();
    await expect(call('/slow', {}, 200)).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'catalog' } });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("sends a query's _entities fetches for shoppers through the entity cache, and nothing else", async () => {
    let cached = 0;
    restricted = [];
    const entityCaching = {
      cache: {
        stats: () => ({ hits: 0, misses: 0 }),
        fetch: async (_service: string, _query: string, variables: Record<string, unknown>, send: (v: Record<string, unknown>) => Promise<any>) => {
          cached += 1;
          return send(variables);
        },
      },
      shares: (v: Viewer) => v.roles.includes('CUSTOMER'),
    };
    const source = new SignedDataSource('inventory', `${base}/public`, SECRET, 1_000, entityCaching);
    const fetchEntities = (operation: string, who: Viewer = viewer, representations: unknown = [{ __typename: 'Variant', id: 'v1' }]) =>
      source.process({
        kind: 'incoming operation',
        request: { query: 'query($representations:[_Any!]!){_entities(representations:$representations){__typename}}', variables: { representations } },
        context: { viewer: who },
        // A subscription event's plan runs with a request context of its own, without an operation.
        incomingRequestContext: { overallCachePolicy, ...(operation === 'subscription event' ? {} : { operation: { operation } }), request: { variables: {} }, source: '{ x }' },
      } as never);
    await fetchEntities('query');
    expect(restricted).toEqual([{ maxAge: 5, scope: 'PUBLIC' }]);
    expect(cached).toBe(1);
    // Never for mutations, subscription events, staff, or a fetch that is not an entity fetch.
    await fetchEntities('mutation');
    await fetchEntities('subscription event');
    await fetchEntities('query', { userId: 'staff', roles: ['SUPPORT'], scopes: [] } as unknown as Viewer);
    await fetchEntities('query', viewer, null);
    expect(cached).toBe(1);
  });
});
