import { internalSecret, signIdentity } from './internalSignature.ts';
import { subgraphUrl, type SubgraphName } from '../services.ts';
import type { Viewer } from './viewer.ts';

/** A sibling subgraph did not answer usably (down, timed out, HTTP or GraphQL error): the outcome is unknown. */
export class ServiceUnavailableError extends Error {
  constructor(readonly service: SubgraphName, message: string, options?: { cause?: unknown }) {
    super(`${service}: ${message}`, options);
    this.name = 'ServiceUnavailableError';
  }
}

export interface ServiceClientOptions {
  /** The calling service's name, carried in the signed identity. */
  service: string;
  secret?: string;
  timeoutMs?: number;
  /** Fixed peer URLs; otherwise `<NAME>_URL` or the default, read at each call so a moved peer is found. */
  urls?: Partial<Record<SubgraphName, string>>;
}

/**
 * Service-to-service calls: GraphQL over HTTP straight to a sibling subgraph (never through the
 * gateway, which does not expose internal fields), signed like the gateway signs, with a service
 * identity that may act for a customer (`userId`).
 */
export function createServiceClient(options: ServiceClientOptions) {
  const secret = options.secret ?? internalSecret();
  const timeoutMs = options.timeoutMs ?? 15_000;
  return async function call<T>(peer: SubgraphName, query: string, variables: Record<string, unknown> = {}, userId?: string): Promise<T> {
    const viewer: Viewer = { roles: [], scopes: [], service: options.service, ...(userId ? { userId } : {}) };
    let response: Response;
    try {
      response = await fetch(options.urls?.[peer] ?? subgraphUrl(peer), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signIdentity(viewer, secret) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ServiceUnavailableError(peer, 'request failed', { cause: error });
    }
    if (!response.ok) throw new ServiceUnavailableError(peer, `HTTP ${response.status}`);
    const body = (await response.json()) as { data?: T | null; errors?: { message: string }[] };
    if (body.errors?.length || !body.data) throw new ServiceUnavailableError(peer, body.errors?.[0]?.message ?? 'no data');
    return body.data;
  };
}

export type ServiceClient = ReturnType<typeof createServiceClient>;
