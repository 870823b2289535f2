import type { ApolloServerPlugin } from '@apollo/server';
import type { BaseRequestContext } from './context.ts';

/**
 * Marks a response as the same for every viewer and good for `ms` more (whole seconds, rounded down: under a
 * second marks nothing). The gateway caches a response only when every subgraph it asked said so, and for the
 * shortest of their max-ages; without this header a subgraph's answer is never cached.
 */
export function setPublicMaxAge(headers: { set(name: string, value: string): unknown }, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  if (seconds > 0) headers.set('cache-control', `public, max-age=${seconds}`);
}

/**
 * For a subgraph whose queries answer every non-service viewer alike: successful queries from such viewers leave
 * marked public for `maxAgeMs`. Service callers (checkout reading stock, say) are never marked, nor are
 * mutations or answers with errors. Per request, no per-field hooks.
 */
export function publicQueriesPlugin<Ctx extends BaseRequestContext>(maxAgeMs: number): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart({ contextValue }) {
      if (maxAgeMs < 1000 || contextValue.viewer.service !== undefined) return;
      return {
        async willSendResponse({ operation, response }) {
          if (operation?.operation !== 'query' || response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (data && !errors) setPublicMaxAge(response.http.headers, maxAgeMs);
        },
      };
    },
  };
}
