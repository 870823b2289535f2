import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@storefront/shared';
import { gatewayHeaders, postGraphQL } from '@storefront/shared/testing';
import { demoFixture } from '@storefront/shared/fixtures';
import { startCartWithCatalog, type CartHarness } from './harness.ts';
import { computeTotals, DISCOUNT_CODES, FLAT_SHIPPING, FREE_SHIPPING_FROM, normalizeAddress, TAX_RATES } from '../src/services/pricing.ts';

const line = (unitPrice: number, quantity = 1) => ({ unitPrice, quantity });
const address = (country: string) => ({ name: 'A', line1: 'Street 1', city: 'Town', postalCode: '1000', country });

describe('pricing rules (pure)', () => {
  it('adds up line totals, charges flat shipping below the threshold and no tax without a country', () => {
    expect(computeTotals([line(12_50, 2), line(3_99)], null, null)).toEqual({ subtotal: 28_99, discountTotal: 0, shippingTotal: FLAT_SHIPPING, taxTotal: 0, total: 28_99 + 7_95 });
    expect(FLAT_SHIPPING).toBe(7_95);
    expect(FREE_SHIPPING_FROM).toBe(100_00);
  });

  it('charges nothing at all for an empty cart, whatever the code and country', () => {
    for (const code of [null, 'WELCOME10', 'FREESHIP']) {
      expect(computeTotals([], code, 'NL')).toEqual({ subtotal: 0, discountTotal: 0, shippingTotal: 0, taxTotal: 0, total: 0 });
    }
  });

  it('ships free from exactly 100.00 after discount, not a cent below', () => {
    expect(computeTotals([line(99_99)], null, null).shippingTotal).toBe(7_95);
    expect(computeTotals([line(100_00)], null, null).shippingTotal).toBe(0);
    expect(computeTotals([line(50_00, 3)], null, null).shippingTotal).toBe(0);
    // 110.00 - 10% = 99.00: the discount takes the cart back under the threshold.
    expect(computeTotals([line(110_00)], 'WELCOME10', null)).toMatchObject({ discountTotal: 11_00, shippingTotal: 7_95, total: 99_00 + 7_95 });
    // 111.12 - 11.11 = 100.01: still free.
    expect(computeTotals([line(111_12)], 'WELCOME10', null)).toMatchObject({ discountTotal: 11_11, shippingTotal: 0 });
  });

  it('applies WELCOME10 as 10% off the subtotal rounded down, and FREESHIP as free shipping only', () => {
    expect(Object.keys(DISCOUNT_CODES).sort()).toEqual(['FREESHIP', 'WELCOME10']);
    expect(computeTotals([line(9_99)], 'WELCOME10', null)).toMatchObject({ subtotal: 9_99, discountTotal: 99, total: 9_00 + 7_95 });
    expect(computeTotals([line(19)], 'WELCOME10', null).discountTotal).toBe(1); // 1.9 cents rounds down
    expect(computeTotals([line(9)], 'WELCOME10', null).discountTotal).toBe(0);
    expect(computeTotals([line(20_00)], 'FREESHIP', null)).toEqual({ subtotal: 20_00, discountTotal: 0, shippingTotal: 0, taxTotal: 0, total: 20_00 });
    // Codes are matched case-insensitively and trimmed; unknown codes change nothing.
    expect(computeTotals([line(20_00)], ' welcome10 ', null).discountTotal).toBe(2_00);
    expect(computeTotals([line(20_00)], 'BOGUS', null)).toEqual(computeTotals([line(20_00)], null, null));
  });

  it('taxes goods and shipping at the shipping country rate, rounded half up', () => {
    expect(TAX_RATES).toEqual({ NL: 0.21, BE: 0.21, DE: 0.19, FR: 0.2, GB: 0.2, US: 0 });
    const base = 50_00 + 7_95;
    for (const [country, rate] of Object.entries(TAX_RATES)) {
      const t = computeTotals([line(50_00)], null, country);
      expect(t.taxTotal).toBe(Math.round(base * rate));
      expect(t.total).toBe(base + t.taxTotal);
    }
    expect(computeTotals([line(50_00)], null, 'NL').taxTotal).toBe(12_17); // 57.95 x 21% = 12.1695
    expect(computeTotals([line(50_00)], null, 'DE').taxTotal).toBe(11_01); // 57.95 x 19% = 11.0105
    expect(computeTotals([line(50)], 'FREESHIP', 'FR').taxTotal).toBe(10); // 0.50 x 20% = 0.10
    expect(computeTotals([line(25)], 'FREESHIP', 'NL').taxTotal).toBe(5); // 5.25 -> 5
    expect(computeTotals([line(50)], 'FREESHIP', 'NL').taxTotal).toBe(11); // 10.5 -> 11 (half up)
    expect(computeTotals([line(50_00)], null, 'JP').taxTotal).toBe(0); // no rate: untaxed until a valid address
  });

  it('answers whole minor units for every amount, even for awkward prices and large carts', () => {
    for (const price of [1, 7, 33, 99_99, 1_234_57]) {
      for (const quantity of [1, 3, 99]) {
        for (const code of [null, 'WELCOME10', 'FREESHIP']) {
          for (const country of [null, 'NL', 'DE', 'US']) {
            const t = computeTotals([line(price, quantity), line(13, 2)], code, country);
            for (const amount of Object.values(t)) {
              expect(Number.isSafeInteger(amount)).toBe(true);
              expect(amount).toBeGreaterThanOrEqual(0);
            }
            expect(t.total).toBe(t.subtotal - t.discountTotal + t.shippingTotal + t.taxTotal);
          }
        }
      }
    }
  });

  it('accepts only complete addresses in a country with a tax rate, trimmed and upper-cased', () => {
    expect(normalizeAddress({ ...address(' nl '), line2: '  ' })).toEqual({ ...address('NL'), line2: null });
    expect(normalizeAddress(address('JP'))).toBeNull();
    expect(normalizeAddress({ ...address('NL'), city: ' ' })).toBeNull();
    expect(normalizeAddress({ ...address('NL'), line1: 'x'.repeat(201) })).toBeNull();
  });
});

// The same rules through the API, with prices from a real catalog subgraph.
const fixture = demoFixture();
const variants = fixture.products.flatMap((p) => p.variants);
let harness: CartHarness;
let url: string;

beforeAll(async () => {
  harness = await startCartWithCatalog(fixture);
  ({ url } = harness);
});

afterAll(async () => {
  await harness?.stop();
});

const TOTALS = `cart { id discountCode subtotal { amount currencyCode } discountTotal { amount currencyCode } shippingTotal { amount currencyCode }
  taxTotal { amount currencyCode } total { amount currencyCode } lines { id } } userErrors { field code }`;
const CREATE = `mutation($input: CreateCartInput!) { createCart(input: $input) { ${TOTALS} } }`;
const UPDATE = `mutation($input: UpdateCartLinesInput!) { updateCartLines(input: $input) { ${TOTALS} } }`;
const DISCOUNT = `mutation($input: ApplyDiscountCodeInput!) { applyDiscountCode(input: $input) { ${TOTALS} } }`;
const ADDRESS = `mutation($input: SetShippingAddressInput!) { setShippingAddress(input: $input) { ${TOTALS} } }`;

async function gql(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const res = await postGraphQL(url, query, variables, headers);
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return Object.values(res.body.data)[0] as any;
}

const amounts = (cart: any) => ({
  subtotal: cart.subtotal.amount, discountTotal: cart.discountTotal.amount, shippingTotal: cart.shippingTotal.amount, taxTotal: cart.taxTotal.amount, total: cart.total.amount,
});

describe('pricing through the API', () => {
  it('prices a cart by the rules as it crosses the shipping threshold, takes codes and addresses, and answers integer Money', async () => {
    const v = variants.find((x) => x.price > 10_00 && x.price < 60_00)!;
    const below = Math.floor((FREE_SHIPPING_FROM - 1) / v.price); // largest quantity still under 100.00
    const headers = gatewayHeaders({ userId: newId(), roles: ['CUSTOMER'] });
    const created = await gql(CREATE, { input: { lines: [{ variantId: v.id, quantity: below }] } }, headers);
    const cart = created.cart;
    expect(amounts(cart)).toEqual(computeTotals([line(v.price, below)], null, null));
    expect(cart.shippingTotal).toEqual({ amount: 7_95, currencyCode: 'USD' });

    const over = await gql(UPDATE, { input: { cartId: cart.id, lines: [{ lineId: cart.lines[0].id, quantity: below + 1 }] } }, headers);
    expect(over.cart.shippingTotal.amount).toBe(0);

    const bad = await gql(DISCOUNT, { input: { cartId: cart.id, code: 'HALFPRICE' } }, headers);
    expect(bad.userErrors).toEqual([{ field: ['code'], code: 'INVALID_DISCOUNT_CODE' }]);
    const welcome = await gql(DISCOUNT, { input: { cartId: cart.id, code: 'welcome10' } }, headers);
    expect(welcome.cart.discountCode).toBe('WELCOME10');
    expect(amounts(welcome.cart)).toEqual(computeTotals([line(v.price, below + 1)], 'WELCOME10', null));

    for (const country of ['NL', 'DE', 'US']) {
      const priced = await gql(ADDRESS, { input: { cartId: cart.id, address: address(country) } }, headers);
      expect(priced.userErrors).toEqual([]);
      expect(amounts(priced.cart)).toEqual(computeTotals([line(v.price, below + 1)], 'WELCOME10', country));
      for (const m of Object.values(priced.cart).filter((x: any) => x?.currencyCode) as any[]) {
        expect(Number.isInteger(m.amount)).toBe(true);
        expect(m.currencyCode).toBe('USD');
      }
    }
    const unknownCountry = await gql(ADDRESS, { input: { cartId: cart.id, address: address('JP') } }, headers);
    expect(unknownCountry.userErrors).toEqual([{ field: ['address'], code: 'INVALID_ADDRESS' }]);

    const removed = await gql(DISCOUNT, { input: { cartId: cart.id, code: null } }, headers);
    expect(removed.cart.discountCode).toBeNull();
    expect(amounts(removed.cart)).toEqual(computeTotals([line(v.price, below + 1)], null, 'US'));
  });
});
