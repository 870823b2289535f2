import { userError, type UserError } from '@storefront/shared';
import { Prisma } from '../generated/prisma/client.ts';
import { isCleanText, SLUG } from './input.ts';

export type CatalogErrorCode =
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'DUPLICATE_SLUG'
  | 'DUPLICATE_SKU'
  | 'DUPLICATE_VARIANT'
  | 'INVALID_PRICE'
  | 'CATEGORY_CYCLE'
  | 'PRODUCT_HAS_NO_VARIANTS';

export type CatalogUserError = UserError<CatalogErrorCode>;

/** Largest price accepted, in minor units (one million in a two-decimal currency). */
export const MAX_PRICE = 100_000_000;
export const MAX_WEIGHT_GRAMS = 1_000_000;
export const MAX_POSITION = 100_000;
export const MAX_IMAGES = 20;
export const MAX_OPTIONS = 5;
export const MAX_CATEGORY_DEPTH = 5;
export const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface TextRule {
  max: number;
  /** Allow the empty string (after trimming). */
  optional?: boolean;
  multiline?: boolean;
}

/** Collects every problem with an input before anything is written, so one round trip reports them all. */
export class Checks {
  readonly errors: CatalogUserError[] = [];

  add(code: CatalogErrorCode, message: string, field: string[]): void {
    this.errors.push(userError(code, message, field));
  }

  get ok(): boolean {
    return this.errors.length === 0;
  }

  /** Trimmed text, or undefined (and an INVALID_INPUT) when blank, too long or holding control characters. */
  text(value: string, field: string[], rule: TextRule): string | undefined {
    const name = field[field.length - 1];
    const trimmed = value.trim();
    if (!isCleanText(trimmed, rule.multiline)) return void this.add('INVALID_INPUT', `${name} must not contain control characters`, field);
    if (!rule.optional && trimmed.length === 0) return void this.add('INVALID_INPUT', `${name} must not be blank`, field);
    if (trimmed.length > rule.max) return void this.add('INVALID_INPUT', `${name} must be at most ${rule.max} characters`, field);
    return trimmed;
  }

  slug(value: string, field: string[]): string | undefined {
    const slug = value.trim();
    if (slug.length > 120 || !SLUG.test(slug)) {
      return void this.add('INVALID_INPUT', 'slug must be lower-case letters and digits in words joined by single hyphens (at most 120 characters)', field);
    }
    return slug;
  }

  sku(value: string, field: string[]): string | undefined {
    const sku = value.trim();
    if (!SKU.test(sku)) return void this.add('INVALID_INPUT', 'sku must be 1..64 letters, digits, ".", "_" or "-", starting with a letter or digit', field);
    return sku;
  }

  price(value: number, field: string[]): number | undefined {
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_PRICE) {
      return void this.add('INVALID_PRICE', `${field[field.length - 1]} must be an integer amount of minor units between 0 and ${MAX_PRICE}`, field);
    }
    return value;
  }

  intRange(value: number, field: string[], min: number, max: number): number | undefined {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      return void this.add('INVALID_INPUT', `${field[field.length - 1]} must be an integer between ${min} and ${max}`, field);
    }
    return value;
  }

  images(images: readonly { url: string; altText?: string | null }[], field: string[]) {
    if (images.length > MAX_IMAGES) return void this.add('INVALID_INPUT', `at most ${MAX_IMAGES} images`, field);
    const out: { url: string; altText: string }[] = [];
    images.forEach((image, i) => {
      const at = [...field, String(i)];
      const url = this.text(image.url, [...at, 'url'], { max: 2048 });
      if (url !== undefined) {
        let valid = false;
        try {
          const parsed = new URL(url);
          valid = parsed.protocol === 'https:' || parsed.protocol === 'http:';
        } catch {
          valid = false;
        }
        if (!valid) this.add('INVALID_INPUT', 'url must be an absolute http(s) URL', [...at, 'url']);
      }
      const altText = this.text(image.altText ?? '', [...at, 'altText'], { max: 300, optional: true });
      if (url !== undefined && altText !== undefined) out.push({ url, altText });
    });
    return out;
  }

  /** Option values of a variant: at most MAX_OPTIONS, names unique (ignoring case). */
  options(options: readonly { name: string; value: string }[], field: string[]) {
    if (options.length > MAX_OPTIONS) return void this.add('INVALID_INPUT', `a variant has at most ${MAX_OPTIONS} options`, field);
    const out: { name: string; value: string }[] = [];
    const seen = new Set<string>();
    options.forEach((option, i) => {
      const name = this.text(option.name, [...field, String(i), 'name'], { max: 50 });
      const value = this.text(option.value, [...field, String(i), 'value'], { max: 100 });
      if (name === undefined || value === undefined) return;
      if (seen.has(name.toLowerCase())) return this.add('INVALID_INPUT', `option "${name}" is given twice`, [...field, String(i), 'name']);
      seen.add(name.toLowerCase());
      out.push({ name, value });
    });
    return out;
  }
}

/** Which unique column a failed insert or update hit (Prisma P2002), if that is what happened. */
export function uniqueViolation(error: unknown): 'slug' | 'sku' | 'other' | null {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') return null;
  const detail = `${JSON.stringify(error.meta ?? {})} ${error.message}`;
  return /sku/i.test(detail) ? 'sku' : /slug/i.test(detail) ? 'slug' : 'other';
}

/** The first of `base`, `base-2`, `base-3`, ... that `taken` does not contain. */
export function freeSlug(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) if (!used.has(`${base}-${n}`)) return `${base}-${n}`;
}
