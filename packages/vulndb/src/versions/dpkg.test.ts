import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedSign, readVectors } from '../../test/vectors.ts';
import { InvalidVersionError } from './comparator.ts';
import { dpkg, parseDpkgVersion, verrevcmp } from './dpkg.ts';

/** Every vector line whose answer (either way round) differs from the file, as readable lines. */
function failingLines(file: string): string[] {
  const failures: string[] = [];
  for (const v of readVectors(file)) {
    const want = expectedSign(v.op);
    try {
      const forward = dpkg.compare(v.a, v.b);
      const backward = dpkg.compare(v.b, v.a);
      if (forward !== want || backward !== -want) failures.push(`${file}:${v.line}: ${v.text} (got ${forward}, reversed ${backward})`);
    } catch (error) {
      failures.push(`${file}:${v.line}: ${v.text} threw ${String(error)}`);
    }
  }
  return failures;
}

describe('dpkg vector files', () => {
  it.each(['debian-versions.txt', 'debian-versions-generated.txt'])('%s: every line holds, both ways round', (file) => {
    expect(readVectors(file).length).toBeGreaterThan(0);
    expect(failingLines(file)).toEqual([]);
  });
});

const pick = (chars: string) => fc.constantFrom(...chars.split(''));
const chunk = (chars: string, max: number) => fc.array(pick(chars), { minLength: 1, maxLength: max }).map((c) => c.join(''));
const digitRun = fc.oneof(chunk('0123456789', 3), chunk('0', 3), chunk('9', 30), fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String));
const nonDigitRun = fc.oneof(chunk('.~+', 2), chunk('abzAZ', 3), chunk('.+~abAZ', 4));

/** Alternating digit / non-digit runs (a digit first, as upstream versions must). */
const upstreamPart = fc
  .array(fc.tuple(nonDigitRun, digitRun), { maxLength: 5 })
  .chain((pairs) => digitRun.map((first) => first + pairs.map(([s, d]) => s + d).join('')));
const revisionPart = fc.array(fc.oneof(digitRun, nonDigitRun), { minLength: 1, maxLength: 4 }).map((p) => p.join(''));

/** Realistic Debian versions: optional epoch, upstream (with ':' or '-' where allowed), optional revision. */
const debVersion = fc
  .record({
    epoch: fc.option(fc.constantFrom('0', '1', '2', '00', '10', '2147483647'), { nil: undefined }),
    upstream: upstreamPart,
    revision: fc.option(revisionPart, { nil: undefined }),
    extraHyphen: fc.boolean(),
  })
  .map(({ epoch, upstream, revision, extraHyphen }) => {
    const up = revision !== undefined && extraHyphen ? `${upstream}-${upstream}` : upstream;
    return `${epoch !== undefined ? `${epoch}:` : ''}${up}${revision !== undefined ? `-${revision}` : ''}`;
  });

/** Equal under dpkg exactly when equal here: epoch as a number; digit runs without leading zeros ("0" = ""). */
function normalise(version: string): string {
  const { epoch, upstream, revision } = parseDpkgVersion(version);
  const runs = (s: string) => s.replace(/[0-9]+/g, (d) => d.replace(/^0+/, ''));
  return `${epoch}:${runs(upstream)}-${runs(revision)}`;
}

describe('dpkg properties', () => {
  it('generated versions are valid', () => {
    fc.assert(fc.property(debVersion, (v) => dpkg.isValid(v)));
  });
  it('is reflexive', () => {
    fc.assert(fc.property(debVersion, (v) => dpkg.compare(v, v) === 0));
  });
  it('is antisymmetric', () => {
    fc.assert(fc.property(debVersion, debVersion, (a, b) => dpkg.compare(a, b) === -dpkg.compare(b, a)));
  });
  it('is transitive', () => {
    fc.assert(
      fc.property(debVersion, debVersion, debVersion, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(dpkg.compare) as [string, string, string];
        return dpkg.compare(x, y) <= 0 && dpkg.compare(y, z) <= 0 && dpkg.compare(x, z) <= 0;
      }),
    );
  });
  it('says equal exactly when the normalised forms are equal', () => {
    const similar = fc.tuple(debVersion, fc.constantFrom('', '0:', '00:'), fc.constantFrom('', '-0', '-00'), fc.boolean());
    fc.assert(
      fc.property(similar, ([v, epochPad, revPad, zeros]) => {
        // Leading zeros on every digit run, and a '0' epoch or revision where there is none.
        let twin = v.replace(/[0-9]+/g, (d) => (zeros ? `0${d}` : d));
        if (!/^[0-9]+:/.test(v)) twin = epochPad + twin;
        if (!v.includes('-')) twin += revPad;
        expect(normalise(twin)).toBe(normalise(v));
        expect(dpkg.compare(v, twin)).toBe(0);
      }),
    );
    fc.assert(fc.property(debVersion, debVersion, (a, b) => (dpkg.compare(a, b) === 0) === (normalise(a) === normalise(b))));
  });
  it('orders like the documented examples', () => {
    expect(dpkg.compare('1.0~rc1', '1.0')).toBe(-1);
    expect(dpkg.compare('1.0~~', '1.0~')).toBe(-1);
    expect(dpkg.compare('1.0a', '1.0+')).toBe(-1);
    expect(dpkg.compare('1.0', '1.0a')).toBe(-1);
    expect(dpkg.compare(`1.${'9'.repeat(40)}`, `1.1${'0'.repeat(40)}`)).toBe(-1);
    expect(dpkg.compare('1:0.1', '0:9.9')).toBe(1);
    expect(dpkg.compare('1.0-1', '1.0-1~bpo1')).toBe(1);
    expect(dpkg.compare('1:2-3-4', '1:2-3-5')).toBe(-1);
    expect(dpkg.compare('1:1.2:3', '1:1.2:3-0')).toBe(0);
    expect(verrevcmp('', '0')).toBe(0);
  });
});

describe('dpkg invalid versions', () => {
  const invalid: [string, RegExp][] = [
    ['', /version string is empty/],
    ['   ', /version string is empty/],
    ['1.0 2', /embedded spaces/],
    [':1.0', /epoch in version is empty/],
    ['a:1.0', /epoch in version is not number/],
    ['-1:1.0', /epoch in version is not number/],
    ['2147483648:1.0', /epoch in version is too big/],
    ['1:', /nothing after colon/],
    ['1.0-', /revision number is empty/],
    ['-1', /version number is empty/],
    ['1:-1', /version number is empty/],
    ['abc', /does not start with digit/],
    ['~1', /does not start with digit/],
    ['1.0_2', /invalid character in version number/],
    ['1.0é', /invalid character in version number/],
    ['1:1.0-1:2', /invalid character in revision number/],
    ['1.0-1_2', /invalid character in revision number/],
  ];
  it.each(invalid)('%j throws InvalidVersionError (%s) and isValid is false', (version, reason) => {
    expect(() => dpkg.compare(version, '1.0')).toThrow(InvalidVersionError);
    expect(() => dpkg.compare('1.0', version)).toThrow(reason);
    expect(dpkg.isValid(version)).toBe(false);
  });
  it('accepts what dpkg accepts', () => {
    for (const v of ['0', '1:2:3', '1.0-2-3', '2147483647:1', '1.0+dfsg~rc1-1ubuntu0.1', ' 1.0 ']) expect(dpkg.isValid(v)).toBe(true);
  });
});

describe('dpkg speed', () => {
  it('compares 100,000-character and adversarial versions in linear time', () => {
    const n = 100_000;
    const pairs: [string, string][] = [
      [`1${'0'.repeat(n)}`, `1${'0'.repeat(n - 1)}1`],
      [`1.${'9'.repeat(n)}`, `1.${'9'.repeat(n)}`],
      [`1${'a1'.repeat(n / 2)}`, `1${'a1'.repeat(n / 2)}b`],
      [`1${'~'.repeat(n)}`, `1${'~'.repeat(n - 1)}`],
      [`1.${'0'.repeat(n)}`, '1'],
      [`1-${'1.'.repeat(n / 2)}`, `1-${'1.'.repeat(n / 2)}1`],
    ];
    // Comparison is linear: these take milliseconds even on a cold JIT, while anything quadratic
    // would take minutes. The bounds are generous so a loaded machine does not make this flaky.
    const start = performance.now();
    for (const [a, b] of pairs) {
      dpkg.compare(a, b);
      dpkg.compare(b, a);
    }
    expect(performance.now() - start).toBeLessThan(2000);
    const tenK = pairs.map(([a, b]) => [a.slice(0, 10_000), b.slice(0, 10_000)] as const);
    const startTenK = performance.now();
    for (let k = 0; k < 200; k++) {
      const [a, b] = tenK[k % tenK.length] as readonly [string, string];
      dpkg.compare(a, b);
    }
    expect(performance.now() - startTenK).toBeLessThan(2500); // generous: a busy 2-core CI box; quadratic would take minutes
  });
});
