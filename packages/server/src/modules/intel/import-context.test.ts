import { describe, expect, it } from 'vitest';
import { Batcher, parseReleaseDate } from './import-context.ts';

describe('Batcher', () => {
  it('writes a document bigger than several batches batch by batch, in order, one write at a time', async () => {
    const writes: number[][] = [];
    let running = 0;
    let overlap = false;
    const batcher = new Batcher<number>(3, async (rows) => {
      running++;
      if (running > 1) overlap = true;
      await new Promise((resolve) => setTimeout(resolve, 5));
      writes.push(rows);
      running--;
    });
    for (let i = 1; i <= 8; i++) batcher.push(i);
    await batcher.drain();
    for (let i = 9; i <= 10; i++) batcher.push(i);
    await batcher.flush();
    expect(writes).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]);
    expect(overlap).toBe(false);
  });

  it('throws a failed write from the next drain or flush', async () => {
    const batcher = new Batcher<number>(1, async () => {
      throw new Error('disk full');
    });
    batcher.push(1);
    await batcher.drain();
    await expect(batcher.flush()).rejects.toThrow('disk full');
  });
});

describe('parseReleaseDate', () => {
  it('reads EPSS’s zone without a colon, ISO dates, and nothing else', () => {
    expect(parseReleaseDate('2025-08-16T00:00:00+0000')?.toISOString()).toBe('2025-08-16T00:00:00.000Z');
    expect(parseReleaseDate('2025-08-25')?.toISOString()).toBe('2025-08-25T00:00:00.000Z');
    expect(parseReleaseDate('soon')).toBeNull();
    expect(parseReleaseDate(null)).toBeNull();
  });
});
