import { unauthenticated, userError, type UserError } from '@storefront/shared';
import type { IdentityErrorCode } from '../generated/graphql.ts';
import type { IdentityContext } from '../context.ts';
import { limitKey, retryMessage, type RateDecision, type RateRule } from './rateLimit.ts';

export type IdentityUserError = UserError<IdentityErrorCode>;

export const fail = (code: IdentityErrorCode, message: string, field?: string[]): IdentityUserError => userError(code, message, field);

export const rateLimited = (retryAfterSeconds: number) => ({
  retryAfterSeconds,
  userErrors: [fail('RATE_LIMITED', retryMessage(retryAfterSeconds))],
});

/** Consumes one attempt from each (key, rule) in order; the first refusal wins. */
export async function checkLimits(ctx: IdentityContext, checks: [key: string, rule: RateRule][]): Promise<Extract<RateDecision, { allowed: false }> | null> {
  for (const [key, rule] of checks) {
    const decision = await ctx.limiter.consume(key, rule);
    if (!decision.allowed) {
      ctx.log.warn({ limit: key.slice(0, key.lastIndexOf(':')), clientIp: ctx.clientIp }, 'rate limit hit');
      return decision;
    }
  }
  return null;
}

/** The signed-in user's id; partner clients and anonymous callers have none. */
export function requireUserId(ctx: IdentityContext): string {
  if (!ctx.viewer.userId) throw unauthenticated();
  return ctx.viewer.userId;
}

export const isUniqueViolation = (e: unknown) => (e as { code?: string })?.code === 'P2002';

/** Trimmed text within bounds, or an error for that field. */
export function text(value: string, field: string, max: number, min = 1): { value: string } | { error: IdentityUserError } {
  const v = value.trim().normalize('NFC');
  if (v.length < min) return { error: fail('INVALID_INPUT', `${field} must not be empty.`, [field]) };
  if (v.length > max) return { error: fail('INVALID_INPUT', `${field} must be at most ${max} characters.`, [field]) };
  return { value: v };
}

/** Password checks per account since the last success, shared by login, changePassword and email changes. */
export const passwordKey = (normalizedEmail: string) => limitKey('pwcheck', normalizedEmail);
