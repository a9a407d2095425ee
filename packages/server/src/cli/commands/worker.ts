import { createJobRuntime } from '../jobs-runtime.ts';
import { shutdownWithin, waitForShutdownSignal } from '../lifecycle.ts';
import { createLogger, openConfiguredDatabase, readConfig } from '../runtime.ts';

export async function workerCommand(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config);
  const database = await openConfiguredDatabase(config, logger);
  const jobs = createJobRuntime({ config, database, logger });
  try {
    await jobs.start({ work: true });
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  logger.info({ concurrency: config.jobs.concurrency }, 'worker started');
  await waitForShutdownSignal(logger);
  await shutdownWithin(logger, config.shutdownTimeoutMs, [
    ['jobs', () => jobs.stop()],
    ['database', () => database.close()],
  ]);
  logger.info('stopped');
}
