/**
 * The cart's price rules, in one place (amounts in minor units, prices exclusive of tax).
 *
 * - Discount codes: WELCOME10 takes 10% off the subtotal (rounded down); FREESHIP makes shipping free.
 * - Shipping: free for an empty cart, with FREESHIP, or when subtotal - discount >= 100.00; else 7.95.
 * - Tax: (subtotal - discount + shipping) x the rate of the shipping country, rounded half up.
 *   Rates: NL 21%, BE 21%, DE 19%, FR 20%, GB 20%, US 0% (sales tax is out of scope). No address or
 *   another country: 0 until an address is set (checkout refuses countries it has no rate for).
 */
export const DISCOUNT_CODES: Readonly<Record<string, { percentOff?: number; freeShipping?: boolean }>> = {
  WELCOME10: { percentOff: 10 },
  FREESHIP: { freeShipping: true },
};
export const FREE_SHIPPING_FROM = 100_00;
export const FLAT_SHIPPING = 7_95;
export const TAX_RATES: Readonly<Record<string, number>> = { NL: 0.21, BE: 0.21, DE: 0.19, FR: 0.2, GB: 0.2, US: 0 };

export interface Totals {
  subtotal: number;
  discountTotal: number;
  shippingTotal: number;
  taxTotal: number;
  total: number;
}

export const normalizeCode = (code: string) => code.trim().toUpperCase();
export const isKnownCode = (code: string) => Object.hasOwn(DISCOUNT_CODES, normalizeCode(code));

export function computeTotals(lines: readonly { quantity: number; unitPrice: number }[], discountCode: string | null, country: string | null): Totals {
  const subtotal = lines.reduce((n, l) => n + l.quantity * l.unitPrice, 0);
  const rule = discountCode ? DISCOUNT_CODES[normalizeCode(discountCode)] : undefined;
  const discountTotal = rule?.percentOff ? Math.floor((subtotal * rule.percentOff) / 100) : 0;
  const afterDiscount = subtotal - discountTotal;
  const shippingTotal = lines.length === 0 || rule?.freeShipping || afterDiscount >= FREE_SHIPPING_FROM ? 0 : FLAT_SHIPPING;
  const rate = country ? TAX_RATES[country] ?? 0 : 0;
  const taxTotal = Math.round((afterDiscount + shippingTotal) * rate);
  return { subtotal, discountTotal, shippingTotal, taxTotal, total: afterDiscount + shippingTotal + taxTotal };
}

export interface Address {
  name: string;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  country: string;
}

/** Trimmed copy of a valid address, or null (every required part present, a country we tax). */
export function normalizeAddress(a: Address): Address | null {
  const t = (s: string | null | undefined) => (s ?? '').trim();
  const out = { name: t(a.name), line1: t(a.line1), line2: t(a.line2) || null, city: t(a.city), postalCode: t(a.postalCode), country: t(a.country).toUpperCase() };
  if (!out.name || !out.line1 || !out.city || !out.postalCode) return null;
  if ([out.name, out.line1, out.line2 ?? '', out.city, out.postalCode].some((s) => s.length > 200)) return null;
  if (!Object.hasOwn(TAX_RATES, out.country)) return null;
  return out;
}
