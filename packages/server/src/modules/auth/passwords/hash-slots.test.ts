import { describe, expect, it } from 'vitest';
import { HASH_CONCURRENCY, withHashSlot } from './hash-slots.ts';

describe('hash slots', () => {
  it('never runs more than HASH_CONCURRENCY at once, and runs every task in order', async () => {
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withHashSlot(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 2));
          order.push(i);
          running--;
        }),
      ),
    );
    expect(peak).toBe(HASH_CONCURRENCY);
    expect(order).toHaveLength(20);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('frees the slot when the work fails', async () => {
    await expect(withHashSlot(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const results = await Promise.all(Array.from({ length: HASH_CONCURRENCY + 2 }, (_, i) => withHashSlot(async () => i)));
    expect(results).toHaveLength(HASH_CONCURRENCY + 2);
  });
});
