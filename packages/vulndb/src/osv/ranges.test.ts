import { describe, expect, it } from 'vitest';
import { InvalidVersionError, sign, type VersionComparator } from '../versions/comparator.ts';
import { evaluateRange, type Range, type RangeEvent } from './ranges.ts';

/** Dotted integers only: enough to pin the range algorithm without any ecosystem's quirks. */
const dotted: VersionComparator = {
  ecosystems: ['test'],
  isValid: (v) => /^\d+(\.\d+)*$/.test(v),
  compare(a, b) {
    for (const v of [a, b]) if (!this.isValid(v)) throw new InvalidVersionError('test', v, 'not dotted integers');
    const x = a.split('.').map(Number);
    const y = b.split('.').map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const d = (x[i] ?? 0) - (y[i] ?? 0);
      if (d !== 0) return sign(d);
    }
    return 0;
  },
};

const range = (...events: RangeEvent[]): Range => ({ type: 'ECOSYSTEM', events });
const affected = (r: Range, v: string) => evaluateRange(r, v, dotted).affected;

/**
 * The OSV schema's reference algorithm, written as the spec states it (walk the sorted events,
 * toggling), to check the interval-based implementation against on generated cases.
 */
function reference(r: Range, v: string): boolean {
  const limits = r.events.flatMap((e) => ('limit' in e ? [e.limit] : []));
  if (limits.length > 0 && !limits.some((l) => l === '*' || dotted.compare(v, l) < 0)) return false;
  const key = (e: RangeEvent) => ('introduced' in e ? e.introduced : 'fixed' in e ? e.fixed : 'last_affected' in e ? e.last_affected : '');
  const sorted = r.events
    .filter((e) => !('limit' in e))
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const ka = key(a.e);
      const kb = key(b.e);
      const za = 'introduced' in a.e && ka === '0';
      const zb = 'introduced' in b.e && kb === '0';
      if (za || zb) return za && zb ? a.i - b.i : za ? -1 : 1;
      return dotted.compare(ka, kb) || a.i - b.i;
    });
  let vulnerable = false;
  for (const { e } of sorted) {
    if ('introduced' in e && (e.introduced === '0' || dotted.compare(v, e.introduced) >= 0)) vulnerable = true;
    else if ('fixed' in e && dotted.compare(v, e.fixed) >= 0) vulnerable = false;
    else if ('last_affected' in e && dotted.compare(v, e.last_affected) > 0) vulnerable = false;
  }
  return vulnerable;
}

describe('evaluateRange', () => {
  it('introduced 0 with fixed: everything below the fix', () => {
    const r = range({ introduced: '0' }, { fixed: '1.4' });
    expect(affected(r, '0.1')).toBe(true);
    expect(affected(r, '1.3.9')).toBe(true);
    expect(affected(r, '1.4')).toBe(false);
    expect(affected(r, '2')).toBe(false);
    expect(evaluateRange(r, '1.2', dotted)).toEqual({
      affected: true,
      explanation: 'introduced 0, fixed 1.4; 1.2 < 1.4',
      fixed: '1.4',
      bound: 'fixed',
    });
  });

  it('introduced without a fix: everything from there on', () => {
    const r = range({ introduced: '2.0' });
    expect(affected(r, '1.9')).toBe(false);
    expect(affected(r, '2.0')).toBe(true);
    expect(evaluateRange(r, '9', dotted).explanation).toBe('introduced 2.0, no fix; 9 >= 2.0');
  });

  it('last_affected is inclusive', () => {
    const r = range({ introduced: '1.0' }, { last_affected: '1.5' });
    expect(affected(r, '1.5')).toBe(true);
    expect(affected(r, '1.5.1')).toBe(false);
    expect(evaluateRange(r, '1.5', dotted)).toMatchObject({ fixed: null, explanation: 'introduced 1.0, last affected 1.5; 1.5 <= 1.5' });
  });

  it('several introduced/fixed pairs: each branch on its own', () => {
    const r = range({ introduced: '1.0' }, { fixed: '1.2' }, { introduced: '2.0' }, { fixed: '2.3' });
    expect(['0.9', '1.0', '1.1', '1.2', '1.9', '2.0', '2.2', '2.3', '3'].map((v) => affected(r, v))).toEqual([
      false,
      true,
      true,
      false,
      false,
      true,
      true,
      false,
      false,
    ]);
    expect(evaluateRange(r, '2.1', dotted).fixed).toBe('2.3');
  });

  it('unsorted events are sorted first', () => {
    const r = range({ fixed: '2.3' }, { introduced: '2.0' }, { fixed: '1.2' }, { introduced: '1.0' });
    expect(affected(r, '1.1')).toBe(true);
    expect(affected(r, '1.5')).toBe(false);
    expect(affected(r, '2.1')).toBe(true);
  });

  it('limit bounds the range from above', () => {
    const r = range({ introduced: '0' }, { limit: '2.0' });
    expect(affected(r, '1.9')).toBe(true);
    expect(affected(r, '2.0')).toBe(false);
    expect(affected(range({ introduced: '0' }, { limit: '*' }), '99')).toBe(true);
  });

  it('a range of only a fix affects nothing', () => {
    expect(affected(range({ fixed: '1.0' }), '0.5')).toBe(false);
  });

  it('reports an unreadable version in the events instead of guessing', () => {
    expect(() => evaluateRange(range({ introduced: '0' }, { fixed: 'not-a-version' }), '1', dotted)).toThrow(InvalidVersionError);
  });

  it('agrees with the schema’s reference walk on every generated case', () => {
    const versions = ['0', '0.5', '1', '1.5', '2', '2.5', '3', '3.5', '4'];
    const pool: RangeEvent[] = [
      { introduced: '0' },
      { introduced: '1' },
      { introduced: '2.5' },
      { fixed: '1.5' },
      { fixed: '3' },
      { last_affected: '2' },
      { last_affected: '3.5' },
      { limit: '3' },
    ];
    let checked = 0;
    // Every subset of up to four events, in two orders.
    for (let mask = 1; mask < 1 << pool.length; mask++) {
      const events = pool.filter((_, i) => mask & (1 << i));
      if (events.length > 4) continue;
      for (const order of [events, [...events].reverse()]) {
        for (const v of versions) {
          expect({ events: order, v, affected: affected(range(...order), v) }).toEqual({
            events: order,
            v,
            affected: reference(range(...order), v),
          });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
