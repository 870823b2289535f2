import { privacyExportRoute as exportRoute, userDeletedConsumer as erasingConsumer, type EventConsumer, type Route } from '@storefront/shared';
import { applyOnce } from '@storefront/shared/events';
import type { PaymentDb } from './db.ts';

/**
 * Privacy (GDPR) for the payment subgraph.
 * - Export: the user's payments with their events, the card tokens on file (brand, last4, expiry; never the
 *   fingerprint) and the risk decisions taken on their payments.
 * - Deletion (UserDeleted from identity): payments and payment events STAY for accounting, including the
 *   card summary (brand, last4, expiry: what a chargeback or audit needs; none of it identifies a person on
 *   its own). Stored card tokens of the user are deleted (their fingerprint links future purchases to the
 *   person). Risk decisions keep outcome and amounts, but lose billing/shipping country and the card key.
 *   No billing name or address is stored by this subgraph.
 */
export const PRIVACY_CONSUMER = 'payment.privacy';
export const ERASED_CARD_KEY = 'erased';

export async function exportUserData(db: PaymentDb, userId: string) {
  const payments = await db.payment.findMany({ where: { userId }, include: { events: { orderBy: { at: 'asc' } } }, orderBy: { createdAt: 'asc' } });
  const cards = await db.cardToken.findMany({ where: { userId }, select: { brand: true, last4: true, expMonth: true, expYear: true, createdAt: true } });
  const riskDecisions = await db.riskDecision.findMany({
    where: { userId },
    select: { orderId: true, amount: true, currency: true, billingCountry: true, shippingCountry: true, outcome: true, rules: true, createdAt: true },
    orderBy: { createdAt: 'asc' },
  });
  return {
    payments: payments.map(({ idempotencyKey: _key, events, ...p }) => ({ ...p, events: events.map(({ idempotencyKey: _k, ...e }) => e) })),
    cards,
    riskDecisions,
  };
}

export async function eraseUserData(db: PaymentDb, eventId: string, userId: string): Promise<boolean> {
  return applyOnce(db, PRIVACY_CONSUMER, eventId, async (tx) => {
    await tx.cardToken.deleteMany({ where: { userId } });
    await tx.riskDecision.updateMany({ where: { userId }, data: { billingCountry: null, shippingCountry: null, cardKey: ERASED_CARD_KEY } });
  });
}

/** The export route identity calls (signed as service 'identity' acting for the user) and the UserDeleted consumer. */
export const privacyExportRoute = (db: PaymentDb, secret?: string): Route => exportRoute((userId) => exportUserData(db, userId), secret);
export const userDeletedConsumer = (db: PaymentDb): EventConsumer => erasingConsumer(PRIVACY_CONSUMER, (eventId, userId) => eraseUserData(db, eventId, userId));
