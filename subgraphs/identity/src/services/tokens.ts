import { createHash, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { newId, scopesForRoles, type Role } from '@storefront/shared';
import type { Prisma } from '../generated/prisma/client.ts';
import type { UserModel } from '../generated/prisma/models.ts';
import type { IdentityDb } from '../db.ts';
import type { SigningKeys } from './signingKeys.ts';
import { ACCESS_TOKEN_TTL_SECONDS, REFRESH_TOKEN_TTL_SECONDS, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../config.ts';

type Tx = Prisma.TransactionClient | IdentityDb;

/** sha256 hex: how refresh, reset and client secrets are stored (they are 256-bit random, so no salt or stretching is needed). */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** An opaque, URL-safe random token with a readable prefix (so leaked tokens are recognisable in scanners). */
export const randomToken = (prefix: string, bytes = 32) => `${prefix}_${randomBytes(bytes).toString('base64url')}`;

export interface AccessToken {
  token: string;
  expiresAt: Date;
}

export interface AccessClaims {
  sub: string;
  roles: Role[];
  scope: string;
  iss: string;
  aud: string;
  exp: number;
  iat: number;
  jti: string;
}

/** An RS256 JWT: sub, roles, space-separated scope, iss, aud, 15-minute exp, jti, header kid. */
export async function issueAccessToken(keys: SigningKeys, user: Pick<UserModel, 'id' | 'roles'>, now = Date.now()): Promise<AccessToken> {
  const key = await keys.active();
  const iat = Math.floor(now / 1000);
  const exp = iat + ACCESS_TOKEN_TTL_SECONDS;
  const roles = user.roles as Role[];
  const token = jwt.sign({ roles, scope: scopesForRoles(roles).join(' '), iat, exp }, key.privateKey, {
    algorithm: 'RS256',
    keyid: key.kid,
    subject: user.id,
    issuer: TOKEN_ISSUER,
    audience: TOKEN_AUDIENCE,
    jwtid: randomUUID(),
  });
  return { token, expiresAt: new Date(exp * 1000) };
}

export interface RefreshTokenIssue {
  token: string;
  id: string;
  expiresAt: Date;
}

/** A new refresh token in a family (a new family when none is given). Only its hash is stored. */
export async function issueRefreshToken(db: Tx, userId: string, familyId?: string, now = new Date()): Promise<RefreshTokenIssue & { familyId: string }> {
  const family = familyId ?? (await db.refreshTokenFamily.create({ data: { id: newId(), userId } })).id;
  const token = randomToken('rt');
  const expiresAt = new Date(now.getTime() + REFRESH_TOKEN_TTL_SECONDS * 1000);
  const row = await db.refreshToken.create({ data: { id: newId(), familyId: family, tokenHash: sha256(token), expiresAt } });
  return { token, id: row.id, expiresAt, familyId: family };
}

export interface Session {
  user: UserModel;
  accessToken: string;
  expiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

/** Signs in: a new token family with its first refresh token, and an access token. */
export async function startSession(db: IdentityDb, keys: SigningKeys, user: UserModel): Promise<Session> {
  const access = await issueAccessToken(keys, user);
  const refresh = await issueRefreshToken(db, user.id);
  return sessionOf(user, access, refresh);
}

export const sessionOf = (user: UserModel, access: AccessToken, refresh: RefreshTokenIssue): Session => ({
  user,
  accessToken: access.token,
  expiresAt: access.expiresAt.toISOString(),
  refreshToken: refresh.token,
  refreshTokenExpiresAt: refresh.expiresAt.toISOString(),
});

export type RevokeReason = 'LOGOUT' | 'REUSE' | 'PASSWORD_CHANGED' | 'PASSWORD_RESET';

export const revokeFamily = (db: Tx, familyId: string, reason: RevokeReason) =>
  db.refreshTokenFamily.updateMany({ where: { id: familyId, revokedAt: null }, data: { revokedAt: new Date(), revokedReason: reason } });

/** Ends every session of a user, optionally sparing one family (the caller's own). */
export const revokeAllFamilies = (db: Tx, userId: string, reason: RevokeReason, except?: string) =>
  db.refreshTokenFamily.updateMany({
    where: { userId, revokedAt: null, ...(except ? { id: { not: except } } : {}) },
    data: { revokedAt: new Date(), revokedReason: reason },
  });

export type RotateResult =
  | { ok: true; user: UserModel; session: Session }
  | { ok: false; reason: 'INVALID_TOKEN' | 'TOKEN_REUSED'; userId?: string };

/** Looks up a presented refresh token by hash, with its family. */
export const findRefreshToken = (db: IdentityDb, token: string) =>
  db.refreshToken.findUnique({ where: { tokenHash: sha256(token) }, include: { family: true } });

/**
 * Spends a refresh token and issues its successor in the same family. A token that was already
 * spent means it was copied: the whole family is revoked and both holders must sign in again.
 * The spend is a conditional update, so two concurrent uses of one token cannot both succeed.
 */
export async function rotateRefreshToken(db: IdentityDb, keys: SigningKeys, token: string, found?: Awaited<ReturnType<typeof findRefreshToken>>): Promise<RotateResult> {
  const row = found === undefined ? await findRefreshToken(db, token) : found;
  if (!row) return { ok: false, reason: 'INVALID_TOKEN' };
  const userId = row.family.userId;
  if (row.usedAt) {
    await revokeFamily(db, row.familyId, 'REUSE');
    return { ok: false, reason: 'TOKEN_REUSED', userId };
  }
  if (row.family.revokedAt || row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: 'INVALID_TOKEN', userId };

  const next = await db.$transaction(async (tx) => {
    const spent = await tx.refreshToken.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: new Date() } });
    if (spent.count !== 1) return null;
    const issued = await issueRefreshToken(tx, userId, row.familyId);
    await tx.refreshToken.update({ where: { id: row.id }, data: { replacedById: issued.id } });
    return issued;
  });
  if (!next) {
    await revokeFamily(db, row.familyId, 'REUSE');
    return { ok: false, reason: 'TOKEN_REUSED', userId };
  }
  const user = await db.user.findUnique({ where: { id: userId } });
  if (!user) return { ok: false, reason: 'INVALID_TOKEN' };
  const access = await issueAccessToken(keys, user);
  return { ok: true, user, session: sessionOf(user, access, next) };
}
