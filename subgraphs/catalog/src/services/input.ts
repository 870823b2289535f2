import { badInput, isUuid } from '@storefront/shared';

/** Longest accepted search string; longer ones are refused rather than truncated. */
export const MAX_SEARCH_LENGTH = 200;
export const MAX_PREFIX_LENGTH = 100;
export const MAX_SUGGESTIONS = 20;

// Control characters never reach SQL: PostgreSQL text cannot hold NUL, and the rest are never meaningful here.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const CONTROL_ALL = /[\u0000-\u001f\u007f]/g;

/** True for a string that may be stored: no NUL or other control characters (tabs and newlines only when `multiline`). */
export const isCleanText = (value: string, multiline = false): boolean =>
  multiline ? !CONTROL.test(value) : !/[\u0000-\u001f\u007f]/.test(value);

/** Ids are UUIDs; anything else cannot exist, so lookups answer "not found" without asking the database. */
export const isId = (value: unknown): value is string => typeof value === 'string' && isUuid(value);

/**
 * A search string as the SQL sees it: control characters become spaces, whitespace collapses, and blank means no
 * search. Longer than MAX_SEARCH_LENGTH is BAD_USER_INPUT. Everything else (quotes, `%`, `;`, operators) is
 * searched for as text: it only ever reaches SQL as a bound parameter of websearch_to_tsquery / word_similarity.
 */
export function normalizeSearch(search: string | null | undefined): string | null {
  if (search == null) return null;
  if (search.length > MAX_SEARCH_LENGTH) throw badInput(`search must be at most ${MAX_SEARCH_LENGTH} characters`, 'search');
  const cleaned = search.replace(CONTROL_ALL, ' ').replace(/\s+/g, ' ').trim();
  return cleaned === '' ? null : cleaned;
}

/** The words of an autocomplete prefix (letters and digits in any script), at most 10. */
export function prefixWords(prefix: string): string[] {
  return (prefix.match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 10);
}

/** Escapes LIKE's metacharacters so user text matches literally (with the default `\` escape). */
export const escapeLike = (value: string): string => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/** URL slug: lower-case ASCII words joined by single hyphens. */
export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const slugify = (s: string): string =>
  s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/&/g, 'and').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 120).replace(/-$/, '');
