import type { DemoFixture } from '@storefront/shared/fixtures';
import type { IdentityDb } from './db.ts';
import { normalizeEmail } from './services/emails.ts';
import { hashPassword } from './services/passwords.ts';

/** Writes the demo users with argon2id hashes of their fixture passwords. Idempotent: existing users are left as they are (and not re-hashed). */
export async function seedIdentity(db: IdentityDb, fixture: DemoFixture): Promise<void> {
  const existing = new Set(
    (await db.user.findMany({ where: { id: { in: fixture.users.map((u) => u.id) } }, select: { id: true } })).map((u) => u.id),
  );
  const missing = fixture.users.filter((u) => !existing.has(u.id));
  if (missing.length === 0) return;
  const data = await Promise.all(
    missing.map(async (u) => ({ id: u.id, email: normalizeEmail(u.email), name: u.name, roles: u.roles, passwordHash: await hashPassword(u.password) })),
  );
  await db.user.createMany({ data, skipDuplicates: true });
}
