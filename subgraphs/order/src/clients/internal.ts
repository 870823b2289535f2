import { createServiceClient, ServiceUnavailableError, type SubgraphName } from '@storefront/shared';

/** A peer subgraph did not answer usably (down, timed out, or a GraphQL error). */
export { ServiceUnavailableError as PeerUnavailableError };

export interface InternalCallOptions {
  /** The customer the order service acts for, when there is one (carried in the service identity). */
  userId?: string;
  timeoutMs?: number;
  secret?: string;
}

/**
 * Calls another subgraph's internal (@inaccessible) operations directly, as the order service,
 * through the shared signed service client. Never through the gateway, which does not expose them.
 */
export function callInternal<T>(peer: SubgraphName, query: string, variables: Record<string, unknown>, options: InternalCallOptions = {}): Promise<T> {
  const call = createServiceClient({ service: 'order', secret: options.secret, timeoutMs: options.timeoutMs ?? 10_000 });
  return call<T>(peer, query, variables, options.userId);
}
