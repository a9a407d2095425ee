import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { createJobQueue } from '../jobs/index.ts';
import { jobDefinitions } from '../jobs/registry.ts';
import type { KeyringSource } from '../lib/keys/index.ts';
import type { Logger } from '../logger.ts';

/** The queue as `serve` and `worker` run it, with every job the product defines. */
export function createJobRuntime(deps: { config: Config; database: Database; logger: Logger; keys: KeyringSource }) {
  const queue = createJobQueue({
    database: deps.database,
    logger: deps.logger,
    concurrency: deps.config.jobs.concurrency,
    pollIntervalSeconds: deps.config.jobs.pollIntervalSeconds,
    jobs: jobDefinitions(deps),
  });
  return {
    start: (options: { work: boolean }) => queue.start(options),
    /** Waits up to `timeoutMs` for running jobs, then gives what still runs back to the queue. */
    stop: (timeoutMs: number = deps.config.shutdownTimeoutMs) => queue.stop({ graceful: true, timeoutMs }),
  };
}
