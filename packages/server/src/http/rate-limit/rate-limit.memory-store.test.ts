import { describe, expect, it } from 'vitest';
import { createMemoryStore, DEFAULT_MAX_ENTRIES } from './rate-limit.memory-store.ts';

/** The in-process store must stay bounded whatever keys clients make it count. */
const T0 = 1_000_000;
const MINUTE = 60_000;

describe('memory store', () => {
  it('at its cap drops ended windows first', async () => {
    const store = createMemoryStore({ maxEntries: 3 });
    await store.increment('short', 1_000, T0);
    await store.increment('b', MINUTE, T0);
    await store.increment('c', MINUTE, T0);
    await store.increment('d', MINUTE, T0 + 2_000);
    expect(store.size()).toBe(3);
    expect(await store.current('short', 1_000, T0 + 2_000)).toBeNull();
    for (const key of ['b', 'c', 'd']) expect(await store.current(key, MINUTE, T0 + 2_000)).not.toBeNull();
  });

  it('at its cap with every window running drops the oldest window', async () => {
    const store = createMemoryStore({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c']) await store.increment(key, MINUTE, T0);
    await store.increment('b', MINUTE, T0 + 1); // counting again does not make "b" new
    await store.increment('d', MINUTE, T0 + 2);
    expect(store.size()).toBe(3);
    expect(await store.current('a', MINUTE, T0 + 2)).toBeNull();
    expect(await store.current('b', MINUTE, T0 + 2)).toEqual({ hits: 2, windowStartMs: T0 });
    expect(await store.current('d', MINUTE, T0 + 2)).toEqual({ hits: 1, windowStartMs: T0 + 2 });
  });

  it('a window that restarts counts as new, so it is not the next one dropped', async () => {
    const store = createMemoryStore({ maxEntries: 2, sweepIntervalMs: 10 * MINUTE });
    await store.increment('a', MINUTE, T0);
    await store.increment('b', 2 * MINUTE, T0);
    await store.increment('a', MINUTE, T0 + MINUTE); // a's first window ended: a new one starts
    await store.increment('c', 2 * MINUTE, T0 + MINUTE + 1);
    expect(await store.current('a', MINUTE, T0 + MINUTE + 1)).toEqual({ hits: 1, windowStartMs: T0 + MINUTE });
    expect(await store.current('b', 2 * MINUTE, T0 + MINUTE + 1)).toBeNull();
  });

  it('sweeps ended windows while requests arrive, so idle keys do not accumulate', async () => {
    const store = createMemoryStore({ sweepIntervalMs: MINUTE });
    for (let i = 0; i < 1_000; i++) await store.increment(`ip-${i}`, 1_000, T0);
    expect(store.size()).toBe(1_000);
    await store.increment('later', 1_000, T0 + MINUTE);
    expect(store.size()).toBe(1);
  });

  it('a flood of distinct keys never grows it past the cap', async () => {
    const store = createMemoryStore({ maxEntries: 1_000 });
    for (let i = 0; i < 20_000; i++) {
      await store.increment(`flood-${i}`, MINUTE, T0 + i);
      expect(store.size()).toBeLessThanOrEqual(1_000);
    }
    // The newest keys are kept: the one counted last still has its count.
    expect(await store.current('flood-19999', MINUTE, T0 + 20_000)).toEqual({ hits: 1, windowStartMs: T0 + 19_999 });
    expect(DEFAULT_MAX_ENTRIES).toBe(100_000);
  });
});
