import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { Agent } from 'undici';
import { ANONYMOUS, signIdentity, type Viewer } from '@storefront/shared';
import type { GatewayContext } from './context.ts';
import type { EntityCache, SubgraphAnswer } from './entityCache.ts';

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;
/** What CachePolicy.restrict takes (@apollo/cache-control-types' CacheHint). */
export interface CacheHint {
  maxAge?: number;
  scope?: 'PUBLIC' | 'PRIVATE';
}

export interface EntityCaching {
  cache: EntityCache;
  /** Whether this viewer may be given public answers (sharesPublicAnswers). */
  shares(viewer: Viewer): boolean;
}

/** One keep-alive connection pool for all subgraph traffic from this process. */
const agent = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, connections: 128, pipelining: 1 });

/**
 * Sends each subgraph fetch with the caller's identity signed by the gateway, the request id and the client
 * address, over pooled keep-alive connections. A subgraph that cannot be reached becomes an error naming it,
 * and the rest of the response still comes back.
 *
 * This is a GraphQLDataSource of its own rather than a RemoteGraphQLDataSource: that class goes through WHATWG
 * fetch (a Request built twice, headers copied three times, the body read through a web stream), which was the
 * largest part of the gateway's own CPU time per request. undici's `request` writes and reads the socket directly.
 */
export class SignedDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly origin: string;
  private readonly path: string;

  /** With `entityCaching`, a query's `_entities` fetches for viewers who share public answers go through the entity cache. */
  constructor(
    readonly serviceName: string,
    readonly url: string,
    private readonly secret: string,
    private readonly timeoutMs: number,
    private readonly entityCaching: EntityCaching | null = null,
  ) {
    const parsed = new URL(url);
    this.origin = parsed.origin;
    this.path = `${parsed.pathname}${parsed.search}`;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const context: Partial<GatewayContext> = 'context' in options ? options.context : {};
    const query = request.query;
    if (!query) throw new Error('Missing query');
    const variables = request.variables ?? {};
    const send = (sent: Record<string, unknown>) => this.send(context, { query, variables: sent, operationName: request.operationName, extensions: request.extensions });
    // Only a query's entities: after a mutation, or for a subscription event, they are read fresh.
    const incoming = 'incomingRequestContext' in options && options.incomingRequestContext.operation?.operation === 'query' ? options.incomingRequestContext : null;
    const caching = this.entityCaching;
    const answer =
      caching && incoming && Array.isArray(variables.representations) && caching.shares(context.viewer ?? ANONYMOUS)
        ? await caching.cache.fetch(this.serviceName, query, variables, send)
        : await send(variables);
    // As RemoteGraphQLDataSource does: each fetch narrows the response's cache policy to what its subgraph
    // allows, and a fetch without a Cache-Control header makes the whole response uncacheable.
    // Subscription events run their plans outside Apollo Server, with no policy to narrow.
    if ('incomingRequestContext' in options) {
      (options.incomingRequestContext.overallCachePolicy as typeof options.incomingRequestContext.overallCachePolicy | undefined)?.restrict(answer.hint);
    }
    return answer.body as GatewayGraphQLResponse;
  }

  /** One POST to the subgraph: its parsed answer and Cache-Control, or a GraphQLError naming it. */
  private async send(context: Partial<GatewayContext>, request: { query: string; variables: Record<string, unknown>; operationName?: string; extensions?: unknown }): Promise<SubgraphAnswer> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...signIdentity(context.viewer ?? ANONYMOUS, this.secret) };
    if (context.requestId) headers['x-request-id'] = context.requestId;
    if (context.clientIp) headers['x-forwarded-for'] = context.clientIp;
    const body = JSON.stringify(request);

    let status: number;
    let text: string;
    let cacheControl: string | string[] | undefined;
    try {
      const res = await agent.request({
        origin: this.origin, path: this.path, method: 'POST', headers, body,
        headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.statusCode;
      cacheControl = res.headers['cache-control'];
      text = await res.body.text();
    } catch {
      throw new GraphQLError(`Subgraph "${this.serviceName}" is unavailable`, {
        extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: this.serviceName },
      });
    }
    if (status < 200 || status >= 300) {
      throw new GraphQLError(`Subgraph "${this.serviceName}" answered HTTP ${status}`, {
        extensions: { code: 'SUBGRAPH_ERROR', serviceName: this.serviceName },
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new GraphQLError(`Subgraph "${this.serviceName}" answered with something other than a GraphQL response`, {
        extensions: { code: 'SUBGRAPH_ERROR', serviceName: this.serviceName },
      });
    }
    return { body: parsed as SubgraphAnswer['body'], hint: cacheHintOf(cacheControl) };
  }
}

/** The hint a subgraph's Cache-Control header gives: `public, max-age=5` is {maxAge: 5, scope: PUBLIC}; none is {maxAge: 0}. */
export function cacheHintOf(header: string | string[] | undefined): CacheHint {
  const hint: CacheHint = { maxAge: 0 };
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return hint;
  for (const directive of value.toLowerCase().split(',')) {
    const [name, arg] = directive.trim().split('=');
    if (name === 'max-age' && arg !== undefined && /^\d+$/.test(arg)) hint.maxAge = Number(arg);
    else if (name === 'private') hint.scope = 'PRIVATE';
    else if (name === 'public') hint.scope = 'PUBLIC';
    else if (name === 'no-store' || name === 'no-cache') return { maxAge: 0 };
  }
  return hint;
}
