import { availableParallelism } from 'node:os';

/**
 * How many argon2id computations run at once. Each one keeps a core busy for tens of
 * milliseconds; with as many running as there are cores, the event loop (every other request,
 * /healthz included) waits for a core. One core is always left to it. Requests beyond the limit
 * queue here, in order, instead of in libuv's pool where they would also delay file and DNS work.
 */
export const HASH_CONCURRENCY = Math.max(1, availableParallelism() - 1);

let running = 0;
const waiting: Array<() => void> = [];

export async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= HASH_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    // The slot passes straight to the next waiter; only when nobody waits is it given back.
    if (next) next();
    else running--;
  }
}
