import { createServiceClient, ServiceUnavailableError, type SubgraphName } from '@storefront/shared';

export { ServiceUnavailableError };

export interface UserErrorLike {
  code: string;
  message: string;
  field?: string[] | null;
}

/** Calls sibling subgraphs' internal operations as the cart service (the shared, signed service client). */
export const createServiceCaller = (options: { secret?: string; timeoutMs?: number; urls?: Partial<Record<SubgraphName, string>> } = {}) =>
  createServiceClient({ service: 'cart', ...options });

export type ServiceCaller = ReturnType<typeof createServiceCaller>;

const RESERVATION = 'reservation { id status } userErrors { code message field }';
const ORDER_PAYLOAD = 'order { id status } userErrors { code message field }';
const PAYMENT_PAYLOAD = 'payment { id status } userErrors { code message field }';

export interface SagaLine { variantId: string; sku: string; productTitle: string; quantity: number; unitPrice: number }
type Reservation = { reservation: { id: string; status: string } | null; userErrors: UserErrorLike[] };
type OrderResult = { order: { id: string; status: string } | null; userErrors: UserErrorLike[] };
type PaymentResult = { payment: { id: string; status: string } | null; userErrors: UserErrorLike[] };

/** The internal operations the checkout saga uses, one function each. */
export function createSagaClients(call: ServiceCaller) {
  return {
    reserve: (reference: string, lines: { variantId: string; quantity: number }[], ttlSeconds: number) =>
      call<{ reserveStock: Reservation }>('inventory', `mutation($input: ReserveStockInput!) { reserveStock(input: $input) { ${RESERVATION} } }`, {
        input: { reference, lines, ttlSeconds },
      }).then((d) => d.reserveStock),
    commit: (reservationId: string) =>
      call<{ commitReservation: Reservation }>('inventory', `mutation($input: CommitReservationInput!) { commitReservation(input: $input) { ${RESERVATION} } }`, { input: { reservationId } }).then((d) => d.commitReservation),
    release: (reservationId: string) =>
      call<{ releaseReservation: Reservation }>('inventory', `mutation($input: ReleaseReservationInput!) { releaseReservation(input: $input) { ${RESERVATION} } }`, { input: { reservationId } }).then((d) => d.releaseReservation),
    placeOrder: (input: Record<string, unknown>, userId: string) =>
      call<{ placeOrder: OrderResult }>('order', `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ${ORDER_PAYLOAD} } }`, { input }, userId).then((d) => d.placeOrder),
    orderForCheckout: (checkoutId: string) =>
      call<{ orderForCheckout: { id: string; status: string } | null }>('order', 'query($id: ID!) { orderForCheckout(checkoutId: $id) { id status } }', { id: checkoutId }).then((d) => d.orderForCheckout),
    confirmOrder: (orderId: string, paymentId: string | null) =>
      call<{ confirmOrderPayment: OrderResult }>('order', `mutation($input: ConfirmOrderPaymentInput!) { confirmOrderPayment(input: $input) { ${ORDER_PAYLOAD} } }`, { input: { orderId, paymentId } }).then((d) => d.confirmOrderPayment),
    failOrder: (orderId: string, cancelled: boolean, reason: string) =>
      call<{ failOrderPayment: OrderResult }>('order', `mutation($input: FailOrderPaymentInput!) { failOrderPayment(input: $input) { ${ORDER_PAYLOAD} } }`, { input: { orderId, cancelled, reason } }).then((d) => d.failOrderPayment),
    authorize: (input: { orderId: string; userId: string; amount: number; currencyCode: string; token: string; idempotencyKey: string; billingCountry?: string | null; shippingCountry?: string | null }) =>
      call<{ authorizePayment: PaymentResult }>('payment', `mutation($input: AuthorizePaymentInput!) { authorizePayment(input: $input) { ${PAYMENT_PAYLOAD} } }`, { input }, input.userId).then((d) => d.authorizePayment),
    capture: (paymentId: string) =>
      call<{ capturePayment: PaymentResult }>('payment', `mutation($input: CapturePaymentInput!) { capturePayment(input: $input) { ${PAYMENT_PAYLOAD} } }`, { input: { paymentId } }).then((d) => d.capturePayment),
    void: (paymentId: string) =>
      call<{ voidPayment: PaymentResult }>('payment', `mutation($input: VoidPaymentInput!) { voidPayment(input: $input) { ${PAYMENT_PAYLOAD} } }`, { input: { paymentId } }).then((d) => d.voidPayment),
    paymentOfOrder: (orderId: string) =>
      call<{ _entities: ({ payment: { id: string; status: string } | null } | null)[] }>('payment', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { payment { id status } } } }', {
        r: [{ __typename: 'Order', id: orderId }],
      }).then((d) => d._entities[0]?.payment ?? null),
  };
}

export type SagaClients = ReturnType<typeof createSagaClients>;
