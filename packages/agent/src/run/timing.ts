/** ±10% around the server's interval, so a fleet restarted together does not check in together. */
export function jittered(seconds: number, random: () => number = Math.random): number {
  return Math.round(seconds * 1000 * (0.9 + 0.2 * random()));
}

export const BACKOFF_BASE_MS = 15_000;
export const BACKOFF_CAP_MS = 15 * 60_000;

/**
 * The wait after the `failures`-th failure in a row (1, 2, …): doubling from 15 s up to 15 min,
 * each drawn between half and all of that, so agents that lost the server at the same moment
 * come back spread out instead of in one wave.
 */
export function backoffMs(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(failures - 1, 20)));
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}

/** Waits `ms`, or less when `signal` aborts (SIGTERM); never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
