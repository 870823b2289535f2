import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicId, newId } from '@storefront/shared';
import { countStatements } from '@storefront/shared/db';
import { createTestDatabase, gatewayHeaders, postGraphQL, type TestDatabase } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
// Tests may compose services: prices come from a real catalog subgraph built in-process.
import { createCatalogDb, createCatalogServer, seedCatalog, type CatalogDb } from '@storefront/catalog';
import { CART_TTL_DAYS, CatalogUnavailableError, createCartDb, createCartServer, createCatalogClient, expireStaleCarts, seedCart, type CartDb } from '../src/index.ts';

const fixture = demoFixture();
const variants = fixture.products.flatMap((p) => p.variants.map((v) => ({ ...v, productId: p.id })));
const variantById = new Map(variants.map((v) => [v.id, v]));
const A = fixture.customer.id;
const B = deterministicId('user', 'cart-test-b@storefront.dev');
const DAY = 24 * 60 * 60 * 1000;

const asA = () => gatewayHeaders({ userId: A, roles: ['CUSTOMER'] });
const asB = () => gatewayHeaders({ userId: B, roles: ['CUSTOMER'] });
const asUser = (userId: string) => gatewayHeaders({ userId, roles: ['CUSTOMER'] });
const asSupport = () => gatewayHeaders({ userId: deterministicId('user', 'support@storefront.dev'), roles: ['SUPPORT'] });
const asService = () => gatewayHeaders({ service: 'checkout' });

let catalogDatabase: TestDatabase;
let cartDatabase: TestDatabase;
let catalogDb: CatalogDb;
let db: CartDb;
let catalog: Awaited<ReturnType<typeof createCatalogServer>>;
let server: Awaited<ReturnType<typeof createCartServer>>;
let url: string;
let catalogUrl: string;
let statements: ReturnType<typeof countStatements>;

beforeAll(async () => {
  [catalogDatabase, cartDatabase] = await Promise.all([createTestDatabase('catalog'), createTestDatabase('cart')]);
  catalogDb = createCatalogDb(catalogDatabase.url);
  await seedCatalog(catalogDb, fixture);
  catalog = await createCatalogServer({ databaseUrl: catalogDatabase.url, db: catalogDb });
  catalogUrl = `${await catalog.listen(0)}/graphql`;

  db = createCartDb(cartDatabase.url, { logQueries: true });
  statements = countStatements(db as any);
  await seedCart(db, fixture);
  await seedCart(db, fixture); // idempotent
  server = await createCartServer({ databaseUrl: cartDatabase.url, db, catalog: createCatalogClient({ url: catalogUrl }) });
  url = `${await server.listen(0)}/graphql`;
});

afterAll(async () => {
  await server?.close();
  await catalog?.close();
  await db?.$disconnect();
  await catalogDb?.$disconnect();
  await Promise.all([cartDatabase?.drop(), catalogDatabase?.drop()]);
});

const CART_FIELDS = /* GraphQL */ `id itemCount subtotal { amount currencyCode } expiresAt lines { id quantity variant { id } unitPrice { amount currencyCode } lineTotal { amount } }`;
const CART = `query($id: ID!) { cart(id: $id) { ${CART_FIELDS} } }`;
const USER_CART = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id cart { ${CART_FIELDS} } } } }`;
const CART_REF = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Cart { ${CART_FIELDS} } } }`;
const PAYLOAD = `cart { ${CART_FIELDS} } userErrors { field message code }`;
const CREATE = `mutation($input: CreateCartInput!) { createCart(input: $input) { ${PAYLOAD} } }`;
const ADD = `mutation($input: AddCartLinesInput!) { addCartLines(input: $input) { ${PAYLOAD} } }`;
const UPDATE = `mutation($input: UpdateCartLinesInput!) { updateCartLines(input: $input) { ${PAYLOAD} } }`;
const REMOVE = `mutation($input: RemoveCartLinesInput!) { removeCartLines(input: $input) { ${PAYLOAD} } }`;

async function gql(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const res = await postGraphQL(url, query, variables, headers);
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return res.body.data;
}

const userRefs = (...ids: string[]) => ({ r: ids.map((id) => ({ __typename: 'User', id })) });

/** A fresh user with a fresh cart, made through the API. */
async function newCustomerCart(lines: { variantId: string; quantity: number }[] = []) {
  const userId = newId();
  const data = await gql(CREATE, { input: { lines } }, asUser(userId));
  expect(data.createCart.userErrors).toEqual([]);
  return { userId, cart: data.createCart.cart, headers: asUser(userId) };
}

describe('cart subgraph: reading carts', () => {
  it('serves the seeded cart to its owner, priced from the fixture catalog', async () => {
    const data = await gql(USER_CART, userRefs(A), asA());
    const cart = data._entities[0].cart;
    expect(cart.id).toBe(fixture.cart.id);
    expect(cart.lines.map((l: any) => [l.variant.id, l.quantity])).toEqual(fixture.cart.lines.map((l) => [l.variantId, l.quantity]));
    const expected = fixture.cart.lines.reduce((sum, l) => sum + l.quantity * variantById.get(l.variantId)!.price, 0);
    expect(cart.subtotal).toEqual({ amount: expected, currencyCode: 'USD' });
    expect(cart.itemCount).toBe(3);
    expect(cart.lines[0].lineTotal.amount).toBe(cart.lines[0].unitPrice.amount * cart.lines[0].quantity);
    const direct = await gql(CART, { id: fixture.cart.id }, asA());
    expect(direct.cart).toEqual(cart);
  });

  it("answers null to anyone else for A's cart: root field, User.cart and Cart references alike", async () => {
    expect((await gql(CART, { id: fixture.cart.id }, asB())).cart).toBeNull();
    expect((await gql(USER_CART, userRefs(A), asB()))._entities[0]).toEqual({ id: A, cart: null });
    expect((await gql(CART_REF, { r: [{ __typename: 'Cart', id: fixture.cart.id }] }, asB()))._entities).toEqual([null]);
    expect((await gql(CART, { id: fixture.cart.id }, gatewayHeaders({})))?.cart).toBeNull();
    // Unknown ids look exactly like other people's carts.
    expect((await gql(CART, { id: newId() }, asA())).cart).toBeNull();
  });

  it('lets support staff look a cart up by id, but User.cart stays the owner\'s', async () => {
    expect((await gql(CART, { id: fixture.cart.id }, asSupport())).cart.id).toBe(fixture.cart.id);
    expect((await gql(USER_CART, userRefs(A), asSupport()))._entities[0].cart).toBeNull();
  });

  it('resolves User.cart and Cart references in a constant number of statements', async () => {
    const owners = Array.from({ length: 12 }, () => newId());
    const now = new Date();
    await db.cart.createMany({ data: owners.map((userId, i) => ({ id: deterministicId('cart', userId), userId, expiresAt: new Date(now.getTime() + DAY), lastActivityAt: now, currency: 'USD', createdAt: new Date(now.getTime() + i) })) });
    await db.cartLine.createMany({
      data: owners.flatMap((userId, i) => [0, 1, 2].map((k) => ({ id: newId(), cartId: deterministicId('cart', userId), variantId: variants[i * 3 + k].id, quantity: k + 1, unitPrice: variants[i * 3 + k].price, currency: 'USD' }))),
    });

    const count = async (query: string, vars: Record<string, unknown>) => {
      statements.reset();
      const data = await gql(query, vars, asService());
      return { n: statements.count, data };
    };
    const few = await count(USER_CART, userRefs(...owners.slice(0, 2)));
    const many = await count(USER_CART, userRefs(...owners, newId()));
    expect(many.data._entities).toHaveLength(13);
    expect(many.data._entities.slice(0, 12).every((u: any) => u.cart.lines.length === 3 && u.cart.itemCount === 6)).toBe(true);
    expect(many.data._entities[12].cart).toBeNull();
    expect(few.n).toBe(2);
    expect(many.n).toBe(few.n);

    const cartRefs = (ids: string[]) => ({ r: ids.map((userId) => ({ __typename: 'Cart', id: deterministicId('cart', userId) })) });
    const fewRefs = await count(CART_REF, cartRefs(owners.slice(0, 2)));
    const manyRefs = await count(CART_REF, cartRefs(owners));
    expect(manyRefs.data._entities.map((c: any) => c.id)).toEqual(owners.map((o) => deterministicId('cart', o)));
    expect(fewRefs.n).toBe(2);
    expect(manyRefs.n).toBe(fewRefs.n);
  });
});

describe('cart subgraph: changing carts', () => {
  it('creates a cart priced by the catalog, and hands the same cart back on a second createCart', async () => {
    const v = variants[7];
    const { userId, cart, headers } = await newCustomerCart([{ variantId: v.id, quantity: 2 }]);
    expect(cart.lines).toHaveLength(1);
    expect(cart.lines[0]).toMatchObject({ quantity: 2, variant: { id: v.id }, unitPrice: { amount: v.price, currencyCode: 'USD' }, lineTotal: { amount: 2 * v.price } });
    const before = new Date(cart.expiresAt).getTime();
    expect(Math.abs(before - (Date.now() + CART_TTL_DAYS * DAY))).toBeLessThan(60_000);

    const again = await gql(CREATE, { input: { lines: [{ variantId: v.id, quantity: 1 }] } }, headers);
    expect(again.createCart.userErrors).toEqual([]);
    expect(again.createCart.cart.id).toBe(cart.id);
    expect(again.createCart.cart.lines[0].quantity).toBe(3);
    expect(await db.cart.count({ where: { userId } })).toBe(1);
  });

  it('refuses quantities outside 1..99 with INVALID_QUANTITY, never an error, and changes nothing', async () => {
    const { cart, headers } = await newCustomerCart([{ variantId: variants[0].id, quantity: 1 }]);
    for (const quantity of [0, -1, 1_000_000_000, 100]) {
      const data = await gql(ADD, { input: { cartId: cart.id, lines: [{ variantId: variants[1].id, quantity }] } }, headers);
      expect(data.addCartLines.userErrors).toEqual([{ code: 'INVALID_QUANTITY', field: ['lines', '0', 'quantity'], message: expect.any(String) }]);
      expect(data.addCartLines.cart.lines).toHaveLength(1);
      const created = await gql(CREATE, { input: { lines: [{ variantId: variants[1].id, quantity }] } }, asUser(newId()));
      expect(created.createCart).toMatchObject({ cart: null, userErrors: [{ code: 'INVALID_QUANTITY' }] });
    }
    // Beyond GraphQL's Int range the request never reaches a resolver: a 400, not a 500.
    const huge = await postGraphQL(url, ADD, { input: { cartId: cart.id, lines: [{ variantId: variants[1].id, quantity: 1e10 }] } }, headers);
    expect(huge.status).toBe(400);
    expect(huge.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    // Adding to a line may not take it past 99 either.
    await gql(ADD, { input: { cartId: cart.id, lines: [{ variantId: variants[0].id, quantity: 98 }] } }, headers);
    const over = await gql(ADD, { input: { cartId: cart.id, lines: [{ variantId: variants[0].id, quantity: 1 }, { variantId: variants[1].id, quantity: 1 }, { variantId: variants[0].id, quantity: 1 }] } }, headers);
    expect(over.addCartLines.userErrors.map((e: any) => [e.code, e.field])).toEqual([['INVALID_QUANTITY', ['lines', '0', 'quantity']]]);
    expect(over.addCartLines.cart.lines.map((l: any) => l.quantity)).toEqual([99]);
  });

  it('refuses unknown variants and products that are not for sale', async () => {
    const { cart, headers } = await newCustomerCart();
    const unknown = await gql(ADD, { input: { cartId: cart.id, lines: [{ variantId: variants[2].id, quantity: 1 }, { variantId: newId(), quantity: 1 }] } }, headers);
    expect(unknown.addCartLines.userErrors.map((e: any) => [e.code, e.field])).toEqual([['VARIANT_NOT_FOUND', ['lines', '1', 'variantId']]]);
    expect(unknown.addCartLines.cart.lines).toEqual([]);

    const draft = variants.find((v) => v.productId === fixture.products[40].id)!;
    await catalogDb.product.update({ where: { id: fixture.products[40].id }, data: { status: 'DRAFT' } });
    try {
      const unavailable = await gql(ADD, { input: { cartId: cart.id, lines: [{ variantId: draft.id, quantity: 1 }] } }, headers);
      expect(unavailable.addCartLines.userErrors.map((e: any) => e.code)).toEqual(['VARIANT_UNAVAILABLE']);
      expect(await db.cartLine.count({ where: { cartId: cart.id } })).toBe(0);
    } finally {
      await catalogDb.product.update({ where: { id: fixture.products[40].id }, data: { status: 'ACTIVE' } });
    }
  });

  it('adds the same variant as more units at the current catalog price', async () => {
    const v = variants[9];
    const { cart, headers } = await newCustomerCart([{ variantId: v.id, quantity: 1 }]);
    await catalogDb.variant.update({ where: { id: v.id }, data: { price: v.price + 250 } });
    try {
      const data = await gql(ADD, { input: { cartId: cart.id, lines: [{ variantId: v.id, quantity: 2 }] } }, headers);
      expect(data.addCartLines.userErrors).toEqual([]);
      expect(data.addCartLines.cart.lines).toHaveLength(1);
      expect(data.addCartLines.cart.lines[0]).toMatchObject({ quantity: 3, unitPrice: { amount: v.price + 250 } });
      expect(data.addCartLines.cart.subtotal.amount).toBe(3 * (v.price + 250));
    } finally {
      await catalogDb.variant.update({ where: { id: v.id }, data: { price: v.price } });
    }
  });

  it('updates and removes lines, answering LINE_NOT_FOUND for lines of other carts', async () => {
    const { cart, headers } = await newCustomerCart([{ variantId: variants[3].id, quantity: 1 }, { variantId: variants[4].id, quantity: 1 }]);
    const [first, second] = cart.lines;
    const seededLine = (await db.cartLine.findFirst({ where: { cartId: fixture.cart.id } }))!;

    const updated = await gql(UPDATE, { input: { cartId: cart.id, lines: [{ lineId: first.id, quantity: 5 }] } }, headers);
    expect(updated.updateCartLines.userErrors).toEqual([]);
    expect(updated.updateCartLines.cart.lines.map((l: any) => l.quantity)).toEqual([5, 1]);
    expect(updated.updateCartLines.cart.itemCount).toBe(6);

    for (const quantity of [0, -1, 1_000_000_000]) {
      const bad = await gql(UPDATE, { input: { cartId: cart.id, lines: [{ lineId: first.id, quantity }] } }, headers);
      expect(bad.updateCartLines.userErrors.map((e: any) => [e.code, e.field])).toEqual([['INVALID_QUANTITY', ['lines', '0', 'quantity']]]);
    }
    const dup = await gql(UPDATE, { input: { cartId: cart.id, lines: [{ lineId: first.id, quantity: 2 }, { lineId: first.id, quantity: 3 }] } }, headers);
    expect(dup.updateCartLines.userErrors.map((e: any) => e.code)).toEqual(['DUPLICATE_LINE']);
    const foreign = await gql(UPDATE, { input: { cartId: cart.id, lines: [{ lineId: second.id, quantity: 2 }, { lineId: seededLine.id, quantity: 2 }] } }, headers);
    expect(foreign.updateCartLines.userErrors.map((e: any) => [e.code, e.field])).toEqual([['LINE_NOT_FOUND', ['lines', '1', 'lineId']]]);
    expect(foreign.updateCartLines.cart.lines.map((l: any) => l.quantity)).toEqual([5, 1]); // all or nothing
    expect((await db.cartLine.findUnique({ where: { id: seededLine.id } }))!.quantity).toBe(seededLine.quantity);

    const missing = await gql(REMOVE, { input: { cartId: cart.id, lineIds: [first.id, seededLine.id] } }, headers);
    expect(missing.removeCartLines.userErrors.map((e: any) => [e.code, e.field])).toEqual([['LINE_NOT_FOUND', ['lineIds', '1']]]);
    const removed = await gql(REMOVE, { input: { cartId: cart.id, lineIds: [first.id] } }, headers);
    expect(removed.removeCartLines.userErrors).toEqual([]);
    expect(removed.removeCartLines.cart.lines.map((l: any) => l.id)).toEqual([second.id]);
    expect(await db.cartLine.count({ where: { id: seededLine.id } })).toBe(1);
  });

  it("answers CART_NOT_FOUND to a customer changing someone else's cart, and changes nothing", async () => {
    const before = await db.cartLine.findMany({ where: { cartId: fixture.cart.id }, orderBy: { id: 'asc' } });
    const add = await gql(ADD, { input: { cartId: fixture.cart.id, lines: [{ variantId: variants[0].id, quantity: 1 }] } }, asB());
    expect(add.addCartLines).toEqual({ cart: null, userErrors: [{ code: 'CART_NOT_FOUND', field: ['cartId'], message: expect.any(String) }] });
    const update = await gql(UPDATE, { input: { cartId: fixture.cart.id, lines: [{ lineId: before[0].id, quantity: 7 }] } }, asB());
    expect(update.updateCartLines.userErrors[0].code).toBe('CART_NOT_FOUND');
    const remove = await gql(REMOVE, { input: { cartId: fixture.cart.id, lineIds: [before[0].id] } }, asB());
    expect(remove.removeCartLines.userErrors[0].code).toBe('CART_NOT_FOUND');
    // Support may read carts but not change them.
    const support = await postGraphQL(url, ADD, { input: { cartId: fixture.cart.id, lines: [{ variantId: variants[0].id, quantity: 1 }] } }, asSupport());
    expect(support.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await db.cartLine.findMany({ where: { cartId: fixture.cart.id }, orderBy: { id: 'asc' } })).toEqual(before);
  });

  it('expires carts after inactivity: CART_EXPIRED on change, gone from User.cart, and createCart starts afresh', async () => {
    const { userId, cart, headers } = await newCustomerCart([{ variantId: variants[5].id, quantity: 1 }]);
    const line = cart.lines[0];
    await db.cart.update({ where: { id: cart.id }, data: { expiresAt: new Date(Date.now() - 1000) } });

    expect((await gql(USER_CART, userRefs(userId), headers))._entities[0].cart).toBeNull();
    const add = await gql(ADD, { input: { cartId: cart.id, lines: [{ variantId: variants[6].id, quantity: 1 }] } }, headers);
    expect(add.addCartLines.userErrors.map((e: any) => e.code)).toEqual(['CART_EXPIRED']);
    expect((await db.cart.findUnique({ where: { id: cart.id } }))!.status).toBe('EXPIRED');
    const update = await gql(UPDATE, { input: { cartId: cart.id, lines: [{ lineId: line.id, quantity: 2 }] } }, headers);
    expect(update.updateCartLines.userErrors.map((e: any) => e.code)).toEqual(['CART_EXPIRED']);
    const remove = await gql(REMOVE, { input: { cartId: cart.id, lineIds: [line.id] } }, headers);
    expect(remove.removeCartLines.userErrors.map((e: any) => e.code)).toEqual(['CART_EXPIRED']);
    expect(await db.cartLine.count({ where: { cartId: cart.id } })).toBe(1);

    const fresh = await gql(CREATE, { input: {} }, headers);
    expect(fresh.createCart.userErrors).toEqual([]);
    expect(fresh.createCart.cart.id).not.toBe(cart.id);
    expect((await gql(USER_CART, userRefs(userId), headers))._entities[0].cart.id).toBe(fresh.createCart.cart.id);
  });

  it('moves the expiry forward on every change, and the sweep retires stale carts', async () => {
    const { cart, headers } = await newCustomerCart([{ variantId: variants[10].id, quantity: 1 }]);
    const soon = new Date(Date.now() + DAY);
    await db.cart.update({ where: { id: cart.id }, data: { expiresAt: soon } });
    const data = await gql(UPDATE, { input: { cartId: cart.id, lines: [{ lineId: cart.lines[0].id, quantity: 4 }] } }, headers);
    expect(new Date(data.updateCartLines.cart.expiresAt).getTime()).toBeGreaterThan(Date.now() + (CART_TTL_DAYS - 1) * DAY);

    const stale = await newCustomerCart();
    await db.cart.update({ where: { id: stale.cart.id }, data: { expiresAt: new Date(Date.now() - DAY) } });
    expect(await expireStaleCarts(db)).toBeGreaterThanOrEqual(1);
    expect((await db.cart.findUnique({ where: { id: stale.cart.id } }))!.status).toBe('EXPIRED');
    expect((await db.cart.findUnique({ where: { id: cart.id } }))!.status).toBe('ACTIVE');
  });

  it('keeps concurrent changes consistent: one cart per user, and no line past 99', async () => {
    const userId = newId();
    const created = await Promise.all(Array.from({ length: 4 }, () => gql(CREATE, { input: {} }, asUser(userId))));
    const ids = new Set(created.map((d) => d.createCart.cart.id));
    expect(ids.size).toBe(1);
    expect(await db.cart.count({ where: { userId, status: 'ACTIVE' } })).toBe(1);

    // Eight concurrent adds of 14 onto a line of 1: exactly seven fit under 99, and no update is lost.
    const cartId = [...ids][0];
    await gql(ADD, { input: { cartId, lines: [{ variantId: variants[11].id, quantity: 1 }] } }, asUser(userId));
    const results = await Promise.all(Array.from({ length: 8 }, () => gql(ADD, { input: { cartId, lines: [{ variantId: variants[11].id, quantity: 14 }] } }, asUser(userId))));
    const codes = results.map((r) => r.addCartLines.userErrors.map((e: any) => e.code).join());
    expect(codes.filter((c) => c === '')).toHaveLength(7);
    expect(codes.filter((c) => c === 'INVALID_QUANTITY')).toHaveLength(1);
    expect((await db.cartLine.findFirstOrThrow({ where: { cartId } })).quantity).toBe(99);
  });
});

describe('cart subgraph: catalog client', () => {
  it('signs its calls as the cart service and reads price and product status in one request', async () => {
    const [a, b] = [variants[0], variants[50]];
    const found = await createCatalogClient({ url: catalogUrl }).variants([a.id, b.id, a.id, 'unknown']);
    expect([...found.keys()].sort()).toEqual([a.id, b.id].sort());
    expect(found.get(a.id)).toEqual({ id: a.id, sku: a.sku, productTitle: expect.any(String), price: { amount: a.price, currencyCode: 'USD' }, productStatus: 'ACTIVE' });
  });

  it('fails loudly, never with a made-up price, when the catalog refuses or cannot be reached', async () => {
    await expect(createCatalogClient({ url: catalogUrl, secret: 'not-the-secret' }).variants([variants[0].id])).rejects.toBeInstanceOf(CatalogUnavailableError);
    await expect(createCatalogClient({ url: 'http://127.0.0.1:9/graphql', timeoutMs: 2000 }).variants([variants[0].id])).rejects.toBeInstanceOf(CatalogUnavailableError);

    const offline = await createCartServer({ databaseUrl: cartDatabase.url, db, catalog: createCatalogClient({ url: 'http://127.0.0.1:9/graphql', timeoutMs: 2000 }) });
    const offlineUrl = `${await offline.listen(0)}/graphql`;
    try {
      const { cart, headers } = await newCustomerCart();
      const res = await postGraphQL(offlineUrl, ADD, { input: { cartId: cart.id, lines: [{ variantId: variants[0].id, quantity: 1 }] } }, headers);
      expect(res.body.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(await db.cartLine.count({ where: { cartId: cart.id } })).toBe(0);
    } finally {
      await offline.close();
    }
  });
});

describe('cart subgraph: access', () => {
  it('refuses requests without the gateway signature', async () => {
    const res = await postGraphQL(url, '{ _service { sdl } }');
    expect(res.status).toBe(401);
    const forged = await postGraphQL(url, CART, { id: fixture.cart.id }, { ...asA(), 'x-storefront-signature': 'AAAA' });
    expect(forged.status).toBe(401);
  });

  it("lets anonymous callers change only guest carts they hold the token of, and signed-in callers only with cart:write", async () => {
    // Anonymous: a customer's cart is not theirs (guest flows are in guest.test.ts).
    const res = await postGraphQL(url, ADD, { input: { cartId: fixture.cart.id, lines: [{ variantId: variants[0].id, quantity: 1 }] } }, gatewayHeaders({}));
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.addCartLines).toMatchObject({ cart: null, userErrors: [{ code: 'CART_NOT_FOUND' }] });
    // Support staff are signed in without cart:write.
    const staff = await postGraphQL(url, CREATE, { input: {} }, asSupport());
    expect(staff.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(staff.body.data?.createCart ?? null).toBeNull();
  });
});
