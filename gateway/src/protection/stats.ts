import type { GraphQLError } from 'graphql';
import { LIMIT_NAMES, type LimitName } from './limits.ts';

/** What the protection layer refused or flagged, over HTTP and WebSocket alike. */
export interface ProtectionStats {
  persistedQueries: {
    lists: string[];
    loads: number;
    /** Operations outside the caller's list: let through (LOG_UNKNOWN) or refused. */
    unknown: number;
    rejected: Record<string, number>;
    /** Unknown operations per caller: a partner's clientId, or "first-party". */
    unknownByClient: Record<string, number>;
  };
  rateLimited: { ip: number; authFailures: number; client: number; costBudget: number };
  limits: Record<LimitName, number>;
  batchesRejected: number;
}

export const emptyStats = (): ProtectionStats => ({
  persistedQueries: { lists: [], loads: 0, unknown: 0, rejected: {}, unknownByClient: {} },
  rateLimited: { ip: 0, authFailures: 0, client: 0, costBudget: 0 },
  limits: Object.fromEntries(LIMIT_NAMES.map((n) => [n, 0])) as Record<LimitName, number>,
  batchesRejected: 0,
});

/** Counts an error that names an operation limit (`extensions.limit`); a used-up cost budget is also a rate limit. */
export function countLimitError(stats: ProtectionStats, error: Pick<GraphQLError, 'extensions'>): void {
  const limit = error.extensions?.limit;
  if (typeof limit !== 'string' || !(limit in stats.limits)) return;
  stats.limits[limit as LimitName] += 1;
  if (limit === 'costBudget') stats.rateLimited.costBudget += 1;
}
