import { deterministicId } from '@storefront/shared';
import type { DemoFixture } from '@storefront/shared/fixtures';
import type { CartDb } from './db.ts';
import { DEFAULT_CURRENCY, expiryAfter } from './services/policy.ts';

/**
 * Writes the demo customer's cart, priced from the fixture's catalog. Idempotent: an existing cart
 * and its lines are left as they are.
 */
export async function seedCart(db: CartDb, fixture: DemoFixture, now = new Date()): Promise<void> {
  const prices = new Map(fixture.products.flatMap((p) => p.variants.map((v) => [v.id, v.price] as const)));
  const { cart } = fixture;
  await db.cart.createMany({
    data: [{ id: cart.id, userId: cart.userId, currency: DEFAULT_CURRENCY, status: 'ACTIVE', lastActivityAt: now, expiresAt: expiryAfter(now) }],
    skipDuplicates: true,
  });
  await db.cartLine.createMany({
    data: cart.lines.map((line, i) => {
      const unitPrice = prices.get(line.variantId);
      if (unitPrice === undefined) throw new Error(`Fixture cart line ${i} names an unknown variant ${line.variantId}`);
      return {
        id: deterministicId('cart-line', `${cart.id}:${line.variantId}`), cartId: cart.id, variantId: line.variantId,
        quantity: line.quantity, unitPrice, currency: DEFAULT_CURRENCY, addedAt: new Date(now.getTime() + i),
      };
    }),
    skipDuplicates: true,
  });
}
