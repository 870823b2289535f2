import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicId, newId } from '@storefront/shared';
import { gatewayHeaders, postGraphQL } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import type { CatalogDb } from '@storefront/catalog';
import type { CartDb } from '../src/index.ts';
import { startCartWithCatalog, type CartHarness } from './harness.ts';

const fixture = demoFixture();
const variants = fixture.products.flatMap((p) => p.variants.map((v) => ({ ...v, productId: p.id })));

const anonymous = () => gatewayHeaders({});
const asUser = (userId: string) => gatewayHeaders({ userId, roles: ['CUSTOMER'] });
const asSupport = () => gatewayHeaders({ userId: deterministicId('user', 'support@storefront.dev'), roles: ['SUPPORT'] });

let harness: CartHarness;
let db: CartDb;
let catalogDb: CatalogDb;
let url: string;

beforeAll(async () => {
  harness = await startCartWithCatalog(fixture);
  ({ db, catalogDb, url } = harness);
});

afterAll(async () => {
  await harness?.stop();
});

const CART_FIELDS = /* GraphQL */ `id itemCount discountCode subtotal { amount currencyCode } total { amount } shippingAddress { country }
  lines { id quantity variant { id } unitPrice { amount currencyCode } }`;
const PAYLOAD = `cart { ${CART_FIELDS} } userErrors { field message code }`;
const CART = `query($id: ID!, $token: String) { cart(id: $id, guestToken: $token) { ${CART_FIELDS} } }`;
const CREATE = `mutation($input: CreateCartInput!) { createCart(input: $input) { guestToken ${PAYLOAD} } }`;
const ADD = `mutation($input: AddCartLinesInput!) { addCartLines(input: $input) { ${PAYLOAD} } }`;
const UPDATE = `mutation($input: UpdateCartLinesInput!) { updateCartLines(input: $input) { ${PAYLOAD} } }`;
const REMOVE = `mutation($input: RemoveCartLinesInput!) { removeCartLines(input: $input) { ${PAYLOAD} } }`;
const DISCOUNT = `mutation($input: ApplyDiscountCodeInput!) { applyDiscountCode(input: $input) { ${PAYLOAD} } }`;
const ADDRESS = `mutation($input: SetShippingAddressInput!) { setShippingAddress(input: $input) { ${PAYLOAD} } }`;
const MERGE = `mutation($input: MergeGuestCartInput!) { mergeGuestCart(input: $input) { ${PAYLOAD} } }`;
const CHECKOUT = `mutation($input: CheckoutInput!) { checkout(input: $input) { order { id } userErrors { code } } }`;

const NL = { name: 'Guest', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' };

async function gql(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const res = await postGraphQL(url, query, variables, headers);
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return res.body.data;
}

async function guestCart(lines: { variantId: string; quantity: number }[]) {
  const data = await gql(CREATE, { input: { lines } }, anonymous());
  expect(data.createCart.userErrors).toEqual([]);
  return { cart: data.createCart.cart, token: data.createCart.guestToken as string };
}

const linesOf = (cart: any) => Object.fromEntries(cart.lines.map((l: any) => [l.variant.id, l.quantity]));

describe('guest carts', () => {
  it('starts a guest cart for an anonymous caller and shows its token once, storing only its hash', async () => {
    const v = variants[3];
    const { cart, token } = await guestCart([{ variantId: v.id, quantity: 2 }]);
    expect(token).toMatch(/^gct_[A-Za-z0-9_-]{43}$/);
    expect(cart.lines[0]).toMatchObject({ quantity: 2, unitPrice: { amount: v.price, currencyCode: 'USD' } });
    const row = await db.cart.findUniqueOrThrow({ where: { id: cart.id } });
    expect(row.userId).toBeNull();
    expect(row.guestTokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token);

    // Every anonymous createCart is a new cart with a new token (there is nobody to find the old one by).
    const second = await guestCart([]);
    expect(second.cart.id).not.toBe(cart.id);
    expect(second.token).not.toBe(token);
    // A signed-in customer gets no token.
    const customer = await gql(CREATE, { input: {} }, asUser(newId()));
    expect(customer.createCart.guestToken).toBeNull();
  });

  it('lets the token holder read the cart; anyone else (no token, wrong token, another customer) gets null', async () => {
    const { cart, token } = await guestCart([{ variantId: variants[4].id, quantity: 1 }]);
    const other = await guestCart([]);
    expect((await gql(CART, { id: cart.id, token }, anonymous())).cart.id).toBe(cart.id);
    expect((await gql(CART, { id: cart.id }, anonymous())).cart).toBeNull();
    expect((await gql(CART, { id: cart.id, token: other.token }, anonymous())).cart).toBeNull();
    expect((await gql(CART, { id: cart.id, token: token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') }, anonymous())).cart).toBeNull();
    expect((await gql(CART, { id: cart.id }, asUser(newId()))).cart).toBeNull();
    // Support staff look carts up by id, guest carts included.
    expect((await gql(CART, { id: cart.id }, asSupport())).cart.id).toBe(cart.id);
  });

  it('runs every cart mutation for the token holder, priced like any cart', async () => {
    const [a, b] = [variants[5], variants[6]];
    const { cart, token } = await guestCart([{ variantId: a.id, quantity: 1 }]);
    const added = await gql(ADD, { input: { cartId: cart.id, guestToken: token, lines: [{ variantId: b.id, quantity: 3 }] } }, anonymous());
    expect(added.addCartLines.userErrors).toEqual([]);
    expect(linesOf(added.addCartLines.cart)).toEqual({ [a.id]: 1, [b.id]: 3 });
    const lineA = added.addCartLines.cart.lines.find((l: any) => l.variant.id === a.id).id;
    const lineB = added.addCartLines.cart.lines.find((l: any) => l.variant.id === b.id).id;

    const updated = await gql(UPDATE, { input: { cartId: cart.id, guestToken: token, lines: [{ lineId: lineA, quantity: 4 }] } }, anonymous());
    expect(linesOf(updated.updateCartLines.cart)).toEqual({ [a.id]: 4, [b.id]: 3 });
    const removed = await gql(REMOVE, { input: { cartId: cart.id, guestToken: token, lineIds: [lineB] } }, anonymous());
    expect(linesOf(removed.removeCartLines.cart)).toEqual({ [a.id]: 4 });

    const discounted = await gql(DISCOUNT, { input: { cartId: cart.id, guestToken: token, code: 'welcome10' } }, anonymous());
    expect(discounted.applyDiscountCode.cart.discountCode).toBe('WELCOME10');
    const addressed = await gql(ADDRESS, { input: { cartId: cart.id, guestToken: token, address: NL } }, anonymous());
    expect(addressed.setShippingAddress.userErrors).toEqual([]);
    const sub = 4 * a.price;
    const discount = Math.floor(sub / 10);
    const shipping = sub - discount >= 100_00 ? 0 : 7_95;
    expect(addressed.setShippingAddress.cart.subtotal.amount).toBe(sub);
    expect(addressed.setShippingAddress.cart.total.amount).toBe(sub - discount + shipping + Math.round((sub - discount + shipping) * 0.21));
  });

  it('answers CART_NOT_FOUND to a wrong, missing or borrowed token, and changes nothing', async () => {
    const { cart, token } = await guestCart([{ variantId: variants[8].id, quantity: 1 }]);
    const other = await guestCart([]);
    const lineId = cart.lines[0].id;
    const attempts: [string, Record<string, unknown>][] = [
      [ADD, { cartId: cart.id, lines: [{ variantId: variants[9].id, quantity: 1 }] }],
      [UPDATE, { cartId: cart.id, lines: [{ lineId, quantity: 5 }] }],
      [REMOVE, { cartId: cart.id, lineIds: [lineId] }],
      [DISCOUNT, { cartId: cart.id, code: 'FREESHIP' }],
      [ADDRESS, { cartId: cart.id, address: NL }],
    ];
    for (const badToken of [undefined, other.token, 'gct_' + 'x'.repeat(43), 'x'.repeat(5000)]) {
      for (const [mutation, input] of attempts) {
        const data = await gql(mutation, { input: { ...input, guestToken: badToken } }, anonymous());
        const payload = Object.values(data)[0] as any;
        expect(payload.cart).toBeNull();
        expect(payload.userErrors.map((e: any) => e.code)).toEqual(['CART_NOT_FOUND']);
      }
    }
    // A signed-in customer without the token is no better off.
    const customer = await gql(ADD, { input: attempts[0][1] }, asUser(newId()));
    expect(customer.addCartLines.userErrors.map((e: any) => e.code)).toEqual(['CART_NOT_FOUND']);
    // A token never opens a customer's cart.
    const owner = newId();
    const own = await gql(CREATE, { input: { lines: [{ variantId: variants[9].id, quantity: 1 }] } }, asUser(owner));
    const intruder = await gql(ADD, { input: { cartId: own.createCart.cart.id, guestToken: token, lines: [{ variantId: variants[8].id, quantity: 1 }] } }, anonymous());
    expect(intruder.addCartLines.userErrors.map((e: any) => e.code)).toEqual(['CART_NOT_FOUND']);

    const after = await db.cart.findUniqueOrThrow({ where: { id: cart.id }, include: { lines: true } });
    expect(after.lines.map((l) => [l.variantId, l.quantity])).toEqual([[variants[8].id, 1]]);
    expect(after.discountCode).toBeNull();
    expect(after.shippingAddress).toBeNull();
  });

  it('keeps checkout for signed-in customers: anonymous is UNAUTHENTICATED, a guest cart id is CART_NOT_FOUND', async () => {
    const { cart } = await guestCart([{ variantId: variants[10].id, quantity: 1 }]);
    const input = { cartId: cart.id, paymentToken: 'tok_success', idempotencyKey: newId() };
    const res = await postGraphQL(url, CHECKOUT, { input }, anonymous());
    expect(res.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const signedIn = await gql(CHECKOUT, { input }, asUser(newId()));
    expect(signedIn.checkout).toEqual({ order: null, userErrors: [{ code: 'CART_NOT_FOUND' }] });
    expect((await db.cart.findUniqueOrThrow({ where: { id: cart.id } })).status).toBe('ACTIVE');
  });
});

describe('merging a guest cart at sign-in', () => {
  it("sums quantities (capped at 99), refreshes prices, drops what is no longer for sale, and retires the guest cart", async () => {
    const [shared, repriced, plain] = [variants[11], variants[12], variants[13]];
    const draftProduct = fixture.products[30];
    const draft = variants.find((v) => v.productId === draftProduct.id)!;
    const user = newId();
    const mine = await gql(CREATE, { input: { lines: [{ variantId: shared.id, quantity: 60 }, { variantId: plain.id, quantity: 1 }] } }, asUser(user));
    const { cart: guest, token } = await guestCart([
      { variantId: shared.id, quantity: 50 },
      { variantId: repriced.id, quantity: 2 },
      { variantId: draft.id, quantity: 1 },
    ]);

    await catalogDb.variant.update({ where: { id: repriced.id }, data: { price: repriced.price + 111 } });
    await catalogDb.product.update({ where: { id: draftProduct.id }, data: { status: 'DRAFT' } });
    try {
      const data = await gql(MERGE, { input: { cartId: guest.id, guestToken: token } }, asUser(user));
      expect(data.mergeGuestCart.userErrors).toEqual([]);
      const merged = data.mergeGuestCart.cart;
      expect(merged.id).toBe(mine.createCart.cart.id);
      expect(linesOf(merged)).toEqual({ [shared.id]: 99, [plain.id]: 1, [repriced.id]: 2 });
      expect(merged.lines.find((l: any) => l.variant.id === repriced.id).unitPrice.amount).toBe(repriced.price + 111);
      expect(merged.subtotal.amount).toBe(99 * shared.price + plain.price + 2 * (repriced.price + 111));
    } finally {
      await catalogDb.variant.update({ where: { id: repriced.id }, data: { price: repriced.price } });
      await catalogDb.product.update({ where: { id: draftProduct.id }, data: { status: 'ACTIVE' } });
    }

    expect((await db.cart.findUniqueOrThrow({ where: { id: guest.id } })).status).toBe('MERGED');
    expect(await db.cart.count({ where: { userId: user, status: 'ACTIVE' } })).toBe(1);
    // The token no longer changes anything, and the merge cannot be repeated.
    const late = await gql(ADD, { input: { cartId: guest.id, guestToken: token, lines: [{ variantId: plain.id, quantity: 1 }] } }, anonymous());
    expect(late.addCartLines.userErrors.map((e: any) => e.code)).toEqual(['CART_NOT_ACTIVE']);
    const again = await gql(MERGE, { input: { cartId: guest.id, guestToken: token } }, asUser(user));
    expect(again.mergeGuestCart.userErrors.map((e: any) => e.code)).toEqual(['CART_NOT_ACTIVE']);
    expect(linesOf((await gql(CART, { id: mine.createCart.cart.id }, asUser(user))).cart)[shared.id]).toBe(99);
  });

  it("creates the customer's cart when they have none, keeping the guest's code and address", async () => {
    const user = newId();
    const { cart: guest, token } = await guestCart([{ variantId: variants[14].id, quantity: 3 }]);
    await gql(DISCOUNT, { input: { cartId: guest.id, guestToken: token, code: 'FREESHIP' } }, anonymous());
    await gql(ADDRESS, { input: { cartId: guest.id, guestToken: token, address: NL } }, anonymous());
    const data = await gql(MERGE, { input: { cartId: guest.id, guestToken: token } }, asUser(user));
    expect(data.mergeGuestCart.userErrors).toEqual([]);
    const cart = data.mergeGuestCart.cart;
    expect(cart.id).not.toBe(guest.id);
    expect(linesOf(cart)).toEqual({ [variants[14].id]: 3 });
    expect(cart.discountCode).toBe('FREESHIP');
    expect(cart.shippingAddress).toEqual({ country: 'NL' });
    expect((await db.cart.findUniqueOrThrow({ where: { id: cart.id } })).userId).toBe(user);
    // The guest cart keeps no address of its own once merged.
    expect(await db.cart.findUniqueOrThrow({ where: { id: guest.id } })).toMatchObject({ status: 'MERGED', shippingAddress: null });
  });

  it('refuses a wrong token, a customer cart and anonymous callers, changing nothing', async () => {
    const user = newId();
    const { cart: guest, token } = await guestCart([{ variantId: variants[15].id, quantity: 1 }]);
    const other = await guestCart([]);
    for (const input of [
      { cartId: guest.id, guestToken: other.token },
      { cartId: guest.id, guestToken: '' },
      { cartId: newId(), guestToken: token },
    ]) {
      const data = await gql(MERGE, { input }, asUser(user));
      expect(data.mergeGuestCart).toEqual({ cart: null, userErrors: [{ field: ['cartId'], message: 'Cart not found', code: 'CART_NOT_FOUND' }] });
    }
    const victim = newId();
    const victimCart = await gql(CREATE, { input: { lines: [{ variantId: variants[16].id, quantity: 1 }] } }, asUser(victim));
    const steal = await gql(MERGE, { input: { cartId: victimCart.createCart.cart.id, guestToken: token } }, asUser(user));
    expect(steal.mergeGuestCart.userErrors.map((e: any) => e.code)).toEqual(['CART_NOT_FOUND']);

    const res = await postGraphQL(url, MERGE, { input: { cartId: guest.id, guestToken: token } }, anonymous());
    expect(res.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await db.cart.findUniqueOrThrow({ where: { id: guest.id } })).status).toBe('ACTIVE');
    expect(await db.cart.count({ where: { userId: user } })).toBe(0);
    expect((await db.cart.findUniqueOrThrow({ where: { id: victimCart.createCart.cart.id } })).status).toBe('ACTIVE');
  });

  it('merges once when the same guest cart is merged concurrently, also into a cart not yet created', async () => {
    const user = newId();
    const v = variants[17];
    const { cart: guest, token } = await guestCart([{ variantId: v.id, quantity: 5 }]);
    const results = await Promise.all(Array.from({ length: 6 }, () => gql(MERGE, { input: { cartId: guest.id, guestToken: token } }, asUser(user))));
    const ok = results.filter((r) => r.mergeGuestCart.userErrors.length === 0);
    expect(ok).toHaveLength(1);
    expect(results.flatMap((r) => r.mergeGuestCart.userErrors.map((e: any) => e.code)).every((c: string) => c === 'CART_NOT_ACTIVE')).toBe(true);
    const carts = await db.cart.findMany({ where: { userId: user }, include: { lines: true } });
    expect(carts).toHaveLength(1);
    expect(carts[0].lines.map((l) => l.quantity)).toEqual([5]);
  });
});
