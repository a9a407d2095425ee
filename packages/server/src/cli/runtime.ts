import { type Config, ConfigError, loadConfig } from '../config/config.ts';
import { type Database, type OpenOptions, openDatabase } from '../db/database.ts';
import { AppError } from '../lib/app-error.ts';
import { createLogger, type Logger } from '../logger.ts';
import { EXIT } from './exit-codes.ts';

/** An error that ends the command with a given exit code and one line for the operator. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function readConfig(): Config {
  try {
    return loadConfig(process.env, { isTTY: process.stdout.isTTY === true });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliExit(EXIT.CONFIG, `invalid configuration: ${error.message}`);
    throw error;
  }
}

const UNAVAILABLE_CODES = new Set(['DATABASE_UNAVAILABLE', 'DATA_DIR_LOCKED', 'DATA_DIR_UNUSABLE']);

export function exitCodeFor(error: unknown): number {
  if (error instanceof CliExit) return error.exitCode;
  if (error instanceof AppError) {
    if (UNAVAILABLE_CODES.has(error.code)) return EXIT.UNAVAILABLE;
    if (error.status === 400) return EXIT.USAGE;
    return EXIT.FAILURE;
  }
  return EXIT.SOFTWARE;
}

export async function openConfiguredDatabase(config: Config, logger: Logger, options: OpenOptions = {}): Promise<Database> {
  return openDatabase(config.database, {
    onMigrated: ({ applied }) => {
      if (applied.length > 0) logger.info({ applied }, 'database migrated');
    },
    onPoolError: (error) => logger.error({ err: error }, 'database connection error'),
    ...options,
  });
}

export { createLogger };
