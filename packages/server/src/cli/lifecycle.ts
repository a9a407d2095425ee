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

/** One shutdown step; it gets the milliseconds left before the deadline. */
export type ShutdownStep = [name: string, run: (remainingMs: number) => Promise<unknown>];

/** Runs the shutdown steps in order; past the deadline the process exits non-zero. */
export async function shutdownWithin(logger: Logger, timeoutMs: number, steps: ShutdownStep[]): Promise<void> {
  const deadlineAt = Date.now() + timeoutMs;
  const deadline = setTimeout(() => {
    logger.error({ timeoutMs }, 'shutdown took too long; exiting');
    process.exit(1);
  }, timeoutMs);
  deadline.unref();
  try {
    for (const [name, step] of steps) {
      try {
        await step(Math.max(0, deadlineAt - Date.now()));
      } catch (error) {
        logger.error({ err: error, step: name }, 'shutdown step failed');
      }
    }
  } finally {
    clearTimeout(deadline);
  }
}

/** What a step with its own time limit may use: the rest of the budget, less room for the steps after it. */
export function budget(remainingMs: number, reserveMs = 2_000): number {
  return Math.max(0, remainingMs - reserveMs);
}
