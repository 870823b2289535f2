import type { CardBrand } from '../generated/prisma/enums.ts';

/**
 * Card-number rules a provider applies before it issues a token. Pure functions: nothing here
 * keeps, logs or returns the number itself (only its brand, last four digits and expiry).
 */

export interface CardInput {
  cardNumber: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

export interface CardDetails {
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
}

export type CardErrorCode = 'INVALID_CARD_NUMBER' | 'INVALID_EXPIRY' | 'CARD_EXPIRED' | 'INVALID_CVC';

export type CardCheck =
  | { ok: true; digits: string; card: CardDetails }
  | { ok: false; code: CardErrorCode; field: 'cardNumber' | 'expMonth' | 'expYear' | 'cvc'; message: string };

/** Digits only, with the spaces and dashes people type removed; null when anything else is there. */
export function normalizeCardNumber(raw: string): string | null {
  const compact = raw.replace(/[\s-]/g, '');
  return /^\d+$/.test(compact) ? compact : null;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** The card network from the number's prefix (IIN ranges). */
export function brandOf(digits: string): CardBrand {
  const two = Number(digits.slice(0, 2));
  const three = Number(digits.slice(0, 3));
  const four = Number(digits.slice(0, 4));
  const six = Number(digits.slice(0, 6));
  if (digits.startsWith('4')) return 'VISA';
  if (two === 34 || two === 37) return 'AMEX';
  if ((two >= 51 && two <= 55) || (six >= 222100 && six <= 272099)) return 'MASTERCARD';
  if (four === 6011 || two === 65 || (three >= 644 && three <= 649)) return 'DISCOVER';
  return 'UNKNOWN';
}

const LENGTHS: Record<CardBrand, (n: number) => boolean> = {
  VISA: (n) => n === 13 || n === 16 || n === 19,
  MASTERCARD: (n) => n === 16,
  AMEX: (n) => n === 15,
  DISCOVER: (n) => n >= 16 && n <= 19,
  UNKNOWN: (n) => n >= 12 && n <= 19,
};

/** The last day of the expiry month has to be today or later. */
export function isExpired(expMonth: number, expYear: number, now: Date): boolean {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  return expYear < year || (expYear === year && expMonth < month);
}

export function checkCard(input: CardInput, now = new Date()): CardCheck {
  const digits = normalizeCardNumber(input.cardNumber);
  if (!digits || digits.length < 12 || digits.length > 19 || !luhnValid(digits)) {
    return { ok: false, code: 'INVALID_CARD_NUMBER', field: 'cardNumber', message: 'The card number is not valid' };
  }
  const brand = brandOf(digits);
  if (!LENGTHS[brand](digits.length)) {
    return { ok: false, code: 'INVALID_CARD_NUMBER', field: 'cardNumber', message: 'The card number has the wrong length for its card type' };
  }
  if (!Number.isInteger(input.expMonth) || input.expMonth < 1 || input.expMonth > 12) {
    return { ok: false, code: 'INVALID_EXPIRY', field: 'expMonth', message: 'The expiry month must be between 1 and 12' };
  }
  const year = now.getUTCFullYear();
  if (!Number.isInteger(input.expYear) || input.expYear < year - 1 || input.expYear > year + 20) {
    return { ok: false, code: 'INVALID_EXPIRY', field: 'expYear', message: 'The expiry year must be a four-digit year' };
  }
  if (isExpired(input.expMonth, input.expYear, now)) {
    return { ok: false, code: 'CARD_EXPIRED', field: 'expYear', message: 'The card has expired' };
  }
  if (!(brand === 'AMEX' ? /^\d{4}$/ : /^\d{3}$/).test(input.cvc)) {
    return { ok: false, code: 'INVALID_CVC', field: 'cvc', message: brand === 'AMEX' ? 'The security code has 4 digits' : 'The security code has 3 digits' };
  }
  return { ok: true, digits, card: { brand, last4: digits.slice(-4), expMonth: input.expMonth, expYear: input.expYear } };
}
