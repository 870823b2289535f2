import { createHash } from 'node:crypto';
import { newId } from '@storefront/shared';
import type { RiskDecisionModel } from '../generated/prisma/models.ts';
import type { PaymentDb } from '../db.ts';
import { TEST_TOKENS } from './provider.ts';

/**
 * The risk check that runs before every authorization. Rules (defaults in DEFAULT_RISK_RULES,
 * overridable per server):
 * - CUSTOMER_VELOCITY: more than `customerVelocity.max` distinct orders from one customer within
 *   `customerVelocity.windowMs` (the current order included).
 * - CARD_VELOCITY: more than `cardVelocity.max` distinct orders on one card within its window. A
 *   tokenized card is known by its fingerprint, so fresh tokens of the same card number count
 *   together; other tokens by their SHA-256.
 * - AMOUNT_LIMIT: one payment above `maxAmount` minor units.
 * - COUNTRY_MISMATCH: billing and shipping countries both given and different.
 * Velocity counts distinct orders (retries of one order never trip it) and counts every attempt,
 * approved or declined. The simulated provider's shared test tokens are exempt from the velocity
 * rules when `exemptTestTokens` (the default): every test buyer and load test shares them.
 * Each evaluation is recorded in RiskDecision under the authorization's idempotency key, and a
 * replay with that key gets the recorded decision, not a fresh one.
 */
export type RiskRule = 'CUSTOMER_VELOCITY' | 'CARD_VELOCITY' | 'AMOUNT_LIMIT' | 'COUNTRY_MISMATCH';

export interface RiskRules {
  customerVelocity: { max: number; windowMs: number };
  cardVelocity: { max: number; windowMs: number };
  maxAmount: number;
  exemptTestTokens: boolean;
}

export const DEFAULT_RISK_RULES: RiskRules = {
  customerVelocity: { max: 10, windowMs: 10 * 60_000 },
  cardVelocity: { max: 5, windowMs: 10 * 60_000 },
  maxAmount: 500_000,
  exemptTestTokens: true,
};

export interface RiskInput {
  orderId: string;
  userId: string;
  token: string;
  amount: number;
  currencyCode: string;
  idempotencyKey: string;
  billingCountry?: string | null;
  shippingCountry?: string | null;
}

const TEST_TOKEN_SET = new Set<string>(Object.values(TEST_TOKENS));
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const country = (c: string | null | undefined) => (c?.trim() ? c.trim().toUpperCase() : null);

/** How the card is known to the velocity rule; never the token itself in the clear. */
async function cardKeyOf(db: PaymentDb, token: string): Promise<string> {
  const stored = token.startsWith('tok_') && !TEST_TOKEN_SET.has(token) ? await db.cardToken.findUnique({ where: { token }, select: { fingerprint: true } }) : null;
  return stored ? `fp:${stored.fingerprint}` : `tok:${sha256(token)}`;
}

async function distinctOrdersSince(db: PaymentDb, column: 'userId' | 'cardKey', value: string, since: Date, currentOrderId: string): Promise<number> {
  const rows = await db.riskDecision.findMany({
    where: { [column]: value, createdAt: { gte: since }, orderId: { not: currentOrderId } },
    distinct: ['orderId'],
    select: { orderId: true },
  });
  return rows.length + 1;
}

/** Evaluates the rules (or returns the decision already recorded for this idempotency key) and records it. */
export async function assessRisk(db: PaymentDb, input: RiskInput, rules: RiskRules = DEFAULT_RISK_RULES, now: Date = new Date()): Promise<RiskDecisionModel> {
  const recorded = await db.riskDecision.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
  if (recorded) return recorded;

  const fired: RiskRule[] = [];
  const cardKey = await cardKeyOf(db, input.token);
  const exempt = rules.exemptTestTokens && TEST_TOKEN_SET.has(input.token);
  if (!exempt) {
    const since = (ms: number) => new Date(now.getTime() - ms);
    const [byCustomer, byCard] = await Promise.all([
      distinctOrdersSince(db, 'userId', input.userId, since(rules.customerVelocity.windowMs), input.orderId),
      distinctOrdersSince(db, 'cardKey', cardKey, since(rules.cardVelocity.windowMs), input.orderId),
    ]);
    if (byCustomer > rules.customerVelocity.max) fired.push('CUSTOMER_VELOCITY');
    if (byCard > rules.cardVelocity.max) fired.push('CARD_VELOCITY');
  }
  if (input.amount > rules.maxAmount) fired.push('AMOUNT_LIMIT');
  const billing = country(input.billingCountry);
  const shipping = country(input.shippingCountry);
  if (billing && shipping && billing !== shipping) fired.push('COUNTRY_MISMATCH');

  // A concurrent attempt with the same key may have recorded first: that decision stands.
  await db.riskDecision.createMany({
    data: [{
      id: newId(), idempotencyKey: input.idempotencyKey, orderId: input.orderId, userId: input.userId, cardKey,
      amount: input.amount, currency: input.currencyCode, billingCountry: billing, shippingCountry: shipping,
      outcome: fired.length ? 'DECLINED' : 'APPROVED', rules: fired, createdAt: now,
    }],
    skipDuplicates: true,
  });
  return db.riskDecision.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } });
}
