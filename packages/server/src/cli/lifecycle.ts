import type { Logger } from '../logger.ts';

/**
 * Resolves on the first SIGTERM or SIGINT. A second signal while shutting down exits at once,
 * for the operator who pressed Ctrl-C twice on purpose.
 */
export function waitForShutdownSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      received = true;
      logger.info({ signal }, 'shutting down: finishing in-flight work');
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** Runs the shutdown steps in order; past the deadline the process exits non-zero. */
export async function shutdownWithin(logger: Logger, timeoutMs: number, steps: Array<[string, () => Promise<unknown>]>): Promise<void> {
  const deadline = setTimeout(() => {
    logger.error({ timeoutMs }, 'shutdown took too long; exiting');
    process.exit(1);
  }, timeoutMs);
  deadline.unref();
  try {
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        logger.error({ err: error, step: name }, 'shutdown step failed');
      }
    }
  } finally {
    clearTimeout(deadline);
  }
}
