import pino, { type Logger } from 'pino';
import type { Config } from './config';

/** The process logger. Secrets never reach it: tokens and passwords are redacted by path. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.newPassword', '*.currentPassword', '*.refreshToken'],
      censor: '[redacted]',
    },
  });
}
