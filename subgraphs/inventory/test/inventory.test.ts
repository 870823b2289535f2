import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@storefront/shared';
import { countStatements } from '@storefront/shared/db';
import { MemoryTransport, OutboxRelay, type DomainEvent } from '@storefront/shared/events';
import { createTestDatabase, gatewayHeaders, postGraphQL, type TestDatabase } from '@storefront/shared/testing';
import { demoFixture, stockFor } from '@storefront/shared/fixtures';
import { createInventoryDb, createInventoryServer, seedInventory, type InventoryDb } from '../src/index.ts';
import { expectLedgerBalances, stockEvents, totalsOf } from './helpers.ts';

const fixture = demoFixture();
const [AMS, NYC] = fixture.warehouses.map((w) => w.id);
const admin = fixture.users.find((u) => u.roles.includes('ADMIN'))!;
let database: TestDatabase;
let db: InventoryDb;
let server: Awaited<ReturnType<typeof createInventoryServer>>;
let url: string;
let statements: ReturnType<typeof countStatements>;
const asCustomer = gatewayHeaders({ userId: fixture.customer.id, roles: ['CUSTOMER'] });
const asAdmin = gatewayHeaders({ userId: admin.id, roles: ['ADMIN'] });
const asOrderService = gatewayHeaders({ service: 'order' });

beforeAll(async () => {
  database = await createTestDatabase('inventory');
  db = createInventoryDb(database.url, { logQueries: true });
  statements = countStatements(db as any);
  await seedInventory(db, fixture);
  server = await createInventoryServer({ databaseUrl: database.url, db });
  url = `${await server.listen(0)}/graphql`;
});

afterAll(async () => {
  await server?.close();
  await db?.$disconnect();
  await database?.drop();
});

const STOCK = /* GraphQL */ `
  query Stock($r: [_Any!]!) {
    _entities(representations: $r) {
      ... on Variant { id stock { available onHand reserved inStock locations { location { code } onHand reserved available } } }
    }
  }
`;
const stockOf = async (ids: string[], headers = asCustomer) => {
  const res = await postGraphQL(url, STOCK, { r: ids.map((id) => ({ __typename: 'Variant', id })) }, headers);
  expect(res.body.errors).toBeUndefined();
  return res.body.data._entities as any[];
};

const RESTOCK = /* GraphQL */ `
  mutation Restock($input: RestockVariantInput!) {
    restockVariant(input: $input) {
      variant { id stock { available onHand } }
      stockLevel { location { code } onHand reserved available }
      userErrors { field message code }
    }
  }
`;
const ADJUST = /* GraphQL */ `
  mutation Adjust($input: AdjustStockInput!) {
    adjustStock(input: $input) { variant { id stock { onHand reserved available } } stockLevel { onHand } userErrors { field message code } }
  }
`;
const RESERVE = /* GraphQL */ `
  mutation Reserve($input: ReserveStockInput!) {
    reserveStock(input: $input) {
      reservation { id reference status expiresAt lines { variantId quantity location { code } } }
      shortages { variantId requested available }
      userErrors { field code message }
    }
  }
`;
const COMMIT = /* GraphQL */ `
  mutation Commit($input: CommitReservationInput!) { commitReservation(input: $input) { reservation { id status } userErrors { code } } }
`;
const RELEASE = /* GraphQL */ `
  mutation Release($input: ReleaseReservationInput!) { releaseReservation(input: $input) { reservation { id status } userErrors { code } } }
`;

describe('seed', () => {
  it('writes both warehouses and every variant stock from stockFor, idempotently', async () => {
    const variants = fixture.products.flatMap((p) => p.variants);
    const counts = async () => ({ levels: await db.stockLevel.count(), movements: await db.stockMovement.count(), events: await db.outboxEvent.count() });
    const before = await counts();
    expect(before.levels).toBe(variants.length * 2);
    await seedInventory(db, fixture);
    expect(await counts()).toEqual(before);

    const sample = variants[7];
    const [ams, nyc] = stockFor(sample.sku);
    expect(await totalsOf(db, sample.id)).toEqual({ onHand: ams + nyc, reserved: 0, available: ams + nyc });
    expect((await stockEvents(db, sample.id)).map((e) => e.payload)).toEqual([{ variantId: sample.id, available: ams + nyc, onHand: ams + nyc, reserved: 0 }]);
    await expectLedgerBalances(db, variants.slice(0, 50).map((v) => v.id));
  });

  it('lists the locations in allocation order', async () => {
    const res = await postGraphQL(url, '{ locations { id code name } }', {}, asCustomer);
    expect(res.body.data.locations).toEqual(fixture.warehouses.map((w) => ({ id: w.id, code: w.code, name: w.name })));
  });
});

describe('Variant.stock', () => {
  it('resolves many variants with one batched query, whatever their number', async () => {
    const variants = fixture.products.flatMap((p) => p.variants);
    statements.reset();
    await stockOf(variants.slice(0, 3).map((v) => v.id));
    const few = statements.count;
    statements.reset();
    const many = variants.slice(0, 60);
    const entities = await stockOf([...many.map((v) => v.id), 'never-stocked']);
    expect(statements.count).toBe(few);
    expect(few).toBeLessThanOrEqual(2); // stock rows, then locations

    many.forEach((v, i) => {
      const [ams, nyc] = stockFor(v.sku);
      expect(entities[i]).toEqual({
        id: v.id,
        stock: {
          available: ams + nyc, onHand: ams + nyc, reserved: 0, inStock: ams + nyc > 0,
          locations: [{ location: { code: 'AMS' }, onHand: ams, reserved: 0, available: ams }, { location: { code: 'NYC' }, onHand: nyc, reserved: 0, available: nyc }],
        },
      });
    });
    expect(entities.at(-1)).toEqual({ id: 'never-stocked', stock: { available: 0, onHand: 0, reserved: 0, inStock: false, locations: [] } });
  });

  it('is public: an anonymous (but gateway-signed) request may read it', async () => {
    const v = fixture.products[0].variants[0];
    const [entity] = await stockOf([v.id], gatewayHeaders({}));
    expect(entity.stock.onHand).toBe(stockFor(v.sku).reduce((a, b) => a + b, 0));
  });
});

describe('admin stock changes', () => {
  it('restockVariant adds units, writes a RESTOCK movement with reason and actor, and a StockChanged event', async () => {
    const v = fixture.products[3].variants[0];
    const [ams, nyc] = stockFor(v.sku);
    const res = await postGraphQL(url, RESTOCK, { input: { variantId: v.id, locationId: NYC, quantity: 12, reason: 'PO received', reference: 'PO-1001' } }, asAdmin);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.restockVariant).toEqual({
      variant: { id: v.id, stock: { available: ams + nyc + 12, onHand: ams + nyc + 12 } },
      stockLevel: { location: { code: 'NYC' }, onHand: nyc + 12, reserved: 0, available: nyc + 12 },
      userErrors: [],
    });
    const movement = await db.stockMovement.findFirstOrThrow({ where: { variantId: v.id, kind: 'RESTOCK', reference: 'PO-1001' } });
    expect(movement).toMatchObject({ locationId: NYC, deltaOnHand: 12, deltaReserved: 0, reason: 'PO received', actor: `user:${admin.id}` });
    expect((await stockEvents(db, v.id)).at(-1)!.payload).toEqual({ variantId: v.id, available: ams + nyc + 12, onHand: ams + nyc + 12, reserved: 0 });
    await expectLedgerBalances(db, [v.id]);
  });

  it('restocking a location for the first time creates its row', async () => {
    const variantId = newId();
    const res = await postGraphQL(url, RESTOCK, { input: { variantId, locationId: AMS, quantity: 3, reason: 'new line' } }, asAdmin);
    expect(res.body.data.restockVariant.variant.stock).toEqual({ available: 3, onHand: 3 });
    expect((await stockEvents(db, variantId)).map((e) => e.payload)).toEqual([{ variantId, available: 3, onHand: 3, reserved: 0 }]);
  });

  it('adjustStock corrects on-hand by a delta but never below the reserved units', async () => {
    const variantId = newId();
    await postGraphQL(url, RESTOCK, { input: { variantId, locationId: AMS, quantity: 10, reason: 'initial' } }, asAdmin);
    const held = await postGraphQL(url, RESERVE, { input: { reference: newId(), lines: [{ variantId, quantity: 4 }] } }, asOrderService);
    expect(held.body.data.reserveStock.userErrors).toEqual([]);
    const movements = await db.stockMovement.count({ where: { variantId } });
    const events = await db.outboxEvent.count({ where: { aggregateId: variantId } });

    const tooMuch = await postGraphQL(url, ADJUST, { input: { variantId, locationId: AMS, delta: -7, reason: 'damaged' } }, asAdmin);
    expect(tooMuch.body.data.adjustStock).toMatchObject({ variant: null, userErrors: [{ code: 'INSUFFICIENT_STOCK', field: ['input', 'delta'] }] });
    const zero = await postGraphQL(url, ADJUST, { input: { variantId, locationId: AMS, delta: 0, reason: 'nothing' } }, asAdmin);
    expect(zero.body.data.adjustStock.userErrors).toMatchObject([{ code: 'INVALID_QUANTITY', field: ['input', 'delta'] }]);
    const noReason = await postGraphQL(url, ADJUST, { input: { variantId, locationId: AMS, delta: -1, reason: '   ' } }, asAdmin);
    expect(noReason.body.data.adjustStock.userErrors).toMatchObject([{ code: 'INVALID_REASON', field: ['input', 'reason'] }]);
    const nowhere = await postGraphQL(url, ADJUST, { input: { variantId, locationId: newId(), delta: 1, reason: 'found' } }, asAdmin);
    expect(nowhere.body.data.adjustStock.userErrors).toMatchObject([{ code: 'NOT_FOUND', field: ['input', 'locationId'] }]);
    const negativeRestock = await postGraphQL(url, RESTOCK, { input: { variantId, locationId: AMS, quantity: -5, reason: 'oops' } }, asAdmin);
    expect(negativeRestock.body.data.restockVariant.userErrors).toMatchObject([{ code: 'INVALID_QUANTITY', field: ['input', 'quantity'] }]);
    expect(await db.stockMovement.count({ where: { variantId } })).toBe(movements);
    expect(await db.outboxEvent.count({ where: { aggregateId: variantId } })).toBe(events);

    const ok = await postGraphQL(url, ADJUST, { input: { variantId, locationId: AMS, delta: -6, reason: 'water damage' } }, asAdmin);
    expect(ok.body.data.adjustStock).toEqual({ variant: { id: variantId, stock: { onHand: 4, reserved: 4, available: 0 } }, stockLevel: { onHand: 4 }, userErrors: [] });
    expect(await db.stockMovement.findFirstOrThrow({ where: { variantId, kind: 'ADJUST' } })).toMatchObject({ deltaOnHand: -6, reason: 'water damage', actor: `user:${admin.id}` });
    expect((await stockEvents(db, variantId)).at(-1)!.payload).toEqual({ variantId, available: 0, onHand: 4, reserved: 4 });
    await expectLedgerBalances(db, [variantId]);
  });

  it('refuses stock changes without inventory:write', async () => {
    const v = fixture.products[3].variants[1];
    const before = await totalsOf(db, v.id);
    const input = { variantId: v.id, locationId: AMS, quantity: 5, reason: 'sneaky' };
    const customer = await postGraphQL(url, RESTOCK, { input }, asCustomer);
    expect(customer.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const support = await postGraphQL(url, ADJUST, { input: { variantId: v.id, locationId: AMS, delta: -1, reason: 'x' } }, gatewayHeaders({ userId: newId(), roles: ['SUPPORT'] }));
    expect(support.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await postGraphQL(url, RESTOCK, { input }, gatewayHeaders({}));
    expect(anonymous.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await totalsOf(db, v.id)).toEqual(before);
  });
});

describe('internal checkout operations', () => {
  it('are refused to customers and admins alike, and change nothing', async () => {
    const v = fixture.products[4].variants[0];
    const before = await totalsOf(db, v.id);
    const reference = newId();
    for (const headers of [asCustomer, asAdmin]) {
      const res = await postGraphQL(url, RESERVE, { input: { reference, lines: [{ variantId: v.id, quantity: 1 }] } }, headers);
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(res.body.data?.reserveStock ?? null).toBeNull();
    }
    for (const [query, name] of [[COMMIT, 'commitReservation'], [RELEASE, 'releaseReservation']] as const) {
      const res = await postGraphQL(url, query, { input: { reservationId: newId() } }, asCustomer);
      expect(res.body.errors?.[0].extensions?.code, name).toBe('FORBIDDEN');
    }
    expect(await db.reservation.count({ where: { reference } })).toBe(0);
    expect(await totalsOf(db, v.id)).toEqual(before);
  });

  it('run the reserve → commit saga for a service caller', async () => {
    const variantId = newId();
    await postGraphQL(url, RESTOCK, { input: { variantId, locationId: AMS, quantity: 1, reason: 'r' } }, asAdmin);
    await postGraphQL(url, RESTOCK, { input: { variantId, locationId: NYC, quantity: 5, reason: 'r' } }, asAdmin);
    const reference = `order-${newId()}`;
    const res = await postGraphQL(url, RESERVE, { input: { reference, lines: [{ variantId, quantity: 3 }], ttlSeconds: 600 } }, asOrderService);
    expect(res.body.errors).toBeUndefined();
    const { reservation } = res.body.data.reserveStock;
    expect(reservation).toMatchObject({ reference, status: 'ACTIVE' });
    expect(Date.parse(reservation.expiresAt) - Date.now()).toBeGreaterThan(590_000);
    expect(reservation.lines.map((l: any) => [l.location.code, l.quantity]).sort()).toEqual([['AMS', 1], ['NYC', 2]]);
    const [entity] = await stockOf([variantId]);
    expect(entity.stock).toMatchObject({ onHand: 6, reserved: 3, available: 3, inStock: true });

    const short = await postGraphQL(url, RESERVE, { input: { reference: newId(), lines: [{ variantId, quantity: 4 }] } }, asOrderService);
    expect(short.body.data.reserveStock).toMatchObject({ reservation: null, shortages: [{ variantId, requested: 4, available: 3 }], userErrors: [{ code: 'OUT_OF_STOCK' }] });

    const committed = await postGraphQL(url, COMMIT, { input: { reservationId: reservation.id } }, asOrderService);
    expect(committed.body.data.commitReservation).toEqual({ reservation: { id: reservation.id, status: 'COMMITTED' }, userErrors: [] });
    const released = await postGraphQL(url, RELEASE, { input: { reservationId: reservation.id } }, asOrderService);
    expect(released.body.data.releaseReservation.userErrors).toEqual([{ code: 'RESERVATION_NOT_ACTIVE' }]);
    const [after] = await stockOf([variantId]);
    expect(after.stock).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
  });
});

describe('outbox', () => {
  it('StockChanged rows are published by the shared relay, in the order the changes happened', async () => {
    const variantId = newId();
    for (const quantity of [2, 3, 4]) await postGraphQL(url, RESTOCK, { input: { variantId, locationId: AMS, quantity, reason: 'relay test' } }, asAdmin);
    const transport = new MemoryTransport();
    const received: DomainEvent[] = [];
    transport.subscribe({ group: 'test', consumer: 'test', types: ['StockChanged'], handler: async (e) => void (e.aggregateId === variantId && received.push(e)) });
    await new OutboxRelay(db as any, transport, 'inventory').kick();
    await new Promise((r) => setTimeout(r, 50));
    expect(received.map((e) => [e.source, e.payload])).toEqual([2, 5, 9].map((onHand) => ['inventory', { variantId, available: onHand, onHand, reserved: 0 }]));
    expect(await db.outboxEvent.count({ where: { publishedAt: null } })).toBe(0);
  });
});

describe('transport', () => {
  it('refuses requests that do not carry a valid gateway signature', async () => {
    const res = await postGraphQL(url, '{ locations { id } }');
    expect(res.status).toBe(401);
    const forged = await postGraphQL(url, '{ locations { id } }', {}, { ...asCustomer, 'x-storefront-signature': 'AAAA' });
    expect(forged.status).toBe(401);
  });
});

describe('cache hints', () => {
  const cacheControl = async (query: string, variables: Record<string, unknown>, headers: Record<string, string>) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
    await res.text();
    return res.headers.get('cache-control');
  };

  it('lets the gateway reuse stock answers to shoppers for INVENTORY_STOCK_MAX_AGE_MS, never a service\'s or a mutation\'s', async () => {
    const r = [{ __typename: 'Variant', id: fixture.products[0].variants[0].id }];
    expect(await cacheControl(STOCK, { r }, asCustomer)).toBe('public, max-age=2');
    expect(await cacheControl(STOCK, { r }, asOrderService)).toBeNull();
    const restock = { variantId: fixture.products[0].variants[0].id, locationId: AMS, quantity: 1, reason: 'cache hint test' };
    expect(await cacheControl(RESTOCK, { input: restock }, asAdmin)).toBeNull();
  });
});
