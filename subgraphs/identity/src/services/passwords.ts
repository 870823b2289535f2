import argon2 from 'argon2';

/** argon2id at the OWASP-recommended cost (19 MiB, 2 passes, 1 lane). */
const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 10;
/** Longer inputs are refused before hashing so a request cannot make the server hash megabytes. */
export const MAX_PASSWORD_LENGTH = 256;

export const hashPassword = (password: string): Promise<string> => argon2.hash(password, HASH_OPTIONS);

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** True when a stored hash was made with weaker (or different) parameters and should be redone. */
export const needsRehash = (hash: string): boolean => {
  try {
    return argon2.needsRehash(hash, HASH_OPTIONS);
  } catch {
    return true;
  }
};

let dummyHash: Promise<string> | undefined;
/**
 * Burns the same time as a real check when the account does not exist, so login timing does not
 * reveal which emails are registered.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('dummy-password-for-timing-only');
  await verifyPassword(await dummyHash, password);
  return false;
}

/** Why a new password is refused, or null when it meets the policy. Never echoes the password. */
export function passwordProblem(password: string, email: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `Password must be at least ${MIN_PASSWORD_LENGTH} characters long.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Password must be at most ${MAX_PASSWORD_LENGTH} characters long.`;
  const classes = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{L}\p{Nd}]/u].filter((re) => re.test(password)).length;
  if (classes < 3) return 'Password must mix at least three of: lower-case letters, upper-case letters, digits and symbols.';
  if (password.trim().normalize('NFC').toLowerCase() === email.trim().normalize('NFC').toLowerCase()) {
    return 'Password must not be your email address.';
  }
  return null;
}
