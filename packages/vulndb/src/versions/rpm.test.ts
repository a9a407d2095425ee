import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedSign, readVectors } from '../../test/vectors.ts';
import { InvalidVersionError } from './comparator.ts';
import { parseEvr, rpm, rpmvercmp } from './rpm.ts';

/** Every vector line whose answer (either way round) differs from the file, as readable lines. */
function failingLines(file: string): string[] {
  const failures: string[] = [];
  for (const v of readVectors(file)) {
    const want = expectedSign(v.op);
    try {
      const forward = rpm.compare(v.a, v.b);
      const backward = rpm.compare(v.b, v.a);
      if (forward !== want || backward !== -want) failures.push(`${file}:${v.line}: ${v.text} (got ${forward}, reversed ${backward})`);
    } catch (error) {
      failures.push(`${file}:${v.line}: ${v.text} threw ${String(error)}`);
    }
  }
  return failures;
}

describe('rpm vector files', () => {
  it('redhat-versions.txt: every line holds, both ways round', () => {
    expect(readVectors('redhat-versions.txt').length).toBeGreaterThan(0);
    expect(failingLines('redhat-versions.txt')).toEqual([]);
  });
  it('follows the file where rpm rejects the string (UPSTREAM-DIFFERENCES: +2-: > +1-:)', () => {
    expect(rpm.compare('+2-:', '+1-:')).toBe(1);
    expect(parseEvr('+2-:')).toEqual({ epoch: '0', version: '+2', release: ':' });
  });
});

const pick = (chars: string) => fc.constantFrom(...chars.split(''));
const chunk = (chars: string, max: number) => fc.array(pick(chars), { minLength: 1, maxLength: max }).map((c) => c.join(''));
const digits = fc.oneof(chunk('0123456789', 3), chunk('0', 3), chunk('9', 30), fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String));
const letters = fc.oneof(chunk('abzAZ', 3), fc.constantFrom('el', 'fc', 'git', 'rc', 'module', 'ael'));
const separator = fc.oneof(pick('._+'), chunk('._+', 3));
const segment = fc.oneof(
  { weight: 4, arbitrary: digits },
  { weight: 3, arbitrary: letters },
  { weight: 1, arbitrary: pick('~^') },
  { weight: 2, arbitrary: separator },
);
/** A version or release field: starts with a digit mostly, then any mix of segments, '~', '^' and separators. */
const field = fc
  .tuple(fc.oneof({ weight: 4, arbitrary: digits }, { weight: 1, arbitrary: segment }), fc.array(segment, { maxLength: 6 }))
  .map(([first, rest]) => first + rest.join(''))
  .filter((s) => s !== '');

/** Realistic EVR strings: optional epoch (leading zeros too), version, optional release. */
const evr = fc
  .record({
    epoch: fc.option(fc.constantFrom('', '0', '1', '2', '01', '10'), { nil: undefined }),
    version: field,
    release: fc.option(fc.oneof(field, fc.constant('')), { nil: undefined }),
  })
  .map(({ epoch, version, release }) => `${epoch !== undefined ? `${epoch}:` : ''}${version}${release !== undefined ? `-${release}` : ''}`)
  .filter((v) => rpm.isValid(v));

/** rpmvercmp's view of a field: its tokens ('~', '^', digit runs without zeros, letter runs), separators dropped. */
function tokens(field: string): string {
  return (field.match(/~|\^|[0-9]+|[A-Za-z]+/g) ?? []).map((t) => (/^[0-9]/.test(t) ? `#${t.replace(/^0+/, '')}` : t)).join(' ');
}
function normalise(version: string): string {
  const { epoch, version: v, release } = parseEvr(version);
  return `${tokens(epoch)}|${tokens(v)}|${release === undefined ? 'none' : tokens(release)}`;
}

describe('rpm properties', () => {
  it('is reflexive', () => {
    fc.assert(fc.property(evr, (v) => rpm.compare(v, v) === 0));
  });
  it('is antisymmetric', () => {
    fc.assert(fc.property(evr, evr, (a, b) => rpm.compare(a, b) === -rpm.compare(b, a)));
  });
  it('is transitive', () => {
    fc.assert(
      fc.property(evr, evr, evr, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(rpm.compare) as [string, string, string];
        return rpm.compare(x, y) <= 0 && rpm.compare(y, z) <= 0 && rpm.compare(x, z) <= 0;
      }),
    );
  });
  it('says equal exactly when the token lists are equal', () => {
    fc.assert(fc.property(evr, evr, (a, b) => (rpm.compare(a, b) === 0) === (normalise(a) === normalise(b))));
    const twin = (v: string) => v.replace(/[0-9]+/g, (d) => `0${d}`).replace(/\./g, '_');
    fc.assert(fc.property(evr, (v) => rpm.compare(v, twin(v)) === 0 && normalise(v) === normalise(twin(v))));
  });
  it('orders tilde, caret, letters and numbers as rpm documents', () => {
    expect(rpmvercmp('1.0~rc1', '1.0')).toBe(-1);
    expect(rpmvercmp('1.0^git1', '1.0')).toBe(1);
    expect(rpmvercmp('1.0^git1', '1.0.1')).toBe(-1);
    expect(rpmvercmp('1.0^git1', '1.0~rc1')).toBe(1);
    expect(rpmvercmp('1.a', '1.1')).toBe(-1);
    expect(rpmvercmp('1.001', '1.1')).toBe(0);
    expect(rpmvercmp(`1.${'9'.repeat(40)}`, `1.1${'0'.repeat(40)}`)).toBe(-1);
    expect(rpm.compare('1:1.0', '2.0')).toBe(1);
    expect(rpm.compare('1.0', '0:1.0')).toBe(0);
    expect(rpm.compare('1.0-1-2', '1.0-1-10')).toBe(-1);
  });
});

describe('rpm invalid versions', () => {
  const invalid: [string, RegExp][] = [
    ['', /version string is empty/],
    ['1.0 1', /whitespace/],
    ['1.0\t', /whitespace/],
    ['1.0\u0000', /control/],
    ['-1', /version part .* is empty/],
    ['1:', /version part .* is empty/],
    [':-1', /version part .* is empty/],
  ];
  it.each(invalid)('%j throws InvalidVersionError (%s) and isValid is false', (version, reason) => {
    expect(() => rpm.compare(version, '1.0')).toThrow(InvalidVersionError);
    expect(() => rpm.compare('1.0', version)).toThrow(reason);
    expect(rpm.isValid(version)).toBe(false);
  });
  it('accepts odd strings the vector file orders', () => {
    for (const v of ['1-', 'a:1', '1.1.α', '+2-:', '0:3.10.0-229.1.2.ael7b', '1.0^git1~pre']) expect(rpm.isValid(v)).toBe(true);
  });
});

describe('rpm speed', () => {
  it('compares 100,000-character and adversarial versions in linear time', () => {
    const n = 100_000;
    const pairs: [string, string][] = [
      [`1${'0'.repeat(n)}`, `1${'0'.repeat(n - 1)}1`],
      [`0${'0'.repeat(n)}1`, '1'],
      [`1${'a1'.repeat(n / 2)}`, `1${'a1'.repeat(n / 2)}b`],
      [`1${'~'.repeat(n)}`, `1${'~'.repeat(n - 1)}`],
      [`1${'^'.repeat(n)}`, `1${'^'.repeat(n - 1)}a`],
      [`1${'.'.repeat(n)}`, `1${'.'.repeat(n)}1`],
      [`1-${'-'.repeat(n)}`, `1-${'_.'.repeat(n / 2)}`],
    ];
    // Comparison is linear: these take milliseconds even on a cold JIT, while anything quadratic
    // would take minutes. The bounds are generous so a loaded machine does not make this flaky.
    const start = performance.now();
    for (const [a, b] of pairs) {
      rpm.compare(a, b);
      rpm.compare(b, a);
    }
    expect(performance.now() - start).toBeLessThan(2000);
    const tenK = pairs.map(([a, b]) => [a.slice(0, 10_000), b.slice(0, 10_000)] as const);
    const startTenK = performance.now();
    for (let k = 0; k < 200; k++) {
      const [a, b] = tenK[k % tenK.length] as readonly [string, string];
      rpm.compare(a, b);
    }
    expect(performance.now() - startTenK).toBeLessThan(2500); // generous: a busy 2-core CI box; quadratic would take minutes
  });
});
