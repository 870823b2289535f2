import { newId } from '@storefront/shared';
import { outboxEvent } from '@storefront/shared/events';
import type { IdentityContext } from '../context.ts';
import { RESET_TOKEN_TTL_SECONDS } from '../config.ts';
import { limitKey } from './rateLimit.ts';
import { checkLimits, fail, passwordKey, rateLimited } from './common.ts';
import { isValidEmail, normalizeEmail } from './emails.ts';
import { hashPassword, passwordProblem } from './passwords.ts';
import { randomToken, revokeAllFamilies, sha256 } from './tokens.ts';

export const PASSWORD_RESET_REQUESTED = 'PasswordResetRequested';
const MAX_TOKEN_LENGTH = 200;

/**
 * Issues a single-use reset token (stored hashed, valid 30 minutes) and hands it to the mailer by
 * writing a PasswordResetRequested event to the outbox in the same transaction. The answer is the
 * same whether or not the account exists; only the per-IP limit can refuse, and that says nothing
 * about accounts. Past the per-account limit the request is dropped silently.
 */
export async function requestPasswordReset(ctx: IdentityContext, input: { email: string }) {
  const limited = await checkLimits(ctx, [[limitKey('reset-request:ip', ctx.clientIp), ctx.limits.resetRequestPerIp]]);
  if (limited) return { success: false, ...rateLimited(limited.retryAfterSeconds) };
  const email = normalizeEmail(input.email);
  if (!isValidEmail(email)) return { success: false, userErrors: [fail('INVALID_EMAIL', 'Enter a valid email address.', ['email'])] };

  const user = await ctx.db.user.findUnique({ where: { email }, select: { id: true, email: true, name: true } });
  if (user) {
    const perAccount = await ctx.limiter.consume(limitKey('reset-request:acct', email), ctx.limits.resetRequestPerAccount);
    if (perAccount.allowed) {
      const token = randomToken('prt');
      const expiresAt = new Date(Date.now() + RESET_TOKEN_TTL_SECONDS * 1000);
      await ctx.db.$transaction([
        // Only the newest link works: older unused tokens are withdrawn.
        ctx.db.passwordResetToken.deleteMany({ where: { userId: user.id, usedAt: null } }),
        ctx.db.passwordResetToken.create({ data: { id: newId(), userId: user.id, tokenHash: sha256(token), expiresAt } }),
        ctx.db.outboxEvent.create({
          data: outboxEvent(PASSWORD_RESET_REQUESTED, user.id, { userId: user.id, email: user.email, name: user.name, token, expiresAt: expiresAt.toISOString() }),
        }),
      ]);
      ctx.log.info({ userId: user.id }, 'password reset requested');
    } else {
      ctx.log.warn({ userId: user.id }, 'password reset request dropped: per-account limit');
    }
  }
  return { success: true, userErrors: [] };
}

/** Sets a new password with a reset token. The token is spent atomically, and every session of the account ends. */
export async function resetPassword(ctx: IdentityContext, input: { token: string; newPassword: string }) {
  const limited = await checkLimits(ctx, [[limitKey('reset:ip', ctx.clientIp), ctx.limits.resetPasswordPerIp]]);
  if (limited) return { success: false, ...rateLimited(limited.retryAfterSeconds) };
  const invalid = { success: false, userErrors: [fail('INVALID_TOKEN', 'The reset link is invalid or has expired. Request a new one.', ['token'])] };
  if (!input.token || input.token.length > MAX_TOKEN_LENGTH) return invalid;

  const row = await ctx.db.passwordResetToken.findUnique({ where: { tokenHash: sha256(input.token) }, include: { user: true } });
  if (!row || row.usedAt || row.expiresAt.getTime() <= Date.now()) return invalid;
  const weak = passwordProblem(input.newPassword, row.user.email);
  if (weak) return { success: false, userErrors: [fail('WEAK_PASSWORD', weak, ['newPassword'])] };

  const passwordHash = await hashPassword(input.newPassword);
  const done = await ctx.db.$transaction(async (tx) => {
    const spent = await tx.passwordResetToken.updateMany({ where: { id: row.id, usedAt: null, expiresAt: { gt: new Date() } }, data: { usedAt: new Date() } });
    if (spent.count !== 1) return false;
    await tx.user.update({ where: { id: row.userId }, data: { passwordHash } });
    await revokeAllFamilies(tx, row.userId, 'PASSWORD_RESET');
    await tx.passwordResetToken.deleteMany({ where: { userId: row.userId, usedAt: null } });
    await tx.outboxEvent.create({ data: outboxEvent('PasswordChanged', row.userId, { userId: row.userId, via: 'reset' }) });
    return true;
  });
  if (!done) return invalid;
  // Whoever was locked out by failed logins can sign in with the new password straight away.
  await ctx.limiter.reset(passwordKey(row.user.email));
  ctx.log.info({ userId: row.userId }, 'password reset');
  return { success: true, userErrors: [] };
}
