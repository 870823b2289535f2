/** The one form an email is stored and compared in: trimmed, Unicode NFC, lower-case. */
export const normalizeEmail = (email: string): string => email.trim().normalize('NFC').toLowerCase();

const SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/u;

/** A plausibility check (one @, a dotted domain, no spaces); deliverability is the reset flow's job. */
export const isValidEmail = (normalized: string): boolean => normalized.length <= 254 && SHAPE.test(normalized);
