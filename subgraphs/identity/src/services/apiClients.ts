import { randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeCursor, encodeCursor, newId, pageSize, ROLE_SCOPES, toConnection } from '@storefront/shared';
import { API_CLIENT_CHANGED, outboxEvent, type ApiClientChangedPayload } from '@storefront/shared/events';
import type { ApiClientModel } from '../generated/prisma/models.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { PersistedQueryPolicy, RateTier } from '../generated/graphql.ts';
import type { IdentityContext } from '../context.ts';
import type { IdentityDb } from '../db.ts';
import { fail, text, type IdentityUserError } from './common.ts';
import { randomToken, sha256 } from './tokens.ts';

/** Scopes a partner may be granted: anything a role grants, except managing API clients itself. */
export const GRANTABLE_CLIENT_SCOPES: ReadonlySet<string> = new Set(
  Object.values(ROLE_SCOPES).flat().filter((s) => s !== 'clients:write'),
);

const CURSOR_KIND = 'apiClient:newest';
/** A persisted query list name: the manifest file schema/persisted-queries/<name>.json. */
const LIST_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const cursorOf = (c: ApiClientModel) => encodeCursor(CURSOR_KIND, [c.createdAt.toISOString(), c.id]);

/** Announces that a client's grants or policy changed (or that it was revoked): gateways drop their cached verification of it. */
const changedEvent = (c: ApiClientModel) =>
  outboxEvent(API_CLIENT_CHANGED, c.id, { clientId: c.clientId, revoked: c.revokedAt !== null } satisfies ApiClientChangedPayload);

function checkScopes(scopes: string[], errors: IdentityUserError[]): string[] {
  const unique = [...new Set(scopes.map((s) => s.trim()))];
  if (unique.length === 0) errors.push(fail('INVALID_SCOPE', 'Grant at least one scope.', ['scopes']));
  scopes.forEach((s, i) => {
    if (!GRANTABLE_CLIENT_SCOPES.has(s.trim())) errors.push(fail('INVALID_SCOPE', `Unknown or ungrantable scope: ${s.slice(0, 64)}`, ['scopes', String(i)]));
  });
  return unique;
}

function checkPolicy(policy: PersistedQueryPolicy, errors: IdentityUserError[]): void {
  if (policy === 'OFF') errors.push(fail('INVALID_INPUT', 'OFF is for first-party development only; choose SAFELIST, REQUIRE_ID or LOG_UNKNOWN.', ['persistedQueryPolicy']));
}

function checkListName(value: string | null | undefined, errors: IdentityUserError[]): string | null {
  const list = value?.trim() || null;
  if (list !== null && !LIST_NAME.test(list)) {
    errors.push(fail('INVALID_INPUT', 'A list name is 1 to 63 lower-case letters, digits and hyphens.', ['persistedQueryList']));
  }
  return list;
}

export interface CreateApiClientArgs {
  name: string;
  scopes: string[];
  rateTier?: RateTier | null;
  persistedQueryPolicy?: PersistedQueryPolicy | null;
  persistedQueryList?: string | null;
}

export async function createApiClient(ctx: IdentityContext, input: CreateApiClientArgs) {
  const errors: IdentityUserError[] = [];
  const name = text(input.name, 'name', 100);
  if ('error' in name) errors.push(name.error);
  const scopes = checkScopes(input.scopes, errors);
  const policy = input.persistedQueryPolicy ?? 'SAFELIST';
  checkPolicy(policy, errors);
  const list = checkListName(input.persistedQueryList, errors);
  if (errors.length) return { apiClient: null, clientSecret: null, userErrors: errors };

  const clientSecret = randomToken('sfs');
  const apiClient = await ctx.db.apiClient.create({
    data: {
      id: newId(),
      name: (name as { value: string }).value,
      clientId: `sfc_${randomBytes(12).toString('base64url')}`,
      secretHash: sha256(clientSecret),
      scopes,
      rateTier: input.rateTier ?? 'STANDARD',
      persistedQueryPolicy: policy,
      persistedQueryList: list,
      createdById: ctx.viewer.userId ?? null,
    },
  });
  ctx.log.info({ apiClientId: apiClient.id, clientId: apiClient.clientId, by: ctx.viewer.userId }, 'api client created');
  return { apiClient, clientSecret, userErrors: [] };
}

export interface UpdateApiClientArgs {
  id: string;
  name?: string | null;
  scopes?: string[] | null;
  rateTier?: RateTier | null;
  persistedQueryPolicy?: PersistedQueryPolicy | null;
  /** Left out: unchanged; null: the client has no list any more. */
  persistedQueryList?: string | null;
}

/** Changes any subset of a live client's settings and announces the change in the same transaction. */
export async function updateApiClient(ctx: IdentityContext, input: UpdateApiClientArgs) {
  const errors: IdentityUserError[] = [];
  const data: Prisma.ApiClientUpdateManyMutationInput = {};
  if (input.name != null) {
    const name = text(input.name, 'name', 100);
    if ('error' in name) errors.push(name.error);
    else data.name = name.value;
  }
  if (input.scopes != null) data.scopes = checkScopes(input.scopes, errors);
  if (input.rateTier != null) data.rateTier = input.rateTier;
  if (input.persistedQueryPolicy != null) {
    checkPolicy(input.persistedQueryPolicy, errors);
    data.persistedQueryPolicy = input.persistedQueryPolicy;
  }
  if (input.persistedQueryList !== undefined) data.persistedQueryList = checkListName(input.persistedQueryList, errors);
  if (errors.length === 0 && Object.keys(data).length === 0) {
    errors.push(fail('INVALID_INPUT', 'Give at least one setting to change: name, scopes, rateTier, persistedQueryPolicy or persistedQueryList.'));
  }
  if (errors.length) return { apiClient: null, userErrors: errors };

  const outcome = await ctx.db.$transaction(async (tx) => {
    // Conditional on the client being live, so a concurrent revocation cannot be undone or overlooked.
    const { count } = await tx.apiClient.updateMany({ where: { id: input.id, revokedAt: null }, data });
    const row = await tx.apiClient.findUnique({ where: { id: input.id } });
    if (count === 0) return { row, changed: false };
    await tx.outboxEvent.create({ data: changedEvent(row!) });
    return { row, changed: true };
  });
  if (!outcome.row) return { apiClient: null, userErrors: [fail('NOT_FOUND', 'API client not found.', ['id'])] };
  if (!outcome.changed) return { apiClient: null, userErrors: [fail('REVOKED', 'This API client is revoked and cannot be changed; create a new one.', ['id'])] };
  ctx.log.info({ apiClientId: input.id, clientId: outcome.row.clientId, changed: Object.keys(data), by: ctx.viewer.userId }, 'api client updated');
  return { apiClient: outcome.row, userErrors: [] };
}

export async function revokeApiClient(ctx: IdentityContext, input: { id: string }) {
  const existing = await ctx.db.apiClient.findUnique({ where: { id: input.id } });
  if (!existing) return { apiClient: null, userErrors: [fail('NOT_FOUND', 'API client not found.', ['id'])] };
  if (existing.revokedAt) return { apiClient: existing, userErrors: [] };
  const apiClient = await ctx.db.$transaction(async (tx) => {
    const { count } = await tx.apiClient.updateMany({ where: { id: existing.id, revokedAt: null }, data: { revokedAt: new Date() } });
    const row = await tx.apiClient.findUniqueOrThrow({ where: { id: existing.id } });
    if (count > 0) await tx.outboxEvent.create({ data: changedEvent(row) });
    return row;
  });
  ctx.log.info({ apiClientId: apiClient.id, clientId: apiClient.clientId, by: ctx.viewer.userId }, 'api client revoked');
  return { apiClient, userErrors: [] };
}

/** Newest first, keyset-paginated on (createdAt, id). */
export async function listApiClients(ctx: IdentityContext, input: { first?: number | null; after?: string | null }) {
  const limit = pageSize(input.first);
  const after = decodeCursor(CURSOR_KIND, input.after, 2);
  const keyset: Prisma.ApiClientWhereInput | undefined = after
    ? { OR: [{ createdAt: { lt: new Date(String(after[0])) } }, { createdAt: new Date(String(after[0])), id: { lt: String(after[1]) } }] }
    : undefined;
  const [rows, totalCount] = await Promise.all([
    ctx.db.apiClient.findMany({ where: keyset, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit + 1 }),
    ctx.db.apiClient.count(),
  ]);
  return { ...toConnection(rows, limit, cursorOf, !!after), totalCount };
}

export interface VerifiedClient {
  clientId: string;
  name: string;
  scopes: string[];
  rateTier: RateTier;
  persistedQueryPolicy: PersistedQueryPolicy;
  persistedQueryList: string | null;
}

const PLACEHOLDER_HASH = sha256('no-such-client');

/** The client's grants and gateway policy when (clientId, secret) match an unrevoked client; null otherwise. Constant-time on the secret. */
export async function verifyClientCredentials(db: IdentityDb, clientId: string, secret: string): Promise<VerifiedClient | null> {
  if (clientId.length > 100 || secret.length > 200) return null;
  const row = await db.apiClient.findUnique({ where: { clientId } });
  const expected = Buffer.from(row?.secretHash ?? PLACEHOLDER_HASH, 'hex');
  const given = Buffer.from(sha256(secret), 'hex');
  const match = timingSafeEqual(expected, given);
  if (!row || !match || row.revokedAt) return null;
  return {
    clientId: row.clientId,
    name: row.name,
    scopes: row.scopes,
    rateTier: row.rateTier,
    persistedQueryPolicy: row.persistedQueryPolicy,
    persistedQueryList: row.persistedQueryList,
  };
}
