import { deterministicId } from '@storefront/shared';
import { stockFor, type DemoFixture } from '@storefront/shared/fixtures';
import type { InventoryDb } from './db.ts';
import { emitStockChanged, TX_OPTIONS } from './services/ledger.ts';

/**
 * Writes the demo warehouses and every fixture variant's stock (`stockFor(sku)`, one count per
 * warehouse). Idempotent: existing rows are left as they are. New rows get their opening RESTOCK
 * movement and a StockChanged event in the same transaction, like any other stock change.
 */
export async function seedInventory(db: InventoryDb, fixture: DemoFixture): Promise<void> {
  await db.location.createMany({
    data: fixture.warehouses.map((w, priority) => ({ id: w.id, code: w.code, name: w.name, priority })),
    skipDuplicates: true,
  });
  const rows = fixture.products.flatMap((p) =>
    p.variants.flatMap((v) => {
      const units = stockFor(v.sku);
      return fixture.warehouses.map((w, i) => ({ variantId: v.id, locationId: w.id, sku: v.sku, onHand: units[i] ?? 0 }));
    }),
  );
  await db.$transaction(async (tx) => {
    const inserted = await tx.stockLevel.createManyAndReturn({ data: rows, skipDuplicates: true });
    if (inserted.length === 0) return;
    await tx.stockMovement.createMany({
      data: inserted.filter((r) => r.onHand > 0).map((r) => ({
        id: deterministicId('seed-movement', `${r.variantId}/${r.locationId}`), variantId: r.variantId, locationId: r.locationId, deltaOnHand: r.onHand, deltaReserved: 0,
        kind: 'RESTOCK' as const, reason: 'opening stock (demo seed)', actor: 'system:seed',
      })),
      skipDuplicates: true,
    });
    await emitStockChanged(tx, inserted.map((r) => r.variantId));
  }, TX_OPTIONS);
}
