import { deterministicId } from '@storefront/shared';
import type { DemoFixture } from '@storefront/shared/fixtures';
import type { PaymentDb } from './db.ts';

/**
 * A CAPTURED payment (VISA 4242, the simulated provider's tok_success card) for each demo order,
 * with its AUTHORIZE and CAPTURE ledger rows. Idempotent: ids derive from the order id.
 */
export async function seedPayment(db: PaymentDb, fixture: DemoFixture): Promise<void> {
  const payments = fixture.orders.map((o) => ({
    id: deterministicId('payment', o.id),
    orderId: o.id,
    userId: o.userId,
    status: 'CAPTURED' as const,
    amount: o.total,
    capturedAmount: o.total,
    currency: 'USD',
    provider: 'simulated',
    providerRef: `sim_auth_seed_${o.number}`,
    cardBrand: 'VISA' as const,
    cardLast4: '4242',
    cardExpMonth: 12,
    cardExpYear: 2030,
    idempotencyKey: `seed:${o.id}`,
    createdAt: o.placedAt,
  }));
  await db.payment.createMany({ data: payments, skipDuplicates: true });
  await db.paymentEvent.createMany({
    data: payments.flatMap((p) => [
      { id: deterministicId('payment-event', `${p.id}:authorize`), paymentId: p.id, kind: 'AUTHORIZE' as const, amount: p.amount, currency: p.currency, providerRef: p.providerRef, actor: 'seed', at: p.createdAt },
      { id: deterministicId('payment-event', `${p.id}:capture`), paymentId: p.id, kind: 'CAPTURE' as const, amount: p.amount, currency: p.currency, providerRef: `sim_cap_seed_${p.orderId}`, actor: 'seed', at: p.createdAt },
    ]),
    skipDuplicates: true,
  });
}
