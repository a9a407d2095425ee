import { type Config, ConfigError, loadConfig } from '../config/config.ts';
import { type Database, type OpenOptions, openDatabase } from '../db/database.ts';
import { createLogger, type Logger } from '../logger.ts';
import { CliExit, EXIT } from './exit-codes.ts';

export function readConfig(): Config {
  try {
    return loadConfig(process.env, { isTTY: process.stdout.isTTY === true });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliExit(EXIT.CONFIG, `invalid configuration: ${error.message}`);
    throw error;
  }
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

export { CliExit, createLogger };
