import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext, type GraphQLRequestContextWillSendResponse } from '@apollo/server';
import type { GatewayContext } from './context.ts';

interface Shared {
  data: Record<string, unknown>;
  policy: { maxAge: number; scope: 'PUBLIC' | 'PRIVATE' };
}

export interface CoalescingOptions {
  /** Whether this request's viewer may be given a public answer (sharesPublicAnswers). */
  shares(context: GatewayContext): boolean;
  /** Whether an answer this request fetched may still be shared (no catalog change since it started). */
  current(context: GatewayContext): boolean;
  /** Longest a follower waits for its leader before running the query itself (the subgraph timeout). */
  maxWaitMs: number;
  /** How many keys of cacheable queries to remember (least recently seen first out). */
  knownKeys?: number;
}

export interface Coalescing {
  plugin: ApolloServerPlugin<GatewayContext>;
  /** Whether this request was answered with another request's execution. */
  answeredByAnother(context: GatewayContext): boolean;
}

const keyOf = (rc: GraphQLRequestContext<GatewayContext>) => `${rc.operationName ?? ''}\u0000${rc.source}\u0000${JSON.stringify(rc.request.variables ?? {})}`;

/** The promise's value, or null once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Collapses concurrent cache misses of one query into one execution. When a popular cached answer expires (or a
 * CatalogChanged empties the cache), every shopper asking for it while it is being fetched would reach the
 * subgraphs (a stampede); instead the first one does and the others take its answer. Placed after the response
 * cache plugin, so it only sees misses.
 *
 * Only queries whose answer has been cacheable before take part: an identical query that never is (`me { cart }`
 * from many customers) is not held up behind another customer's. A follower whose leader's answer turns out not
 * shareable (errors, not public, fetched across a catalog change), or that waits longer than `maxWaitMs`, runs
 * the query itself.
 */
export function createCoalescing(options: CoalescingOptions): Coalescing {
  const known = new Map<string, true>();
  const knownKeys = options.knownKeys ?? 10_000;
  const inFlight = new Map<string, Promise<Shared | null>>();
  const followers = new WeakSet<GatewayContext>();

  const remember = (key: string) => {
    known.delete(key);
    known.set(key, true);
    if (known.size > knownKeys) known.delete(known.keys().next().value!);
  };

  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart({ contextValue }) {
      if (!options.shares(contextValue)) return;
      let key: string | null = null;
      let lead: ((shared: Shared | null) => void) | null = null;
      return {
        async responseForOperation(rc) {
          if (rc.operation.operation !== 'query') return null;
          key = keyOf(rc);
          if (!known.has(key)) return null;
          const flight = inFlight.get(key);
          if (!flight) {
            inFlight.set(key, new Promise<Shared | null>((resolve) => (lead = resolve)));
            return null;
          }
          const shared = await within(flight, options.maxWaitMs);
          if (!shared) return null;
          followers.add(rc.contextValue);
          rc.overallCachePolicy.replace(shared.policy);
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: shared.data } } };
        },
        async willSendResponse(rc) {
          if (key === null) return;
          const shared = shareableAnswer(rc.response.body, rc.overallCachePolicy.policyIfCacheable(), options.current(rc.contextValue));
          if (shared) remember(key);
          if (lead) {
            inFlight.delete(key);
            lead(shared);
            lead = null;
          }
        },
      };
    },
  };
  return { plugin, answeredByAnother: (context) => followers.has(context) };
}

type ResponseBody = GraphQLRequestContextWillSendResponse<GatewayContext>['response']['body'];

function shareableAnswer(body: ResponseBody, policy: Shared['policy'] | null, current: boolean): Shared | null {
  if (body.kind !== 'single' || !body.singleResult.data || body.singleResult.errors || policy?.scope !== 'PUBLIC' || !current) return null;
  return { data: body.singleResult.data, policy };
}
