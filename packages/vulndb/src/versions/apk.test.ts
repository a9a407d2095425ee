import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedSign, readVectors } from '../../test/vectors.ts';
import { apk, parseApkVersion } from './apk.ts';
import { InvalidVersionError } from './comparator.ts';

/** Every vector line whose answer (either way round) differs from the file, as readable lines. */
function failingLines(file: string): string[] {
  const failures: string[] = [];
  for (const v of readVectors(file)) {
    const want = expectedSign(v.op);
    try {
      const forward = apk.compare(v.a, v.b);
      const backward = apk.compare(v.b, v.a);
      if (forward !== want || backward !== -want) failures.push(`${file}:${v.line}: ${v.text} (got ${forward}, reversed ${backward})`);
    } catch (error) {
      failures.push(`${file}:${v.line}: ${v.text} threw ${String(error)}`);
    }
  }
  return failures;
}

describe('apk vector file', () => {
  it('alpine-versions.txt: every line holds, both ways round', () => {
    expect(readVectors('alpine-versions.txt').length).toBeGreaterThan(0);
    expect(failingLines('alpine-versions.txt')).toEqual([]);
  });
});

const digitRun = fc.oneof(
  fc.integer({ min: 0, max: 30 }).map(String),
  fc.constantFrom('0', '00', '01', '007', '10', '99'),
  fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
);
const suffix = fc
  .tuple(fc.constantFrom('alpha', 'beta', 'pre', 'rc', 'cvs', 'svn', 'git', 'hg', 'p'), fc.option(digitRun, { nil: '' }))
  .map(([name, n]) => `_${name}${n}`);

/** Valid apk versions: number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}. */
const apkVersion = fc
  .record({
    numbers: fc.array(digitRun, { minLength: 1, maxLength: 5 }),
    letter: fc.option(fc.constantFrom('a', 'b', 'p', 'z'), { nil: '' }),
    suffixes: fc.array(suffix, { maxLength: 3 }),
    hash: fc.option(fc.constantFrom('~0', '~abc123', '~deadbeef'), { nil: '' }),
    revision: fc.option(
      digitRun.map((r) => `-r${r}`),
      { nil: '' },
    ),
  })
  .map(({ numbers, letter, suffixes, hash, revision }) => `${numbers.join('.')}${letter}${suffixes.join('')}${hash}${revision}`);

describe('apk properties', () => {
  it('generated versions parse as valid apk versions', () => {
    fc.assert(fc.property(apkVersion, (v) => apk.isValid(v) && !parseApkVersion(v).invalid));
  });
  it('is reflexive', () => {
    fc.assert(fc.property(apkVersion, (v) => apk.compare(v, v) === 0));
  });
  it('is antisymmetric', () => {
    fc.assert(fc.property(apkVersion, apkVersion, (a, b) => apk.compare(a, b) === -apk.compare(b, a)));
  });
  it('is transitive', () => {
    fc.assert(
      fc.property(apkVersion, apkVersion, apkVersion, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(apk.compare) as [string, string, string];
        return apk.compare(x, y) <= 0 && apk.compare(y, z) <= 0 && apk.compare(x, z) <= 0;
      }),
    );
  });
  it('treats equivalent spellings as equal (no -r = -r0, hash ignored, _rc = _rc0, r01 = r1)', () => {
    const base = fc
      .tuple(fc.array(digitRun, { minLength: 1, maxLength: 4 }), fc.array(suffix, { maxLength: 2 }))
      .map(([n, s]) => `${n.join('.')}${s.join('')}`);
    fc.assert(
      fc.property(base, fc.integer({ min: 0, max: 99 }), (v, r) => {
        expect(apk.compare(v, `${v}-r0`)).toBe(0);
        expect(apk.compare(`${v}-r${r}`, `${v}~cafe-r0${r}`)).toBe(0);
        expect(
          apk.compare(
            v.replace(/_([a-z]+)(?![a-z0-9])/g, (_match, name: string) => `_${name}0`),
            v,
          ),
        ).toBe(0);
      }),
    );
  });
  it('orders suffixes, letters and revisions as apk documents', () => {
    const ascending = [
      '1.2_alpha',
      '1.2_alpha2',
      '1.2_beta',
      '1.2_pre1',
      '1.2_rc1',
      '1.2',
      '1.2-r1',
      '1.2_cvs1',
      '1.2_svn',
      '1.2_git1',
      '1.2_hg1',
      '1.2_p1',
      '1.2a',
      '1.2b',
      '1.2.0',
      '1.10',
    ];
    for (let k = 1; k < ascending.length; k++)
      expect(apk.compare(ascending[k - 1] ?? '', ascending[k] ?? ''), `${ascending[k - 1]} < ${ascending[k]}`).toBe(-1);
    expect(apk.compare('1.02', '1.1')).toBe(-1);
    expect(apk.compare(`1.${'9'.repeat(40)}`, `1.1${'0'.repeat(40)}`)).toBe(-1);
  });
});

describe('apk invalid versions', () => {
  const invalid: [string, RegExp][] = [
    ['', /version string is empty/],
    [' ', /whitespace/],
    ['1.0 -r1', /whitespace/],
    ['1.0\n', /whitespace/],
    ['1.0\u0007', /control/],
  ];
  it.each(invalid)('%j throws InvalidVersionError (%s) and isValid is false', (version, reason) => {
    expect(() => apk.compare(version, '1.0')).toThrow(InvalidVersionError);
    expect(() => apk.compare('1.0', version)).toThrow(reason);
    expect(apk.isValid(version)).toBe(false);
  });
  it('orders (does not throw for) strings apk calls invalid but the vector file orders', () => {
    for (const v of ['1.2.0A', '1.2_blah', '.1', 'a', '1-ruff', '1-r-1', '23_foo']) expect(apk.isValid(v)).toBe(true);
    expect(parseApkVersion('1.2_blah').invalid).toBe(true);
    expect(apk.compare('1.2', '1.2_blah')).toBe(1);
    expect(apk.compare('a', 'b')).toBe(-1);
  });
});

describe('apk speed', () => {
  it('compares 100,000-character and adversarial versions in linear time', () => {
    const n = 100_000;
    const pairs: [string, string][] = [
      [`1${'0'.repeat(n)}`, `1${'0'.repeat(n - 1)}1`],
      [`${'1.'.repeat(n / 2)}1`, `${'1.'.repeat(n / 2)}2`],
      [`1${'_rc1'.repeat(n / 4)}`, `1${'_rc1'.repeat(n / 4)}_p`],
      [`1${'_'.repeat(n)}x`, `1${'_'.repeat(n)}y`],
      [`1.0~${'a'.repeat(n)}-r1`, '1.0-r2'],
      [`1-r${'9'.repeat(n)}`, `1-r${'9'.repeat(n)}!`],
      ['1'.repeat(n), `${'1'.repeat(n)}.`],
    ];
    // Comparison is linear: these take milliseconds even on a cold JIT, while anything quadratic
    // would take minutes. The bounds are generous so a loaded machine does not make this flaky.
    const start = performance.now();
    for (const [a, b] of pairs) {
      apk.compare(a, b);
      apk.compare(b, a);
    }
    expect(performance.now() - start).toBeLessThan(2000);
    const tenK = pairs.map(([a, b]) => [a.slice(0, 10_000), b.slice(0, 10_000)] as const);
    const startTenK = performance.now();
    for (let k = 0; k < 200; k++) {
      const [a, b] = tenK[k % tenK.length] as readonly [string, string];
      apk.compare(a, b);
    }
    expect(performance.now() - startTenK).toBeLessThan(2500); // generous: a busy 2-core CI box; quadratic would take minutes
  });
});
