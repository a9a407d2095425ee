import pino, { type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config/config.ts';

/**
 * Paths that may carry credentials. Redaction is a safety net: code must not log secrets in the
 * first place, but a request logged in full would otherwise carry tokens and cookies.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-vigil-agent-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.databaseUrl',
];

export function loggerOptions(config: Pick<Config, 'log'>): LoggerOptions {
  return {
    level: config.log.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(config.log.pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}

export function createLogger(config: Pick<Config, 'log'>): Logger {
  return pino(loggerOptions(config));
}

export type { Logger };
