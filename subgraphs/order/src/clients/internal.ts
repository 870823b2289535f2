import { internalSecret, signIdentity, subgraphUrl, type SubgraphName } from '@storefront/shared';

/** A peer subgraph did not answer usably (down, timed out, or a GraphQL error). */
export class PeerUnavailableError extends Error {
  constructor(readonly peer: string, message: string, options?: { cause?: unknown }) {
    super(`${peer}: ${message}`, options);
    this.name = 'PeerUnavailableError';
  }
}

export interface InternalCallOptions {
  /** The customer the order service acts for, when there is one (carried in the service identity). */
  userId?: string;
  timeoutMs?: number;
  secret?: string;
}

/**
 * Calls another subgraph's internal (@inaccessible) operations directly, as the order service:
 * GraphQL over HTTP to its own URL (read at each call, so in-process stacks can move it), signed
 * with a service identity. Never through the gateway, which does not expose these fields.
 */
export async function callInternal<T>(peer: SubgraphName, query: string, variables: Record<string, unknown>, options: InternalCallOptions = {}): Promise<T> {
  const headers = signIdentity({ roles: [], scopes: [], service: 'order', userId: options.userId }, options.secret ?? internalSecret());
  let response: Response;
  try {
    response = await fetch(subgraphUrl(peer), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw new PeerUnavailableError(peer, 'request failed', { cause: error });
  }
  if (!response.ok) throw new PeerUnavailableError(peer, `HTTP ${response.status}`);
  const body = (await response.json()) as { data?: T | null; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new PeerUnavailableError(peer, body.errors?.[0]?.message ?? 'empty response');
  return body.data;
}
