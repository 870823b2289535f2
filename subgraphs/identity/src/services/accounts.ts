import { newId, unauthenticated } from '@storefront/shared';
import { outboxEvent } from '@storefront/shared/events';
import type { UserModel } from '../generated/prisma/models.ts';
import type { IdentityContext } from '../context.ts';
import { limitKey } from './rateLimit.ts';
import { checkLimits, fail, isUniqueViolation, passwordKey, rateLimited, requireUserId, text, type IdentityUserError } from './common.ts';
import { isValidEmail, normalizeEmail } from './emails.ts';
import { hashPassword, needsRehash, passwordProblem, verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { findRefreshToken, revokeAllFamilies, revokeFamily, rotateRefreshToken, startSession, type Session } from './tokens.ts';

export interface SessionResult extends Partial<Session> {
  retryAfterSeconds?: number;
  userErrors: IdentityUserError[];
}

const MAX_NAME = 100;
/** Refresh tokens we issue are ~46 characters; anything much longer is not worth a lookup. */
const MAX_TOKEN_LENGTH = 200;

function signedIn(ctx: IdentityContext, session: Session): SessionResult {
  ctx.authenticatedUserIds.add(session.user.id);
  ctx.loaders.user.prime(session.user.id, session.user);
  return { ...session, userErrors: [] };
}

export async function register(ctx: IdentityContext, input: { email: string; password: string; name: string }): Promise<SessionResult> {
  const limited = await checkLimits(ctx, [[limitKey('register:ip', ctx.clientIp), ctx.limits.registerPerIp]]);
  if (limited) return rateLimited(limited.retryAfterSeconds);

  const errors: IdentityUserError[] = [];
  const name = text(input.name, 'name', MAX_NAME);
  if ('error' in name) errors.push(name.error);
  const email = normalizeEmail(input.email);
  if (!isValidEmail(email)) errors.push(fail('INVALID_EMAIL', 'Enter a valid email address.', ['email']));
  const weak = passwordProblem(input.password, email);
  if (weak) errors.push(fail('WEAK_PASSWORD', weak, ['password']));
  if (errors.length) return { userErrors: errors };

  const taken = () => ({ userErrors: [fail('EMAIL_TAKEN', 'An account with this email already exists.', ['email'])] });
  if (await ctx.db.user.findUnique({ where: { email }, select: { id: true } })) return taken();
  const passwordHash = await hashPassword(input.password);
  let user: UserModel;
  try {
    user = await ctx.db.$transaction(async (tx) => {
      const created = await tx.user.create({ data: { id: newId(), email, name: (name as { value: string }).value, passwordHash, roles: ['CUSTOMER'] } });
      await tx.outboxEvent.create({ data: outboxEvent('UserRegistered', created.id, { userId: created.id, occurredAt: created.createdAt.toISOString() }) });
      return created;
    });
  } catch (e) {
    if (isUniqueViolation(e)) return taken(); // registered concurrently
    throw e;
  }
  ctx.log.info({ userId: user.id }, 'user registered');
  return signedIn(ctx, await startSession(ctx.db, ctx.keys, user));
}

export async function login(ctx: IdentityContext, input: { email: string; password: string }): Promise<SessionResult> {
  const email = normalizeEmail(input.email);
  // Every attempt counts against the account until one succeeds, so parallel guesses cannot slip past the limit.
  const limited = await checkLimits(ctx, [
    [limitKey('login:ip', ctx.clientIp), ctx.limits.loginPerIp],
    [passwordKey(email), ctx.limits.passwordFailuresPerAccount],
  ]);
  if (limited) return rateLimited(limited.retryAfterSeconds);

  const user = await ctx.db.user.findUnique({ where: { email } });
  const ok = user ? await verifyPassword(user.passwordHash, input.password) : await verifyAgainstDummy(input.password);
  if (!user || !ok) {
    ctx.log.info({ userId: user?.id }, 'login failed');
    return { userErrors: [fail('INVALID_CREDENTIALS', 'The email or password is incorrect.')] };
  }
  await ctx.limiter.reset(passwordKey(email));
  if (needsRehash(user.passwordHash)) {
    await ctx.db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(input.password) } });
  }
  ctx.log.info({ userId: user.id }, 'login');
  return signedIn(ctx, await startSession(ctx.db, ctx.keys, user));
}

export async function refresh(ctx: IdentityContext, input: { refreshToken: string }): Promise<SessionResult> {
  const ipLimited = await checkLimits(ctx, [[limitKey('refresh:ip', ctx.clientIp), ctx.limits.refreshPerIp]]);
  if (ipLimited) return rateLimited(ipLimited.retryAfterSeconds);
  const invalid = { userErrors: [fail('INVALID_TOKEN', 'The refresh token is invalid or has expired. Sign in again.', ['refreshToken'])] };
  if (!input.refreshToken || input.refreshToken.length > MAX_TOKEN_LENGTH) return invalid;

  const found = await findRefreshToken(ctx.db, input.refreshToken);
  if (found) {
    const accountLimited = await checkLimits(ctx, [[limitKey('refresh:acct', found.family.userId), ctx.limits.refreshPerAccount]]);
    if (accountLimited) return rateLimited(accountLimited.retryAfterSeconds);
  }
  const result = await rotateRefreshToken(ctx.db, ctx.keys, input.refreshToken, found);
  if (result.ok) return signedIn(ctx, result.session);
  if (result.reason === 'TOKEN_REUSED') {
    ctx.log.warn({ userId: result.userId }, 'refresh token reused: session revoked');
    return { userErrors: [fail('TOKEN_REUSED', 'This refresh token was already used. The session has been ended; sign in again.', ['refreshToken'])] };
  }
  return invalid;
}

export async function logout(ctx: IdentityContext, input: { refreshToken: string }) {
  const found = input.refreshToken && input.refreshToken.length <= MAX_TOKEN_LENGTH ? await findRefreshToken(ctx.db, input.refreshToken) : null;
  if (!found) return { success: false, userErrors: [fail('INVALID_TOKEN', 'The refresh token is invalid.', ['refreshToken'])] };
  await revokeFamily(ctx.db, found.familyId, 'LOGOUT');
  ctx.log.info({ userId: found.family.userId }, 'logout');
  return { success: true, userErrors: [] };
}

/** Checks the current password of a signed-in user under the per-account limit. */
async function confirmPassword(ctx: IdentityContext, user: UserModel, password: string | null | undefined, field: string) {
  const limited = await checkLimits(ctx, [[passwordKey(user.email), ctx.limits.passwordFailuresPerAccount]]);
  if (limited) return rateLimited(limited.retryAfterSeconds);
  if (!password || !(await verifyPassword(user.passwordHash, password))) {
    return { userErrors: [fail('INVALID_CREDENTIALS', 'The current password is incorrect.', [field])] };
  }
  await ctx.limiter.reset(passwordKey(user.email));
  return null;
}

async function currentUser(ctx: IdentityContext): Promise<UserModel> {
  const id = requireUserId(ctx);
  const user = await ctx.db.user.findUnique({ where: { id } });
  if (!user) throw unauthenticated(); // the account was deleted after the token was issued
  return user;
}

export async function changePassword(ctx: IdentityContext, input: { currentPassword: string; newPassword: string }) {
  const user = await currentUser(ctx);
  const weak = passwordProblem(input.newPassword, user.email);
  if (weak) return { success: false, userErrors: [fail('WEAK_PASSWORD', weak, ['newPassword'])] };
  const refused = await confirmPassword(ctx, user, input.currentPassword, 'currentPassword');
  if (refused) return { success: false, ...refused };
  const passwordHash = await hashPassword(input.newPassword);
  await ctx.db.$transaction([
    ctx.db.user.update({ where: { id: user.id }, data: { passwordHash } }),
    revokeAllFamilies(ctx.db, user.id, 'PASSWORD_CHANGED'),
    ctx.db.outboxEvent.create({ data: outboxEvent('PasswordChanged', user.id, { userId: user.id }) }),
  ]);
  ctx.log.info({ userId: user.id }, 'password changed');
  return { success: true, userErrors: [] };
}

export async function updateProfile(ctx: IdentityContext, input: { name?: string | null; email?: string | null; currentPassword?: string | null }) {
  const user = await currentUser(ctx);
  const data: { name?: string; email?: string } = {};
  if (input.name != null) {
    const name = text(input.name, 'name', MAX_NAME);
    if ('error' in name) return { user: null, userErrors: [name.error] };
    data.name = name.value;
  }
  if (input.email != null) {
    const email = normalizeEmail(input.email);
    if (!isValidEmail(email)) return { user: null, userErrors: [fail('INVALID_EMAIL', 'Enter a valid email address.', ['email'])] };
    if (email !== user.email) {
      const refused = await confirmPassword(ctx, user, input.currentPassword, 'currentPassword');
      if (refused) return { user: null, ...refused };
      data.email = email;
    }
  }
  const taken = { user: null, userErrors: [fail('EMAIL_TAKEN', 'An account with this email already exists.', ['email'])] };
  if (data.email && (await ctx.db.user.findUnique({ where: { email: data.email }, select: { id: true } }))) return taken;
  let updated: UserModel;
  try {
    updated = await ctx.db.$transaction(async (tx) => {
      const u = await tx.user.update({ where: { id: user.id }, data });
      if (data.email) await tx.outboxEvent.create({ data: outboxEvent('UserEmailChanged', user.id, { userId: user.id }) });
      return u;
    });
  } catch (e) {
    if (isUniqueViolation(e)) return taken;
    throw e;
  }
  ctx.loaders.user.clear(user.id).prime(user.id, updated);
  return { user: updated, userErrors: [] };
}
