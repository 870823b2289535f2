import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { Agent, fetch as undiciFetch } from 'undici';
import { signIdentity } from '@storefront/shared';
import type { GatewayContext } from './context.ts';

/** One keep-alive connection pool for all subgraph traffic from this process. */
const agent = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, connections: 128 });

/**
 * Sends each subgraph fetch with the caller's identity signed by the gateway, the request id and
 * the client address, over pooled keep-alive connections. A subgraph that cannot be reached
 * becomes an error naming it, and the rest of the response still comes back.
 */
export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(readonly serviceName: string, url: string, private readonly secret: string, timeoutMs: number) {
    super({
      url,
      fetcher: ((input: string, init: any) =>
        undiciFetch(input, { ...init, dispatcher: agent, signal: AbortSignal.timeout(timeoutMs) })) as any,
    });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const headers = request.http!.headers;
    const signed = signIdentity(context.viewer, this.secret);
    for (const [name, value] of Object.entries(signed)) headers.set(name, value);
    if (context.requestId) headers.set('x-request-id', context.requestId);
    if (context.clientIp) headers.set('x-forwarded-for', context.clientIp);
  }

  override didEncounterError(error: Error): never {
    if (error instanceof GraphQLError && error.extensions?.response) {
      const status = (error.extensions.response as { status?: number }).status;
      throw new GraphQLError(`Subgraph "${this.serviceName}" answered HTTP ${status}`, {
        extensions: { code: 'SUBGRAPH_ERROR', serviceName: this.serviceName },
      });
    }
    throw new GraphQLError(`Subgraph "${this.serviceName}" is unavailable`, {
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: this.serviceName },
    });
  }
}
