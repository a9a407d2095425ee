import { createKeyringSource } from '../../lib/keys/index.ts';
import { createJobRuntime } from '../jobs-runtime.ts';
import { budget, shutdownWithin, waitForShutdownSignal } from '../lifecycle.ts';
import { createLogger, openConfiguredDatabase, readConfig } from '../runtime.ts';

export async function workerCommand(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config);
  const signalled = waitForShutdownSignal(logger);
  const database = await openConfiguredDatabase(config, logger);
  const jobs = createJobRuntime({ config, database, logger, keys: createKeyringSource(config, logger) });
  try {
    await jobs.start({ work: true });
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  logger.info({ concurrency: config.jobs.concurrency }, 'worker started');
  process.stdout.write(`Vigil worker running (${database.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL'})\n`);
  await signalled;
  await shutdownWithin(logger, config.shutdownTimeoutMs, [
    ['jobs', (remaining) => jobs.stop(budget(remaining))],
    ['database', () => database.close()],
  ]);
  logger.info('stopped');
}
