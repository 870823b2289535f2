import { PRIVACY_EXPORT_PATH, SUBGRAPH_NAMES, signIdentity, subgraphUrl, type SubgraphName } from '@storefront/shared';
import { outboxEvent } from '@storefront/shared/events';
import type { IdentityContext } from '../context.ts';
import { checkLimits, fail, passwordKey, rateLimited, requireUserId, type IdentityUserError } from './common.ts';
import { verifyPassword } from './passwords.ts';

/**
 * Privacy (GDPR): the data export and the account deletion.
 *
 * Export: `requestDataExport` answers one JSON document (as a String of JSON text: GraphQL has no
 * schemaless object type and a custom JSON scalar would have to be declared in every client; a string
 * is what a "download my data" button saves to a file anyway). Identity contributes the account, the
 * address book and the sign-in sessions (dates only, never token hashes); every other subgraph answers
 * `POST /internal/privacy/export`, signed as service 'identity' acting for the user, with its part:
 * cart (carts, checkouts), order (orders), payment (payments, cards, riskDecisions), loyalty (loyalty).
 * Catalog and inventory hold no personal data and say so. If any subgraph cannot answer, the export
 * fails with UNAVAILABLE rather than hand out an incomplete document.
 *
 * Deletion: `deleteAccount` checks the password, then in one transaction anonymises the user (email
 * `deleted-<id>@invalid`, name "Deleted user", an unusable password hash; roles stay, a user has at least one), deletes the
 * addresses and password-reset tokens, revokes every refresh-token family and writes `UserDeleted` to
 * the outbox. The other subgraphs consume it (see their src/privacy.ts). The user row stays so the id
 * other subgraphs keep on orders and payments resolves to "Deleted user", never to a person. An access
 * token already issued stays valid until it expires (at most 15 minutes) but reads only anonymised data.
 */

export const DELETED_NAME = 'Deleted user';
/** Not an argon2 hash: verification always fails, so no password opens the account again. */
export const UNUSABLE_PASSWORD_HASH = '!deleted';
export const deletedEmail = (userId: string) => `deleted-${userId}@invalid`;

const PEERS = SUBGRAPH_NAMES.filter((n) => n !== 'identity');

export interface IdentityPrivacyDeps {
  /** The internal signature secret (identity signs its calls to the other subgraphs with it). */
  secret: string;
  /** Fixed peer GraphQL URLs (tests); otherwise subgraphUrl(name), read at each call. */
  urls?: Partial<Record<SubgraphName, string>>;
  timeoutMs?: number;
}

export const privacyUrl = (graphqlUrl: string) => {
  const u = new URL(graphqlUrl);
  u.pathname = PRIVACY_EXPORT_PATH;
  u.search = '';
  return u.toString();
};

async function peerExport(deps: IdentityPrivacyDeps, peer: SubgraphName, userId: string): Promise<Record<string, unknown>> {
  const response = await fetch(privacyUrl(deps.urls?.[peer] ?? subgraphUrl(peer)), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signIdentity({ roles: [], scopes: [], service: 'identity', userId }, deps.secret) },
    body: '{}',
    signal: AbortSignal.timeout(deps.timeoutMs ?? 15_000),
  });
  if (!response.ok) throw new Error(`${peer}: HTTP ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

export async function buildDataExport(ctx: IdentityContext, deps: IdentityPrivacyDeps, userId: string) {
  const user = await ctx.db.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, name: true, roles: true, createdAt: true, updatedAt: true },
  });
  if (!user) return null;
  const [addresses, sessions, parts] = await Promise.all([
    ctx.db.address.findMany({ where: { userId }, orderBy: [{ isDefault: 'desc' }, { createdAt: 'asc' }] }),
    ctx.db.refreshTokenFamily.findMany({ where: { userId }, select: { createdAt: true, revokedAt: true, revokedReason: true }, orderBy: { createdAt: 'asc' } }),
    Promise.all(PEERS.map(async (peer) => [peer, await peerExport(deps, peer, userId)] as const)),
  ]);
  const document: Record<string, unknown> = { generatedAt: new Date().toISOString(), user, addresses, sessions };
  const noPersonalData: string[] = [];
  for (const [peer, part] of parts) {
    if (part.personalData === false) noPersonalData.push(peer);
    else Object.assign(document, part);
  }
  document.noPersonalDataIn = noPersonalData;
  return document;
}

export async function requestDataExport(ctx: IdentityContext, deps: IdentityPrivacyDeps) {
  const userId = requireUserId(ctx);
  let document: Record<string, unknown> | null;
  try {
    document = await buildDataExport(ctx, deps, userId);
  } catch (error) {
    ctx.log.warn({ userId, err: { message: (error as Error).message } }, 'data export failed');
    return { export: null, userErrors: [fail('UNAVAILABLE', 'The export could not be assembled right now; try again in a few minutes.')] };
  }
  if (!document) return { export: null, userErrors: [fail('NOT_FOUND', 'The account no longer exists.')] };
  ctx.log.info({ userId }, 'data exported');
  return { export: JSON.stringify(document), userErrors: [] as IdentityUserError[] };
}

export async function deleteAccount(ctx: IdentityContext, input: { password: string }) {
  const userId = requireUserId(ctx);
  const user = await ctx.db.user.findUnique({ where: { id: userId } });
  if (!user || user.passwordHash === UNUSABLE_PASSWORD_HASH) {
    return { success: false, userErrors: [fail('NOT_FOUND', 'The account no longer exists.')] };
  }
  const limited = await checkLimits(ctx, [[passwordKey(user.email), ctx.limits.passwordFailuresPerAccount]]);
  if (limited) return { success: false, ...rateLimited(limited.retryAfterSeconds) };
  if (!(await verifyPassword(user.passwordHash, input.password))) {
    return { success: false, userErrors: [fail('INVALID_CREDENTIALS', 'The password is incorrect.', ['password'])] };
  }
  await ctx.limiter.reset(passwordKey(user.email));
  const now = new Date();
  await ctx.db.$transaction([
    ctx.db.user.update({ where: { id: userId }, data: { email: deletedEmail(userId), name: DELETED_NAME, passwordHash: UNUSABLE_PASSWORD_HASH } }),
    ctx.db.address.deleteMany({ where: { userId } }),
    ctx.db.passwordResetToken.deleteMany({ where: { userId } }),
    ctx.db.refreshTokenFamily.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now, revokedReason: 'ACCOUNT_DELETED' } }),
    ctx.db.outboxEvent.create({ data: outboxEvent('UserDeleted', userId, { userId, occurredAt: now.toISOString() }) }),
  ]);
  ctx.loaders.user.clear(userId);
  ctx.log.info({ userId }, 'account deleted');
  return { success: true, userErrors: [] as IdentityUserError[] };
}
