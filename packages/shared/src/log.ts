import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'password', '*.password', 'newPassword', '*.newPassword', 'currentPassword', '*.currentPassword',
  'token', '*.token', 'accessToken', '*.accessToken', 'refreshToken', '*.refreshToken',
  'passwordHash', '*.passwordHash', 'secret', '*.secret', 'clientSecret', '*.clientSecret',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'cardNumber', '*.cardNumber', 'cvv', '*.cvv', 'cvc', '*.cvc', 'variables.input.cvc', 'variables.input.number', 'variables.input.password', 'variables.input.cardNumber',
];

export function createLogger(name: string, options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' || process.env.VITEST ? 'silent' : 'info');
  const opts = { name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return options.destination ? pino(opts, options.destination as any) : pino(opts);
}
