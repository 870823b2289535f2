import { userError, type UserError } from '@storefront/shared';
import type { PaymentContext } from '../context.ts';
import type { CardDetails, CardInput } from './cards.ts';
import type { PaymentErrorCode } from './payments.ts';

export interface TokenizePayload {
  token: string | null;
  card: CardDetails | null;
  userErrors: UserError<PaymentErrorCode>[];
}

/**
 * Hands the card to the provider and returns its token. The input is never logged, stored or
 * echoed: errors name the field, not the value.
 */
export async function tokenizeCard(ctx: PaymentContext, input: CardInput): Promise<TokenizePayload> {
  const result = await ctx.provider.tokenize(input, { userId: ctx.viewer.userId });
  if (!result.ok) return { token: null, card: null, userErrors: [userError(result.code, result.message, ['input', result.field])] };
  return { token: result.token, card: result.card, userErrors: [] };
}
