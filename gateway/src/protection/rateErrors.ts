import { limitError } from './limits.ts';

/** The code of every rate limit refusal; `extensions.limit` says which limit. */
export const RATE_LIMITED = 'RATE_LIMITED';

/** Whole seconds to wait (at least 1), as Retry-After and the errors state it. */
export const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export const ipRateMessage = (limit: number, windowMs: number) => `Rate limit of ${limit} requests per ${seconds(windowMs)}s exceeded for this address`;

export const clientRateMessage = (limit: number, windowMs: number) => `Rate limit of ${limit} operations per ${seconds(windowMs)}s exceeded for this API client`;

export const costBudgetError = (budget: number, windowMs: number, cost: number, retryAfterSeconds: number, extra: Record<string, unknown> = {}) =>
  limitError(`Cost budget of ${budget} per ${seconds(windowMs)}s used up by this API client; this operation costs ${cost}.`, 'costBudget', budget, {
    code: RATE_LIMITED,
    cost,
    retryAfterSeconds,
    ...extra,
  });
