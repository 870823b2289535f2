import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { PaymentDb } from '../db.ts';
import { checkCard, isExpired, type CardDetails, type CardErrorCode, type CardInput } from './cards.ts';

/**
 * What the payment subgraph needs from a payment service provider (PSP). Amounts are integer minor
 * units. Every call is idempotent per `idempotencyKey` at the provider, so a retry after a timeout
 * cannot charge twice. A call that does not answer in time throws ProviderTimeoutError: its
 * outcome is unknown, and the caller retries with the same key or gives up.
 */
export interface PaymentProvider {
  readonly name: string;
  /** Card data in, a token out. Stands in for the PSP's client-side library. */
  tokenize(card: CardInput, options?: { userId?: string }): Promise<TokenizeResult>;
  authorize(request: AuthorizeRequest): Promise<AuthorizeResult>;
  capture(request: OperationRequest & { amount: number; currency: string }): Promise<OperationResult>;
  void(request: OperationRequest): Promise<OperationResult>;
  refund(request: OperationRequest & { amount: number; currency: string }): Promise<OperationResult>;
}

export type TokenizeResult =
  | { ok: true; token: string; card: CardDetails }
  | { ok: false; code: CardErrorCode; field: string; message: string };

export interface AuthorizeRequest {
  token: string;
  amount: number;
  currency: string;
  idempotencyKey: string;
  /** The paying user: a token tokenized by a signed-in user pays only for that user. */
  userId: string;
}

export type AuthorizeResult =
  | { approved: true; providerRef: string; card: CardDetails }
  | {
      approved: false;
      /** The provider's reason, e.g. insufficient_funds, processing_error, invalid_token, expired_card. */
      declineCode: string;
      /** True when the same card may succeed on a retry (a provider fault rather than a decline). */
      retryable: boolean;
      providerRef: string | null;
      card: CardDetails | null;
    };

export interface OperationRequest {
  /** The authorization's reference. */
  providerRef: string;
  idempotencyKey: string;
}

export type OperationResult = { ok: true; providerRef: string } | { ok: false; code: string; retryable: boolean };

export class ProviderTimeoutError extends Error {
  constructor(operation: string, ms: number) {
    super(`payment provider did not answer ${operation} within ${ms}ms`);
    this.name = 'ProviderTimeoutError';
  }
}

/**
 * The simulated provider's test tokens, accepted wherever a token is expected:
 * - `tok_success`: approved (a VISA ending 4242).
 * - `tok_insufficient_funds`: declined with `insufficient_funds` (not retryable).
 * - `tok_processing_error`: fails with `processing_error` (a provider fault; retryable).
 * - `tok_timeout`: the call throws ProviderTimeoutError after `timeoutMs`.
 * Tokens issued by tokenize() behave like `tok_success` until the card expires.
 */
export const TEST_TOKENS = {
  success: 'tok_success',
  insufficientFunds: 'tok_insufficient_funds',
  processingError: 'tok_processing_error',
  timeout: 'tok_timeout',
} as const;

const TEST_CARDS: Record<string, CardDetails> = {
  [TEST_TOKENS.success]: { brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2030 },
  [TEST_TOKENS.insufficientFunds]: { brand: 'VISA', last4: '9995', expMonth: 12, expYear: 2030 },
  [TEST_TOKENS.processingError]: { brand: 'VISA', last4: '0119', expMonth: 12, expYear: 2030 },
  [TEST_TOKENS.timeout]: { brand: 'VISA', last4: '0341', expMonth: 12, expYear: 2030 },
};

const DEV_FINGERPRINT_SECRET = 'storefront-development-only-card-fingerprint-secret';

/** Key of the card fingerprint HMAC: CARD_FINGERPRINT_SECRET, required in production. */
export function fingerprintSecret(env: NodeJS.ProcessEnv = process.env): string {
  const secret = env.CARD_FINGERPRINT_SECRET;
  if (secret) return secret;
  if (env.NODE_ENV === 'production') throw new Error('CARD_FINGERPRINT_SECRET must be set in production');
  return DEV_FINGERPRINT_SECRET;
}

export interface SimulatedProviderOptions {
  /** How long tok_timeout makes a call hang before it throws. */
  timeoutMs?: number;
  fingerprintSecret?: string;
  now?: () => Date;
}

const ref = (prefix: string, idempotencyKey: string) => `${prefix}_${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A provider that runs in-process: tokens it issues live in the CardToken table (brand, last four,
 * expiry and a keyed fingerprint; never the number or the CVC). References are derived from the
 * idempotency key, as a real PSP's idempotent replay would return the same reference.
 */
export function createSimulatedProvider(db: Pick<PaymentDb, 'cardToken'>, options: SimulatedProviderOptions = {}): PaymentProvider {
  const timeoutMs = options.timeoutMs ?? 200;
  const secret = options.fingerprintSecret ?? fingerprintSecret();
  const now = options.now ?? (() => new Date());

  return {
    name: 'simulated',

    async tokenize(input, { userId } = {}) {
      const checked = checkCard(input, now());
      if (!checked.ok) return checked;
      const token = `tok_${randomBytes(16).toString('hex')}`;
      const fingerprint = createHmac('sha256', secret).update(checked.digits).digest('hex');
      await db.cardToken.create({ data: { token, ...checked.card, fingerprint, userId: userId ?? null } });
      return { ok: true, token, card: checked.card };
    },

    async authorize({ token, idempotencyKey, userId }) {
      const providerRef = ref('sim_auth', idempotencyKey);
      switch (token) {
        case TEST_TOKENS.success:
          return { approved: true, providerRef, card: TEST_CARDS[token] };
        case TEST_TOKENS.insufficientFunds:
          return { approved: false, declineCode: 'insufficient_funds', retryable: false, providerRef, card: TEST_CARDS[token] };
        case TEST_TOKENS.processingError:
          return { approved: false, declineCode: 'processing_error', retryable: true, providerRef: null, card: TEST_CARDS[token] };
        case TEST_TOKENS.timeout:
          await sleep(timeoutMs);
          throw new ProviderTimeoutError('authorize', timeoutMs);
      }
      const stored = token.startsWith('tok_') ? await db.cardToken.findUnique({ where: { token } }) : null;
      if (!stored || (stored.userId && stored.userId !== userId)) {
        return { approved: false, declineCode: 'invalid_token', retryable: false, providerRef: null, card: null };
      }
      const card: CardDetails = { brand: stored.brand, last4: stored.last4, expMonth: stored.expMonth, expYear: stored.expYear };
      if (isExpired(card.expMonth, card.expYear, now())) return { approved: false, declineCode: 'expired_card', retryable: false, providerRef, card };
      return { approved: true, providerRef, card };
    },

    async capture({ idempotencyKey }) {
      return { ok: true, providerRef: ref('sim_cap', idempotencyKey) };
    },

    async void({ idempotencyKey }) {
      return { ok: true, providerRef: ref('sim_void', idempotencyKey) };
    },

    async refund({ idempotencyKey }) {
      return { ok: true, providerRef: ref('sim_re', idempotencyKey) };
    },
  };
}
