import { describe, expect, it } from 'vitest';
import {
  type AdvisoryProblem,
  AdvisorySourceError,
  HOSTILE_KEYS,
  isPlainObject,
  MAX_PROBLEMS_PER_DOCUMENT,
  ProblemGate,
  ProblemList,
  quote,
  UNKNOWN_MODIFIED,
} from './model.ts';

describe('advisories model', () => {
  it('AdvisorySourceError names the file and the reason', () => {
    const error = new AdvisorySourceError('all.zip', 'not a ZIP archive or truncated: x');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('AdvisorySourceError');
    expect(error.message).toBe('all.zip: not a ZIP archive or truncated: x');
    expect([error.file, error.reason]).toEqual(['all.zip', 'not a ZIP archive or truncated: x']);
  });

  it('ProblemList keeps the first problems and counts the rest in one note', () => {
    const list = new ProblemList('f.json', 2);
    for (const n of [1, 2, 3, 4]) list.add(`ID-${n}`, `r${n}`);
    expect(list.done()).toEqual([
      { origin: 'f.json', recordId: 'ID-1', reason: 'r1' },
      { origin: 'f.json', recordId: 'ID-2', reason: 'r2' },
      { origin: 'f.json', recordId: null, reason: '2 further problems not shown' },
    ]);
    const small = new ProblemList('g');
    small.add(null, 'only');
    expect(small.done()).toHaveLength(1);
    expect(MAX_PROBLEMS_PER_DOCUMENT).toBe(200);
  });

  it('ProblemGate forwards up to the cap, then one closing note on finish', () => {
    const got: AdvisoryProblem[] = [];
    const gate = new ProblemGate((p) => got.push(p), 'a.zip', 2);
    for (const n of [1, 2, 3]) gate.add({ origin: `a.zip!${n}.json`, recordId: null, reason: 'r' });
    expect(got.map((p) => p.origin)).toEqual(['a.zip!1.json', 'a.zip!2.json']);
    gate.finish();
    expect(got[2]).toEqual({ origin: 'a.zip', recordId: null, reason: '1 further problems not shown' });
    gate.finish();
    expect(got).toHaveLength(3);
  });

  it('helpers', () => {
    expect(UNKNOWN_MODIFIED).toBe('1970-01-01T00:00:00Z');
    expect(HOSTILE_KEYS.has('__proto__')).toBe(true);
    expect([isPlainObject({}), isPlainObject([]), isPlainObject(null), isPlainObject('x')]).toEqual([true, false, false, false]);
    expect(quote('abc')).toBe('"abc"');
    expect(quote('x'.repeat(100), 5)).toBe('"xxxxx…"');
  });
});
