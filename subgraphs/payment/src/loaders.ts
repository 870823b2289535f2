import { loaderById } from '@storefront/shared';
import type { PaymentDb } from './db.ts';

/** Per-request DataLoaders: every entity reference and relation in payment goes through one of these. */
export function createLoaders(db: PaymentDb) {
  return {
    payment: loaderById((ids) => db.payment.findMany({ where: { id: { in: [...ids] } } }), (p) => p.id),
    paymentByOrder: loaderById((orderIds) => db.payment.findMany({ where: { orderId: { in: [...orderIds] } } }), (p) => p.orderId),
  };
}

export type PaymentLoaders = ReturnType<typeof createLoaders>;
