import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId, SUBGRAPH_NAMES, signIdentity, internalSecret } from '@storefront/shared';
import { postGraphQL } from '@storefront/shared/testing';
import { demoFixture, DEMO_PASSWORDS } from '@storefront/shared/fixtures';
import { createGateway, loadGatewayConfig, type GatewayServer } from '@storefront/gateway';
import { createCartDb, type CartDb } from '@storefront/cart';
import { createOrderDb, type OrderDb } from '@storefront/order';
import { createPaymentDb, type PaymentDb } from '@storefront/payment';
import { createLoyaltyDb, type LoyaltyDb } from '@storefront/loyalty';
import { createIdentityDb, type IdentityDb } from '@storefront/identity';
import { eraseUserData as eraseCart } from '../../subgraphs/cart/src/privacy.ts';
import { eraseUserData as eraseOrder } from '../../subgraphs/order/src/privacy.ts';
import { eraseUserData as erasePayment } from '../../subgraphs/payment/src/privacy.ts';
import { eraseUserData as eraseLoyalty } from '../../subgraphs/loyalty/src/privacy.ts';
import type { Stack } from '../../scripts/lib/stack.ts';
import { login, startTestStack } from './stack.ts';

/**
 * Privacy (GDPR) across the stack: the customer's data export gathers every subgraph's part and
 * nothing of anyone else; deleting the account anonymises identity at once and every other subgraph
 * through the UserDeleted event (checked in each subgraph's own database); and the gateway's logs
 * never carry a password, token or hash.
 */
const fixture = demoFixture();
const alice = fixture.customer;
const variants = fixture.products.flatMap((p) => p.variants);
let stack: Stack;
let aliceToken: string;
let aliceRefresh: string;
let bob: { id: string; token: string };
let dbs: { cart: CartDb; order: OrderDb; payment: PaymentDb; loyalty: LoyaltyDb; identity: IdentityDb };
let checkedOutOrderId: string;

const BOB_EMAIL = 'bob.privacy@example.com';
const BOB_STREET = '99 Bobstraat';
const ALICE_STREET = '1 Canal Street';
const SHIPPING = { name: 'Dana Customer', line1: '5 Herengracht', city: 'Amsterdam', postalCode: '1015BK', country: 'NL' };

const gql = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
  postGraphQL(stack.gatewayUrl, query, variables, token ? { authorization: `Bearer ${token}` } : {});

async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  stack = await startTestStack();
  dbs = {
    cart: createCartDb(stack.databaseUrls.cart),
    order: createOrderDb(stack.databaseUrls.order),
    payment: createPaymentDb(stack.databaseUrls.payment),
    loyalty: createLoyaltyDb(stack.databaseUrls.loyalty),
    identity: createIdentityDb(stack.databaseUrls.identity),
  };
  const session = await gql('mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }', { i: { email: alice.email, password: DEMO_PASSWORDS.customer } });
  aliceToken = session.body.data.login.accessToken;
  aliceRefresh = session.body.data.login.refreshToken;

  const reg = await gql('mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } userErrors { code } } }', {
    i: { email: BOB_EMAIL, password: 'Bob#Password2026', name: 'Bob Privacy' },
  });
  bob = { id: reg.body.data.register.user.id, token: reg.body.data.register.accessToken };
  const ADD = 'mutation($i: AddAddressInput!) { addAddress(input: $i) { userErrors { code message } } }';
  await gql(ADD, { i: { name: 'Bob Privacy', line1: BOB_STREET, city: 'Utrecht', postalCode: '3511AA', countryCode: 'NL' } }, bob.token);
  await gql(ADD, { i: { name: 'Dana Customer', line1: ALICE_STREET, city: 'Amsterdam', postalCode: '1011AA', countryCode: 'NL', phone: '+31 20 555 0100' } }, aliceToken);

  // Alice keeps a card on file and checks out with a shipping address: an order, a payment and a risk decision.
  const card = await gql('mutation($i: TokenizeCardInput!) { tokenizeCard(input: $i) { token userErrors { code message } } }', { i: { cardNumber: '4242 4242 4242 4242', expMonth: 12, expYear: 2031, cvc: '123' } }, aliceToken);
  expect(card.body.data.tokenizeCard.token).toBeTruthy();
  const created = await gql('mutation($i: CreateCartInput!) { createCart(input: $i) { cart { id } } }', { i: {} }, aliceToken);
  const cartId = created.body.data.createCart.cart.id;
  await dbs.cart.cartLine.deleteMany({ where: { cartId } });
  await dbs.cart.cartLine.create({ data: { id: newId(), cartId, variantId: variants[3].id, quantity: 1, unitPrice: 1, currency: 'USD' } });
  const checkout = await gql(
    'mutation($i: CheckoutInput!) { checkout(input: $i) { order { id status } userErrors { code message } } }',
    { i: { cartId, paymentToken: 'tok_success', idempotencyKey: newId(), billingCountry: 'NL', shippingAddress: SHIPPING } },
    aliceToken,
  );
  expect(checkout.body.errors).toBeUndefined();
  expect(checkout.body.data.checkout.userErrors).toEqual([]);
  checkedOutOrderId = checkout.body.data.checkout.order.id;
  // The saga does not pass the countries on to payment's risk check yet; record them as a direct authorize would.
  await dbs.payment.riskDecision.updateMany({ where: { orderId: checkedOutOrderId }, data: { billingCountry: 'NL', shippingCountry: 'NL' } });
  // And a fresh cart with a shipping address on it.
  const next = await gql('mutation($i: CreateCartInput!) { createCart(input: $i) { cart { id } } }', { i: {} }, aliceToken);
  const set = await gql(
    'mutation($i: SetShippingAddressInput!) { setShippingAddress(input: $i) { userErrors { code message } } }',
    { i: { cartId: next.body.data.createCart.cart.id, address: SHIPPING } },
    aliceToken,
  );
  expect(set.body.data.setShippingAddress.userErrors).toEqual([]);
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(dbs ?? {}).map((db) => db.$disconnect()));
  await stack?.stop({ dropDatabases: true });
});

const EXPORT = 'mutation { requestDataExport { export userErrors { code message } } }';

describe('data export', () => {
  it("gathers the customer's data from every subgraph into one JSON document", async () => {
    const res = await gql(EXPORT, {}, aliceToken);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.requestDataExport.userErrors).toEqual([]);
    const doc = JSON.parse(res.body.data.requestDataExport.export);
    expect(Date.parse(doc.generatedAt)).toBeGreaterThan(Date.now() - 60_000);
    // identity
    expect(doc.user).toMatchObject({ id: alice.id, email: alice.email, name: alice.name });
    expect(doc.addresses.map((a: any) => a.line1)).toEqual([ALICE_STREET]);
    expect(doc.sessions.length).toBeGreaterThan(0);
    // cart
    expect(doc.carts.map((c: any) => c.id)).toContain(fixture.cart.id);
    expect(doc.carts.some((c: any) => c.shippingAddress?.line1 === SHIPPING.line1)).toBe(true);
    expect(doc.checkouts.length).toBe(1);
    // order
    const orderIds = doc.orders.map((o: any) => o.id);
    for (const o of fixture.orders) expect(orderIds).toContain(o.id);
    expect(orderIds).toContain(checkedOutOrderId);
    expect(doc.orders.find((o: any) => o.id === checkedOutOrderId).lines).toHaveLength(1);
    // payment
    expect(doc.payments.map((p: any) => p.orderId)).toContain(checkedOutOrderId);
    expect(doc.cards).toEqual([expect.objectContaining({ brand: 'VISA', last4: '4242' })]);
    expect(doc.riskDecisions.map((r: any) => r.billingCountry)).toContain('NL');
    // loyalty
    expect(doc.loyalty.userId).toBe(alice.id);
    expect(doc.loyalty.points).toBeGreaterThan(0);
    expect(doc.loyalty.ledger.length).toBeGreaterThan(0);
    // catalog and inventory answered, and hold nothing personal
    expect(doc.noPersonalDataIn.sort()).toEqual(['catalog', 'inventory']);
  });

  it('contains nothing of another user, and no secrets', async () => {
    const text = (await gql(EXPORT, {}, aliceToken)).body.data.requestDataExport.export as string;
    expect(text).not.toContain(bob.id);
    expect(text).not.toContain(BOB_EMAIL);
    expect(text).not.toContain(BOB_STREET);
    for (const secret of ['passwordHash', '$argon2', 'tokenHash', 'guestTokenHash', 'fingerprint', 'paymentToken', aliceRefresh]) expect(text).not.toContain(secret);
    const bobs = JSON.parse((await gql(EXPORT, {}, bob.token)).body.data.requestDataExport.export);
    expect(bobs.user.id).toBe(bob.id);
    expect(bobs.orders).toEqual([]);
    expect(JSON.stringify(bobs)).not.toContain(alice.id);
  });

  it('is for signed-in users only', async () => {
    const res = await gql(EXPORT);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.body.data?.requestDataExport ?? null).toBeNull();
  });

  it("each subgraph's export route answers only the identity service", async () => {
    const secret = internalSecret();
    for (const name of SUBGRAPH_NAMES.filter((n) => n !== 'identity')) {
      const url = new URL('/internal/privacy/export', stack.subgraphUrls[name]).toString();
      const post = (headers: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
      expect((await post({})).status, name).toBe(401);
      expect((await post(signIdentity({ roles: [], scopes: [], service: 'gateway', userId: alice.id }, secret))).status, name).toBe(401);
      expect((await post(signIdentity({ roles: ['CUSTOMER'], scopes: [], userId: alice.id }, secret))).status, name).toBe(401);
      expect((await post(signIdentity({ roles: [], scopes: [], service: 'identity', userId: alice.id }, 'not-the-secret'))).status, name).toBe(401);
      expect((await post(signIdentity({ roles: [], scopes: [], service: 'identity', userId: alice.id }, secret))).status, name).toBe(200);
    }
  });
});

describe('account deletion', () => {
  const DELETE = 'mutation($i: DeleteAccountInput!) { deleteAccount(input: $i) { success userErrors { code field } } }';

  it('refuses a wrong password and changes nothing', async () => {
    const res = await gql(DELETE, { i: { password: 'not-my-password' } }, aliceToken);
    expect(res.body.data.deleteAccount).toEqual({ success: false, userErrors: [{ code: 'INVALID_CREDENTIALS', field: ['password'] }] });
    expect((await dbs.identity.user.findUniqueOrThrow({ where: { id: alice.id } })).email).toBe(alice.email);
  });

  it('anonymises the user everywhere; orders and payments stay for accounting', async () => {
    const ordersBefore = await dbs.order.order.count({ where: { userId: alice.id } });
    const paymentsBefore = await dbs.payment.payment.count({ where: { userId: alice.id } });
    expect(ordersBefore).toBeGreaterThan(0);
    // Let loyalty take in the checkout's OrderStatusChanged first: a closed account does not yet refuse
    // later order events (see subgraphs/loyalty/src/privacy.ts), so this test closes a settled one.
    await eventually(() => dbs.loyalty.loyaltyLedgerEntry.count({ where: { orderId: checkedOutOrderId } }), (n) => n > 0);
    const res = await gql(DELETE, { i: { password: DEMO_PASSWORDS.customer } }, aliceToken);
    expect(res.body.data?.deleteAccount, JSON.stringify(res.body)).toEqual({ success: true, userErrors: [] });

    // identity, at once
    const user = await dbs.identity.user.findUniqueOrThrow({ where: { id: alice.id } });
    expect(user).toMatchObject({ email: `deleted-${alice.id}@invalid`, name: 'Deleted user' });
    expect(user.passwordHash.startsWith('$argon2')).toBe(false);
    expect(await dbs.identity.address.count({ where: { userId: alice.id } })).toBe(0);
    expect(await dbs.identity.refreshTokenFamily.count({ where: { userId: alice.id, revokedAt: null } })).toBe(0);
    expect(await dbs.identity.outboxEvent.count({ where: { type: 'UserDeleted', aggregateId: alice.id } })).toBe(1);

    // cart: carts and finished checkouts gone
    await eventually(() => dbs.cart.cart.count({ where: { userId: alice.id } }), (n) => n === 0);
    expect(await dbs.cart.checkoutAttempt.count({ where: { ownerId: alice.id } })).toBe(0);
    // order: orders kept, the shipping address reduced to its country
    const orders = await eventually(
      () => dbs.order.order.findMany({ where: { userId: alice.id } }),
      (os) => (os.find((o) => o.id === checkedOutOrderId)?.shippingAddress as { line1?: string } | null)?.line1 === undefined,
    );
    expect(orders).toHaveLength(ordersBefore);
    expect(orders.find((o) => o.id === checkedOutOrderId)!.shippingAddress).toEqual({ country: 'NL' });
    expect(JSON.stringify(orders)).not.toContain(SHIPPING.line1);
    // payment: payments kept with the card summary; card tokens gone; risk decisions without countries
    await eventually(() => dbs.payment.cardToken.count({ where: { userId: alice.id } }), (n) => n === 0);
    const payments = await dbs.payment.payment.findMany({ where: { userId: alice.id } });
    expect(payments).toHaveLength(paymentsBefore);
    expect(payments.find((p) => p.orderId === checkedOutOrderId)).toMatchObject({ status: 'CAPTURED' });
    const decisions = await dbs.payment.riskDecision.findMany({ where: { userId: alice.id } });
    expect(decisions.length).toBeGreaterThan(0);
    for (const d of decisions) expect(d).toMatchObject({ billingCountry: null, shippingCountry: null, cardKey: 'erased' });
    // loyalty: closed (no points left), history kept
    const account = await eventually(() => dbs.loyalty.loyaltyAccount.findUniqueOrThrow({ where: { userId: alice.id } }), (a) => a.points === 0 && a.pendingPoints === 0);
    expect(account.lifetimePoints).toBeGreaterThan(0);
    const closing = await dbs.loyalty.loyaltyLedgerEntry.findMany({ where: { userId: alice.id, kind: 'EXPIRE', actor: 'service:identity' } });
    expect(closing.length).toBeGreaterThan(0);
    expect(await dbs.loyalty.loyaltyLedgerEntry.count({ where: { userId: alice.id } })).toBeGreaterThan(closing.length);
    // each consumer applied the event exactly once
    for (const db of [dbs.cart, dbs.order, dbs.payment, dbs.loyalty] as any[]) {
      expect(await db.processedEvent.count({ where: { consumer: { endsWith: '.privacy' } } })).toBe(1);
    }
  });

  it('a redelivered UserDeleted changes nothing (each consumer applies it once)', async () => {
    const event = await dbs.identity.outboxEvent.findFirstOrThrow({ where: { type: 'UserDeleted', aggregateId: alice.id } });
    const snapshot = async () => ({
      loyalty: await dbs.loyalty.loyaltyLedgerEntry.count({ where: { userId: alice.id } }),
      orders: await dbs.order.order.findMany({ where: { userId: alice.id }, select: { id: true, shippingAddress: true }, orderBy: { id: 'asc' } }),
    });
    const before = await snapshot();
    expect(await eraseCart(dbs.cart, event.id, alice.id)).toBe(false);
    expect(await eraseOrder(dbs.order, event.id, alice.id)).toBe(false);
    expect(await erasePayment(dbs.payment, event.id, alice.id)).toBe(false);
    expect(await eraseLoyalty(dbs.loyalty, event.id, alice.id)).toBe(false);
    expect(await snapshot()).toEqual(before);
  });

  it('the deleted user can no longer sign in, refresh, or delete again', async () => {
    const res = await gql('mutation($i: LoginInput!) { login(input: $i) { accessToken userErrors { code } } }', { i: { email: alice.email, password: DEMO_PASSWORDS.customer } });
    expect(res.body.data.login).toEqual({ accessToken: null, userErrors: [{ code: 'INVALID_CREDENTIALS' }] });
    const anon = await gql('mutation($i: LoginInput!) { login(input: $i) { accessToken userErrors { code } } }', { i: { email: `deleted-${alice.id}@invalid`, password: DEMO_PASSWORDS.customer } });
    expect(anon.body.data.login.accessToken).toBeNull();
    const refreshed = await gql('mutation($i: RefreshTokenInput!) { refreshToken(input: $i) { accessToken userErrors { code } } }', { i: { refreshToken: aliceRefresh } });
    expect(refreshed.body.data.refreshToken.accessToken).toBeNull();
    const again = await gql(DELETE, { i: { password: DEMO_PASSWORDS.customer } }, aliceToken);
    expect(again.body.data.deleteAccount.success).toBe(false);
    // Bob is untouched.
    const me = await gql('{ me { email addresses { line1 } } }', {}, bob.token);
    expect(me.body.data.me).toEqual({ email: BOB_EMAIL, addresses: [{ line1: BOB_STREET }] });
  });
});

describe('gateway logs', () => {
  let gateway: GatewayServer;
  let url: string;
  const lines: string[] = [];

  beforeAll(async () => {
    const env = { ...process.env, ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, stack.subgraphUrls[n]])) };
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    gateway = await createGateway(loadGatewayConfig(env), createLogger('gateway', { level: 'trace', destination }));
    url = `${await gateway.listen(0)}/graphql`;
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('never contain a password, token or hash, whatever the requests carry', async () => {
    const password = 'Carol#Secret2026!';
    const newPassword = 'Carol#Renewed2026!';
    const post = (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => postGraphQL(url, query, variables, headers);
    const reg = await post('mutation($i: RegisterInput!) { register(input: $i) { accessToken refreshToken } }', { i: { email: 'carol.logs@example.com', password, name: 'Carol' } });
    const signIn = await post('mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken userErrors { code } } }', { i: { email: 'carol.logs@example.com', password } });
    const { accessToken, refreshToken } = signIn.body.data.login;
    expect(accessToken).toBeTruthy();
    await post('mutation($i: LoginInput!) { login(input: $i) { accessToken userErrors { code } } }', { i: { email: 'carol.logs@example.com', password: 'Wrong#Guess2026' } });
    const rotated = await post('mutation($i: RefreshTokenInput!) { refreshToken(input: $i) { accessToken refreshToken } }', { i: { refreshToken } });
    // reuse of the spent refresh token (an error path), a bearer token, a tampered one, and a password change
    await post('mutation($i: RefreshTokenInput!) { refreshToken(input: $i) { accessToken userErrors { code } } }', { i: { refreshToken } });
    const me = await post('{ me { id } }', {}, { authorization: `Bearer ${rotated.body.data.refreshToken.accessToken}` });
    expect(me.body.data.me.id).toBeTruthy();
    const tampered = `${accessToken.slice(0, -4)}AAAA`;
    expect((await post('{ me { id } }', {}, { authorization: `Bearer ${tampered}` })).status).toBe(401);
    await post('mutation($i: ChangePasswordInput!) { changePassword(input: $i) { success } }', { i: { currentPassword: password, newPassword } }, { authorization: `Bearer ${rotated.body.data.refreshToken.accessToken}` });
    await post('mutation($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) { success } }', { i: { email: 'carol.logs@example.com' } });
    await post('{ products(first: 1) { totalCount } }', {}, { 'x-api-key': 'sk_unknown.not-a-real-secret-value' });

    const logs = lines.join('');
    expect(logs.length).toBeGreaterThan(0); // the gateway did log (at trace level), so the checks below mean something
    const secrets = [
      password, newPassword, 'Wrong#Guess2026', accessToken, refreshToken, tampered,
      reg.body.data.register.accessToken, reg.body.data.register.refreshToken,
      rotated.body.data.refreshToken.accessToken, rotated.body.data.refreshToken.refreshToken,
      'not-a-real-secret-value',
    ];
    for (const secret of secrets) expect(logs).not.toContain(secret);
    // no token fragment long enough to matter either (a JWT's signature part), and no hash
    for (const jwt of [accessToken, tampered]) expect(logs).not.toContain(jwt.split('.')[2].slice(0, 20));
    expect(logs).not.toContain('$argon2');
  });
});
