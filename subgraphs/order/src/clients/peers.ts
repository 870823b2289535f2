import { callInternal, type InternalCallOptions } from './internal.ts';

/** What the order lifecycle needs from payment and inventory, as internal calls. */

export interface PaymentSummary {
  id: string;
  status: 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' | 'FAILED' | 'REFUNDED' | 'PARTIALLY_REFUNDED';
  amount: number;
  capturedAmount: number;
  refundedAmount: number;
}

export interface PeerUserError {
  code: string;
  message: string;
  field?: string[] | null;
}

export interface PaymentResult {
  payment: PaymentSummary | null;
  userErrors: PeerUserError[];
}

const PAYMENT_FIELDS = 'id status amount { amount } capturedAmount { amount } refundedAmount { amount }';

interface RawPayment {
  id: string;
  status: PaymentSummary['status'];
  amount: { amount: number };
  capturedAmount: { amount: number };
  refundedAmount: { amount: number };
}

const summary = (p: RawPayment | null): PaymentSummary | null =>
  p ? { id: p.id, status: p.status, amount: p.amount.amount, capturedAmount: p.capturedAmount.amount, refundedAmount: p.refundedAmount.amount } : null;

export async function paymentOfOrder(orderId: string, options?: InternalCallOptions): Promise<PaymentSummary | null> {
  const data = await callInternal<{ _entities: ({ payment: RawPayment | null } | null)[] }>(
    'payment',
    `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { payment { ${PAYMENT_FIELDS} } } } }`,
    { r: [{ __typename: 'Order', id: orderId }] },
    options,
  );
  return summary(data._entities[0]?.payment ?? null);
}

async function paymentMutation(field: string, inputType: string, input: Record<string, unknown>, options?: InternalCallOptions): Promise<PaymentResult> {
  const data = await callInternal<Record<string, { payment: RawPayment | null; userErrors: PeerUserError[] }>>(
    'payment',
    `mutation($input: ${inputType}!) { ${field}(input: $input) { payment { ${PAYMENT_FIELDS} } userErrors { code message field } } }`,
    { input },
    options,
  );
  const result = data[field];
  return { payment: summary(result.payment), userErrors: result.userErrors };
}

export const capturePayment = (paymentId: string, options?: InternalCallOptions) =>
  paymentMutation('capturePayment', 'CapturePaymentInput', { paymentId }, options);

export const voidPayment = (paymentId: string, options?: InternalCallOptions) =>
  paymentMutation('voidPayment', 'VoidPaymentInput', { paymentId }, options);

export const refundPayment = (input: { paymentId: string; amount: number; reason?: string | null; idempotencyKey?: string | null }, options?: InternalCallOptions) =>
  paymentMutation('refundPayment', 'RefundPaymentInput', input, options);

export interface ReturnedReservation {
  id: string;
  reference: string;
  status: string;
}

export async function returnStock(references: string[], reason: string, options?: InternalCallOptions): Promise<{ reservations: ReturnedReservation[]; userErrors: PeerUserError[] }> {
  const data = await callInternal<{ returnStock: { reservations: ReturnedReservation[]; userErrors: PeerUserError[] } }>(
    'inventory',
    `mutation($input: ReturnStockInput!) { returnStock(input: $input) { reservations { id reference status } userErrors { code message field } } }`,
    { input: { references, reason } },
    options,
  );
  return data.returnStock;
}
