import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayHeaders, postGraphQL } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import type { Stack } from '../../scripts/lib/stack.ts';
import { login, startTestStack } from './stack.ts';

/**
 * User B must not read user A's cart, order, payment, address or loyalty account: not through the
 * gateway's root fields, and not through entity references, which reach a subgraph as `_entities`
 * requests carrying B's identity (what the gateway sends when a plan crosses into that subgraph).
 */
const fixture = demoFixture();
const alice = fixture.customer;
const order = fixture.orders[0];
let stack: Stack;
let aliceToken: string;
let bob: { id: string; token: string };

beforeAll(async () => {
  stack = await startTestStack();
  aliceToken = await login(stack.gatewayUrl, 'customer');
  const reg = await postGraphQL(stack.gatewayUrl, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken userErrors { code } } }', {
    i: { email: 'bob@example.com', password: 'Bob#Password2026', name: 'Bob' },
  });
  const token = reg.body.data.register.accessToken;
  const me = await postGraphQL(stack.gatewayUrl, '{ me { id } }', {}, { authorization: `Bearer ${token}` });
  bob = { id: me.body.data.me.id, token };
  // Alice has an address on file.
  await postGraphQL(
    stack.gatewayUrl,
    'mutation($i: AddAddressInput!) { addAddress(input: $i) { userErrors { code message } } }',
    { i: { line1: '1 Canal Street', city: 'Amsterdam', postalCode: '1011AA', countryCode: 'NL', name: 'Dana Customer' } },
    { authorization: `Bearer ${aliceToken}` },
  );
});
afterAll(async () => {
  await stack?.stop({ dropDatabases: true });
});

const asBob = () => ({ authorization: `Bearer ${bob.token}` });
const asAlice = () => ({ authorization: `Bearer ${aliceToken}` });

describe('ownership through the gateway', () => {
  it('shows Alice her own data, so the checks below are meaningful', async () => {
    const res = await postGraphQL(stack.gatewayUrl, `{ cart(id: "${fixture.cart.id}") { id } order(id: "${order.id}") { number payment { status } } me { addresses { city } loyalty { points } } }`, {}, asAlice());
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.cart.id).toBe(fixture.cart.id);
    expect(res.body.data.order.payment.status).toBe('CAPTURED');
    expect(res.body.data.me.addresses[0].city).toBe('Amsterdam');
    expect(res.body.data.me.loyalty.points).toBeGreaterThan(0);
  });

  it("gives Bob nothing of Alice's through root fields", async () => {
    const res = await postGraphQL(stack.gatewayUrl, `{ cart(id: "${fixture.cart.id}") { id } order(id: "${order.id}") { number payment { status } } user(id: "${alice.id}") { email addresses { city } } }`, {}, asBob());
    expect(res.body.data?.cart ?? null).toBeNull();
    expect(res.body.data?.order ?? null).toBeNull();
    expect(res.body.data?.user ?? null).toBeNull();
  });
});

describe("ownership at each subgraph's entity resolvers", () => {
  const entities = (name: keyof Stack['subgraphUrls'], selection: string, representations: object[]) =>
    postGraphQL(stack.subgraphUrls[name], `query($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`, { r: representations }, gatewayHeaders({ userId: bob.id, roles: ['CUSTOMER'] }));

  it("cart: User.cart and Cart references of Alice's are null for Bob", async () => {
    const users = await entities('cart', '... on User { cart { id } }', [{ __typename: 'User', id: alice.id }]);
    expect(users.body.data._entities[0]?.cart ?? null).toBeNull();
    const carts = await entities('cart', '... on Cart { id lines { quantity } }', [{ __typename: 'Cart', id: fixture.cart.id }]);
    expect(carts.body.data?._entities?.[0] ?? null).toBeNull();
  });

  it("order: User.orders and Order references of Alice's are empty or null for Bob", async () => {
    const users = await entities('order', '... on User { orders(first: 5) { edges { node { id } } } }', [{ __typename: 'User', id: alice.id }]);
    expect(users.body.data._entities[0].orders?.edges ?? []).toEqual([]);
    const orders = await entities('order', '... on Order { id number }', [{ __typename: 'Order', id: order.id }]);
    expect(orders.body.data?._entities?.[0] ?? null).toBeNull();
  });

  it("payment: Order.payment of Alice's order is null for Bob", async () => {
    const res = await entities('payment', '... on Order { payment { status amount { amount } } }', [{ __typename: 'Order', id: order.id }]);
    expect(res.body.data._entities[0]?.payment ?? null).toBeNull();
  });

  it("identity: Alice's email and addresses are not Bob's to read", async () => {
    const res = await entities('identity', '... on User { email }', [{ __typename: 'User', id: alice.id }]);
    expect(res.body.data?._entities?.[0]?.email ?? null).toBeNull();
    const addresses = await entities('identity', '... on User { addresses { city } }', [{ __typename: 'User', id: alice.id }]);
    expect(addresses.body.data?._entities?.[0]?.addresses ?? null).toBeNull();
  });

  it("loyalty: User.loyalty of Alice's is null for Bob", async () => {
    const res = await entities('loyalty', '... on User { loyalty { points } }', [{ __typename: 'User', id: alice.id }]);
    expect(res.body.data._entities[0]?.loyalty ?? null).toBeNull();
  });

  it('refuses entity requests that do not carry the gateway signature, on every subgraph', async () => {
    for (const url of Object.values(stack.subgraphUrls)) {
      const res = await postGraphQL(url, '{ _service { sdl } }');
      expect(res.status).toBe(401);
    }
  });
});
