import type { RateLimitStore, WindowCount } from './rate-limit.types.ts';

export interface MemoryStoreOptions {
  /**
   * Most counters kept at once. Keys come from clients (IPs, emails), so without a cap a flood of
   * distinct keys would grow the map until the process dies.
   */
  maxEntries?: number;
  /** How often ended windows are swept out while requests arrive. */
  sweepIntervalMs?: number;
}

interface Entry {
  hits: number;
  windowStartMs: number;
  endsAtMs: number;
}

export const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
// At the cap, a full sweep runs at most this often: a flood of new keys must not make every
// request walk the whole map.
const FULL_SWEEP_MIN_GAP_MS = 1_000;

/** One process's counters: the embedded mode's store, and the fallback when a shared store fails. */
export function createMemoryStore(options: MemoryStoreOptions = {}): RateLimitStore & { size(): number } {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  // A Map iterates in insertion order and a counter is re-inserted when its window restarts, so
  // the first entries are those whose windows started longest ago.
  const entries = new Map<string, Entry>();
  let lastSweepMs = Number.NEGATIVE_INFINITY;

  function sweep(nowMs: number): void {
    lastSweepMs = nowMs;
    for (const [key, entry] of entries) if (entry.endsAtMs <= nowMs) entries.delete(key);
  }

  function makeRoom(nowMs: number): void {
    if (entries.size < maxEntries) return;
    if (nowMs - lastSweepMs >= FULL_SWEEP_MIN_GAP_MS) sweep(nowMs);
    // Still full of live windows: drop the oldest. That forgets someone's count, which is why
    // the cap is far above what one process meets in a window of honest traffic.
    for (const key of entries.keys()) {
      if (entries.size < maxEntries) break;
      entries.delete(key);
    }
  }

  const live = (key: string, nowMs: number): Entry | undefined => {
    const entry = entries.get(key);
    return entry && entry.endsAtMs > nowMs ? entry : undefined;
  };

  return {
    kind: 'memory',
    async increment(key: string, windowMs: number, nowMs: number): Promise<WindowCount> {
      if (nowMs - lastSweepMs >= sweepIntervalMs) sweep(nowMs);
      const entry = live(key, nowMs);
      if (entry) {
        entry.hits += 1;
        return { hits: entry.hits, windowStartMs: entry.windowStartMs };
      }
      entries.delete(key);
      makeRoom(nowMs);
      entries.set(key, { hits: 1, windowStartMs: nowMs, endsAtMs: nowMs + windowMs });
      return { hits: 1, windowStartMs: nowMs };
    },
    async current(key: string, _windowMs: number, nowMs: number): Promise<WindowCount | null> {
      const entry = live(key, nowMs);
      return entry ? { hits: entry.hits, windowStartMs: entry.windowStartMs } : null;
    },
    async reset(key: string): Promise<void> {
      entries.delete(key);
    },
    async close(): Promise<void> {
      entries.clear();
    },
    size: () => entries.size,
  };
}
