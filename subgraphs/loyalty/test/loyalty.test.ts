import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@storefront/shared';
import { countStatements } from '@storefront/shared/db';
import { createTestDatabase, gatewayHeaders, postGraphQL, type TestDatabase } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createLoyaltyDb, createLoyaltyServer, seedLoyalty, type LoyaltyDb } from '../src/index.ts';
import { earnForOrder } from '../src/services/points.ts';

const fixture = demoFixture();
let database: TestDatabase;
let db: LoyaltyDb;
let server: Awaited<ReturnType<typeof createLoyaltyServer>>;
let url: string;
let statements: ReturnType<typeof countStatements>;

const customer = fixture.customer;
const asCustomer = gatewayHeaders({ userId: customer.id, roles: ['CUSTOMER'] });
const stranger = newId();
const asStranger = gatewayHeaders({ userId: stranger, roles: ['CUSTOMER'] });
const asSupport = gatewayHeaders({ userId: newId(), roles: ['SUPPORT'] });
const asAdmin = gatewayHeaders({ userId: newId(), roles: ['ADMIN'] });
const asAnonymous = gatewayHeaders({});

const delivered = fixture.orders.filter((o) => o.status === 'DELIVERED');
const paid = fixture.orders.filter((o) => o.status === 'PAID');
const points = (orders: typeof fixture.orders) => orders.reduce((s, o) => s + Math.floor(o.total / 100), 0);

beforeAll(async () => {
  database = await createTestDatabase('loyalty');
  db = createLoyaltyDb(database.url, { logQueries: true });
  statements = countStatements(db as any);
  await seedLoyalty(db, fixture);
  await seedLoyalty(db, fixture);
  server = await createLoyaltyServer({ databaseUrl: database.url, db });
  url = `${await server.listen(0)}/graphql`;
});

afterAll(async () => {
  await server?.close();
  await db?.$disconnect();
  await database?.drop();
});

const USER_LOYALTY = /* GraphQL */ `
  query($r: [_Any!]!, $first: Int, $after: String) {
    _entities(representations: $r) {
      ... on User {
        id
        loyalty {
          points pendingPoints lifetimePoints tier nextTier pointsToNextTier
          history(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { kind points pending reason order { id } } } }
        }
      }
    }
  }
`;
const userRefs = (ids: string[]) => ids.map((id) => ({ __typename: 'User', id }));

describe('loyalty subgraph', () => {
  it("seeds the customer's points: available for delivered orders, pending for paid ones, once", async () => {
    expect(delivered.length).toBeGreaterThan(0);
    expect(paid.length).toBeGreaterThan(0);
    const res = await postGraphQL(url, USER_LOYALTY, { r: userRefs([customer.id]) }, asCustomer);
    expect(res.body.errors).toBeUndefined();
    const loyalty = res.body.data._entities[0].loyalty;
    expect(loyalty).toMatchObject({ points: points(delivered), pendingPoints: points(paid), lifetimePoints: points(delivered), tier: 'BRONZE', nextTier: 'SILVER', pointsToNextTier: 1_000 - points(delivered) });
    expect(loyalty.history.totalCount).toBe(fixture.orders.length);
    expect(loyalty.history.edges.map((e: any) => e.node.order.id).sort()).toEqual(fixture.orders.map((o) => o.id).sort());
  });

  it("answers null for someone else's loyalty through User references", async () => {
    for (const headers of [asStranger, asAnonymous]) {
      const res = await postGraphQL(url, USER_LOYALTY, { r: userRefs([customer.id]) }, headers);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data._entities).toEqual([{ id: customer.id, loyalty: null }]);
    }
    const staff = await postGraphQL(url, USER_LOYALTY, { r: userRefs([customer.id]) }, asSupport);
    expect(staff.body.data._entities[0].loyalty.points).toBe(points(delivered));
  });

  it('gives a member without activity a zero BRONZE account, not null', async () => {
    const res = await postGraphQL(url, USER_LOYALTY, { r: userRefs([stranger]) }, asStranger);
    expect(res.body.data._entities[0].loyalty).toEqual({
      points: 0, pendingPoints: 0, lifetimePoints: 0, tier: 'BRONZE', nextTier: 'SILVER', pointsToNextTier: 1_000,
      history: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] },
    });
    expect(await db.loyaltyAccount.count({ where: { userId: stranger } })).toBe(0);
  });

  it('resolves many User references with one SQL statement', async () => {
    const ids = [customer.id, ...Array.from({ length: 9 }, () => newId())];
    statements.reset();
    const res = await postGraphQL(url, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id loyalty { points tier } } } }', { r: userRefs(ids) }, asSupport);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data._entities.map((u: any) => u.loyalty.points)).toEqual([points(delivered), ...Array(9).fill(0)]);
    expect(statements.count).toBe(1);
  });

  it('pages through the history newest first', async () => {
    const userId = newId();
    const service = { db, viewer: { roles: [], scopes: [], service: 'order' } };
    for (let i = 1; i <= 5; i++) await earnForOrder(service, { userId, orderId: newId(), amount: i * 100, currencyCode: 'USD', pending: false });
    const headers = gatewayHeaders({ userId, roles: ['CUSTOMER'] });
    const first = await postGraphQL(url, USER_LOYALTY, { r: userRefs([userId]), first: 3 }, headers);
    const page1 = first.body.data._entities[0].loyalty.history;
    expect(page1.totalCount).toBe(5);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(page1.edges.map((e: any) => e.node.points)).toEqual([5, 4, 3]);
    const second = await postGraphQL(url, USER_LOYALTY, { r: userRefs([userId]), first: 3, after: page1.pageInfo.endCursor }, headers);
    const page2 = second.body.data._entities[0].loyalty.history;
    expect(page2.edges.map((e: any) => e.node.points)).toEqual([2, 1]);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    const forged = await postGraphQL(url, USER_LOYALTY, { r: userRefs([userId]), after: 'nope' }, headers);
    expect(forged.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('lets admins adjust points, and nobody else', async () => {
    const ADJUST = 'mutation($input: AdjustLoyaltyPointsInput!) { adjustLoyaltyPoints(input: $input) { account { points lifetimePoints tier } userErrors { code field } } }';
    const userId = newId();
    for (const headers of [asCustomer, asSupport]) {
      const res = await postGraphQL(url, ADJUST, { input: { userId, points: 5_000, reason: 'please' } }, headers);
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    const key = newId();
    const given = await postGraphQL(url, ADJUST, { input: { userId, points: 5_000, reason: 'service recovery', idempotencyKey: key } }, asAdmin);
    expect(given.body.data.adjustLoyaltyPoints).toEqual({ account: { points: 5_000, lifetimePoints: 5_000, tier: 'GOLD' }, userErrors: [] });
    const replay = await postGraphQL(url, ADJUST, { input: { userId, points: 5_000, reason: 'service recovery', idempotencyKey: key } }, asAdmin);
    expect(replay.body.data.adjustLoyaltyPoints.account.points).toBe(5_000);
    const tooMuch = await postGraphQL(url, ADJUST, { input: { userId, points: -5_001, reason: 'typo' } }, asAdmin);
    expect(tooMuch.body.data.adjustLoyaltyPoints.userErrors).toEqual([{ code: 'LIFETIME_BELOW_ZERO', field: ['input', 'points'] }]);
  });

  it('refuses requests that do not carry the gateway signature', async () => {
    const res = await postGraphQL(url, USER_LOYALTY, { r: userRefs([customer.id]) });
    expect(res.status).toBe(401);
    const forged = await postGraphQL(url, '{ _service { sdl } }', {}, { ...asCustomer, 'x-storefront-signature': 'AAAA' });
    expect(forged.status).toBe(401);
  });
});
