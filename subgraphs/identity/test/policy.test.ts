import { describe, expect, it } from 'vitest';
import { passwordProblem, hashPassword, verifyPassword } from '../src/services/passwords.ts';
import { isValidEmail, normalizeEmail } from '../src/services/emails.ts';
import { MemoryRateLimiter, RedisRateLimiter, retryMessage } from '../src/services/rateLimit.ts';
import { clientIpOf } from '../src/requestInfo.ts';
import { randomUUID } from 'node:crypto';
import { redisUrl } from './harness.ts';

describe('password policy', () => {
  it.each([
    ['Sh0rt!pw', /at least 10/],
    ['onlylowercaseletters', /three of/],
    ['lowercase1234', /three of/],
    ['UPPERCASE1234', /three of/],
    ['MixedCaseOnly', /three of/],
    ['Dana.Cust0mer@example.com', /email/],
    ['x'.repeat(300) + 'A1', /at most 256/],
  ])('refuses %s', (password, why) => {
    expect(passwordProblem(password, 'dana.cust0mer@example.com')).toMatch(why);
  });

  it.each(['lowercase-123', 'Lowercase123', 'UPPER-CASE-1', 'Pässwörter-Ü2', 'correct horse Battery'])('accepts %s', (password) => {
    expect(passwordProblem(password, 'someone@example.com')).toBeNull();
  });

  it('hashes with argon2id and verifies only the right password', async () => {
    const hash = await hashPassword('Right-password-1');
    expect(hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(hash.split('$')[3].split(',').sort()).toEqual(['m=19456', 'p=1', 't=2']);
    expect(await verifyPassword(hash, 'Right-password-1')).toBe(true);
    expect(await verifyPassword(hash, 'Wrong-password-1')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'Right-password-1')).toBe(false);
  });
});

describe('email normalisation', () => {
  it('trims, composes (NFC) and lower-cases', () => {
    expect(normalizeEmail('  Jos\u0065\u0301.Smith@Example.COM\t')).toBe('jos\u00e9.smith@example.com');
    expect(normalizeEmail('ANNA@EXAMPLE.COM')).toBe(normalizeEmail('anna@example.com'));
  });

  it('accepts plausible addresses only', () => {
    expect(isValidEmail('a@b.co')).toBe(true);
    expect(isValidEmail('no-at-sign.example.com')).toBe(false);
    expect(isValidEmail('two@@example.com')).toBe(false);
    expect(isValidEmail('spaces in@example.com')).toBe(false);
    expect(isValidEmail('nodot@localhost')).toBe(false);
    expect(isValidEmail(`${'a'.repeat(250)}@example.com`)).toBe(false);
  });
});

describe('client address', () => {
  it('takes the entry the gateway appended to X-Forwarded-For', () => {
    expect(clientIpOf({ headers: { 'x-forwarded-for': '203.0.113.5' } })).toBe('203.0.113.5');
    expect(clientIpOf({ headers: { 'x-forwarded-for': '1.1.1.1, 203.0.113.5' } })).toBe('203.0.113.5');
    expect(clientIpOf({ headers: {} })).toBe('unknown');
  });
});

describe('rate limiters', () => {
  const rule = { limit: 3, windowSeconds: 60 };

  it('in memory: allows the limit, then says when to retry, and slides', async () => {
    let now = 1_000_000;
    const limiter = new MemoryRateLimiter(() => now);
    for (let i = 0; i < 3; i++) expect((await limiter.consume('k', rule)).allowed).toBe(true);
    expect(await limiter.peek('k', rule)).toEqual({ allowed: false, retryAfterSeconds: 60 });
    now += 20_000;
    expect(await limiter.consume('k', rule)).toEqual({ allowed: false, retryAfterSeconds: 40 });
    now += 40_001;
    expect((await limiter.consume('k', rule)).allowed).toBe(true);
    await limiter.reset('k');
    expect(await limiter.peek('k', rule)).toEqual({ allowed: true, remaining: 3 });
  });

  it('in Redis: the same contract, atomic under concurrency', async () => {
    const limiter = new RedisRateLimiter(redisUrl, `test:identity:${randomUUID()}:`);
    try {
      const results = await Promise.all(Array.from({ length: 10 }, () => limiter.consume('burst', rule)));
      expect(results.filter((r) => r.allowed)).toHaveLength(3);
      const refused = results.find((r) => !r.allowed) as { retryAfterSeconds: number };
      expect(refused.retryAfterSeconds).toBeGreaterThan(55);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect((await limiter.peek('other', rule)).allowed).toBe(true);
      await limiter.reset('burst');
      expect((await limiter.consume('burst', rule)).allowed).toBe(true);
      await limiter.reset('burst');
    } finally {
      await limiter.close();
    }
  });

  it('phrases the retry time', () => {
    expect(retryMessage(1)).toBe('Too many attempts. Try again in 1 second.');
    expect(retryMessage(90)).toBe('Too many attempts. Try again in 90 seconds.');
  });
});
