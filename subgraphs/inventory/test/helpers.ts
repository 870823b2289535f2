import { createLogger, newId, scopesForRoles, type Role, type Viewer } from '@storefront/shared';
import { createTestDatabase } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { createInventoryContext, createInventoryDb, restock, seedInventory, type InventoryContext, type InventoryDb } from '../src/index.ts';

const log = createLogger('inventory-test');

/** A fresh request context (own loaders) for calling services directly, as the given viewer. */
export function contextAs(db: InventoryDb, viewer: Partial<Viewer> & { roles?: Role[] } = {}): InventoryContext {
  const roles = viewer.roles ?? [];
  return createInventoryContext(db)({ requestId: newId(), viewer: { ...viewer, roles, scopes: viewer.scopes ?? scopesForRoles(roles) }, log });
}

export const asService = (db: InventoryDb) => contextAs(db, { service: 'order' });
export const asAdmin = (db: InventoryDb) => contextAs(db, { userId: newId(), roles: ['ADMIN'] });

export async function totalsOf(db: InventoryDb, variantId: string) {
  const levels = await db.stockLevel.findMany({ where: { variantId } });
  const onHand = levels.reduce((s, l) => s + l.onHand, 0);
  const reserved = levels.reduce((s, l) => s + l.reserved, 0);
  return { onHand, reserved, available: onHand - reserved };
}

export async function level(db: InventoryDb, variantId: string, locationId: string) {
  const row = await db.stockLevel.findUnique({ where: { variantId_locationId: { variantId, locationId } } });
  return row ? { onHand: row.onHand, reserved: row.reserved } : null;
}

/** The ledger reproduces every stock row: per (variant, location), the deltas sum to onHand and reserved. */
export async function expectLedgerBalances(db: InventoryDb, variantIds: string[]): Promise<void> {
  const [levels, sums] = await Promise.all([
    db.stockLevel.findMany({ where: { variantId: { in: variantIds } } }),
    db.stockMovement.groupBy({ by: ['variantId', 'locationId'], where: { variantId: { in: variantIds } }, _sum: { deltaOnHand: true, deltaReserved: true } }),
  ]);
  const fromLedger = new Map(sums.map((s) => [`${s.variantId}/${s.locationId}`, { onHand: s._sum.deltaOnHand ?? 0, reserved: s._sum.deltaReserved ?? 0 }]));
  for (const l of levels) {
    const ledger = fromLedger.get(`${l.variantId}/${l.locationId}`) ?? { onHand: 0, reserved: 0 };
    if (ledger.onHand !== l.onHand || ledger.reserved !== l.reserved) {
      throw new Error(`ledger of ${l.variantId}@${l.locationId} says ${JSON.stringify(ledger)}, row says onHand=${l.onHand} reserved=${l.reserved}`);
    }
  }
}

export const stockEvents = (db: InventoryDb, variantId: string) =>
  db.outboxEvent.findMany({ where: { type: 'StockChanged', aggregateId: variantId }, orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }] });

/** A fresh inventory database with the demo seed, for one test file. */
export async function seededInventory(): Promise<{ db: InventoryDb; stop(): Promise<void> }> {
  const database = await createTestDatabase('inventory');
  const db = createInventoryDb(database.url);
  await seedInventory(db, demoFixture());
  return {
    db,
    async stop() {
      await db.$disconnect();
      await database.drop();
    },
  };
}

/** A variant of its own for each test, stocked through the admin service like real goods in. */
export async function stockedVariant(db: InventoryDb, ams: number, nyc: number): Promise<string> {
  const [AMS, NYC] = demoFixture().warehouses.map((w) => w.id);
  const variantId = newId();
  if (ams) await restock(asAdmin(db), { variantId, locationId: AMS, quantity: ams, reason: 'test stock' });
  if (nyc) await restock(asAdmin(db), { variantId, locationId: NYC, quantity: nyc, reason: 'test stock' });
  return variantId;
}
