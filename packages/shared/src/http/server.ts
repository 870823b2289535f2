import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handle(req: IncomingMessage, res: ServerResponse, rawBody: Buffer): unknown;
}

export interface HttpAppOptions<Ctx extends BaseContext> {
  apollo: ApolloServer<Ctx>;
  graphqlPath?: string;
  /** Builds the GraphQL context; may throw an HttpError to refuse the request before execution. */
  context: (req: IncomingMessage, res: ServerResponse) => Promise<Ctx>;
  routes?: Route[];
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
  /** Called before anything else; returning true means the hook answered the request itself. */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /**
   * Called with the context and the parsed request (POST body, or the query string of a GET) just
   * before Apollo runs it; may throw an HttpError (429, 400, ...) to refuse it with that status.
   */
  beforeExecute?: (req: IncomingMessage, res: ServerResponse, request: { search: string; body: unknown }, context: Ctx) => void | Promise<void>;
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly code: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

const sendError = (res: ServerResponse, e: HttpError) =>
  sendJson(res, e.status, { errors: [{ message: e.message, extensions: { code: e.code } }] }, e.headers);

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new HttpError(413, `Request body larger than ${limit} bytes`, 'PAYLOAD_TOO_LARGE'));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        reject(new HttpError(413, `Request body larger than ${limit} bytes`, 'PAYLOAD_TOO_LARGE'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(req: IncomingMessage, raw: Buffer): unknown {
  if (req.method !== 'POST' || raw.length === 0) return undefined;
  const type = String(req.headers['content-type'] ?? '');
  if (!type.includes('json')) return raw.toString('utf8');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'Malformed JSON in request body', 'BAD_REQUEST');
  }
}

/** A node:http server that serves Apollo at one path plus a few plain routes (health, JWKS, webhooks). */
export function createHttpApp<Ctx extends BaseContext>(options: HttpAppOptions<Ctx>): http.Server {
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const routes = new Map((options.routes ?? []).map((r) => [`${r.method} ${r.path}`, r]));

  const server = http.createServer(async (req, res) => {
    try {
      if (options.intercept && (await options.intercept(req, res))) return;
      const q = req.url!.indexOf('?');
      const path = q === -1 ? req.url! : req.url!.slice(0, q);
      const search = q === -1 ? '' : req.url!.slice(q);
      const route = routes.get(`${req.method} ${path}`);
      if (route) {
        const raw = req.method === 'POST' ? await readBody(req, bodyLimit) : Buffer.alloc(0);
        await route.handle(req, res, raw);
        return;
      }
      if (path !== graphqlPath) return sendJson(res, 404, { error: 'not found' });
      // Built before Apollo sees the request, so a refusal (HttpError) keeps its own status code.
      const context = await options.context(req, res);
      const raw = await readBody(req, bodyLimit);
      const body = parseBody(req, raw);
      if (options.beforeExecute) await options.beforeExecute(req, res, { search, body }, context);
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const response = await options.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method!.toUpperCase(), headers, search, body },
        context: async () => context,
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      if (res.headersSent) return void res.destroy();
      const e = error instanceof HttpError ? error : (error as any)?.cause instanceof HttpError ? (error as any).cause : null;
      if (e) return sendError(res, e);
      sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    }
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

export async function listen(server: http.Server, port: number, host = process.env.HOST ?? '127.0.0.1'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.address;
  return `http://${shownHost}:${address.port}`;
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections?.();
    setTimeout(() => server.closeAllConnections?.(), 2000).unref();
  });
}
