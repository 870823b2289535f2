import { internalSecret, signIdentity, subgraphUrl, type SubgraphName, type Viewer } from '@storefront/shared';

/** A sibling subgraph did not answer (network, HTTP or GraphQL error): the outcome of the call is unknown. */
export class ServiceUnavailableError extends Error {
  constructor(readonly service: SubgraphName, message: string, options?: { cause?: unknown }) {
    super(`${service}: ${message}`, options);
    this.name = 'ServiceUnavailableError';
  }
}

export interface UserErrorLike {
  code: string;
  message: string;
  field?: string[] | null;
}

/**
 * Calls a sibling subgraph's internal (@inaccessible) operations directly at its own URL, signed as
 * the cart service acting for `userId`. URLs are read at each call (<NAME>_URL), so a restarted
 * subgraph is found again.
 */
export function createServiceCaller(options: { secret?: string; timeoutMs?: number; urls?: Partial<Record<SubgraphName, string>> } = {}) {
  const secret = options.secret ?? internalSecret();
  const timeoutMs = options.timeoutMs ?? 15_000;
  return async function call<T>(service: SubgraphName, query: string, variables: Record<string, unknown>, userId?: string): Promise<T> {
    const viewer: Viewer = { roles: [], scopes: [], service: 'cart', ...(userId ? { userId } : {}) };
    let response: Response;
    try {
      response = await fetch(options.urls?.[service] ?? subgraphUrl(service), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signIdentity(viewer, secret) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ServiceUnavailableError(service, 'request failed', { cause: error });
    }
    if (!response.ok) throw new ServiceUnavailableError(service, `HTTP ${response.status}`);
    const body = (await response.json()) as { data?: T | null; errors?: { message: string }[] };
    if (body.errors?.length || !body.data) throw new ServiceUnavailableError(service, body.errors?.[0]?.message ?? 'no data');
    return body.data;
  };
}

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
