import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOrderLaws, expectNoFailures, type Override, runVectors, timeAdversarial } from '../../test/comparator-laws.ts';
import { InvalidVersionError } from './comparator.ts';
import { mavenComparator } from './maven.ts';

/**
 * The 19 vector lines where real Maven (ComparableVersion, 3.8.7 checked with refcmp.sh) disagrees
 * with OSV's file (UPSTREAM-DIFFERENCES.md). Vigil follows Maven: each left side is GREATER.
 */
const MAVEN_DISAGREES: readonly string[] = [
  '1-1 = 1-ga-1',
  '1.0.0-RC16 < 1.0.0.RC8-beta',
  '1.0.0-gradle-rework-beta3 < 1.0.0.RC7-3',
  '2.9.0-1 < 2.9.0.RC1',
  '6.1.12.rc5 < 6.1.12rc1',
  '1.1.31.sec10 < 1.1.31_noneautotype',
  '1.1.34.sec10 < 1.1.34_noneautotype',
  '1.1.46.sec10 < 1.1.46_noneautotype',
  '1.2.8.sec10_noneautotype < 1.2.8_noneautotype',
  '1.2.31.sec10 < 1.2.31_noneautotype',
  '1.2.48.sec10 < 1.2.48_noneautotype',
  '1.2.50.sec10 < 1.2.50_noneautotype',
  '1.2.54.sec10 < 1.2.54_noneautotype',
  '1.2.57.sec10 < 1.2.57_noneautotype',
  '1.2.60.sec10 < 1.2.60_noneautotype',
  '1.2.67.sec10 < 1.2.67_noneautotype',
  '1.0.0rc0 < 1.0.beta8',
  '1.5.9.RC1 < 1.5.9-RC0',
  '1.1.0-01-glassfish < 1.1.0.Beta1',
];
const OVERRIDES: readonly Override[] = MAVEN_DISAGREES.map((text) => ({ text, expected: 1 }));

const c = mavenComparator;

describe('maven comparator', () => {
  it('passes every line of maven-versions.txt (Maven wins on the listed lines)', () => {
    expectNoFailures(runVectors(c, 'maven-versions.txt', OVERRIDES));
  });

  it('passes every line of maven-versions-generated.txt (Maven wins on the listed lines)', () => {
    expectNoFailures(runVectors(c, 'maven-versions-generated.txt', OVERRIDES));
  });

  it.each(MAVEN_DISAGREES)('follows real Maven, not the file, on "%s" (left side greater)', (text) => {
    const [a, , b] = text.split(' ') as [string, string, string];
    expect(c.compare(a, b)).toBe(1);
    expect(c.compare(b, a)).toBe(-1);
  });

  it('orders qualifiers alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp', () => {
    const chain = ['1-alpha', '1-beta', '1-milestone', '1-rc', '1-snapshot', '1', '1-sp', '1-foo', '1.0.1'];
    for (let i = 0; i + 1 < chain.length; i++) expect(c.compare(chain[i] as string, chain[i + 1] as string), chain[i]).toBe(-1);
    for (const same of ['1-ga', '1-final', '1-release', '1.0', '1.0.0', '1-GA', '1.ga']) expect(c.compare('1', same), same).toBe(0);
    expect(c.compare('1-cr', '1-rc')).toBe(0);
  });

  it('expands a/b/m only when a digit follows', () => {
    expect(c.compare('1a1', '1-alpha-1')).toBe(0);
    expect(c.compare('1b2', '1-beta-2')).toBe(0);
    expect(c.compare('1m3', '1-milestone-3')).toBe(0);
    expect(c.compare('1-a', '1-alpha')).toBe(1); // "a" alone is an unknown qualifier
  });

  it('compares numbers of any size (int, long, BigInteger)', () => {
    expect(c.compare('1.999999999', '1.1000000000')).toBe(-1);
    expect(c.compare('1.99999999999999999999', '1.100000000000000000000')).toBe(-1);
    expect(c.compare('1.000000000000000000000001', '1.1')).toBe(0);
  });

  it('compares a whole sub-list against a missing item (MNG-6964), as refcmp.sh fuzzing found', () => {
    expect(c.compare('Beta-release.1', 'beta')).toBe(1);
    expect(c.compare('1-0.0', '1')).toBe(0);
  });

  it('matches MNG-7644: .X1 sorts below -X2', () => {
    expect(c.compare('1.0.0.X1', '1.0.0-X2')).toBe(-1);
  });

  it('treats equivalent spellings as equal (1.0 = 1 = 1-ga = 1.0.0-final)', () => {
    const spellings = fc.constantFrom('1', '1.0', '1.0.0', '1-ga', '1.0-final', '1-release', '1.0.0-0');
    fc.assert(fc.property(spellings, spellings, (a, b) => c.compare(a, b) === 0));
  });

  // Real Maven's ComparableVersion is not transitive once `-` sublists, letter-digit transitions
  // or unknown qualifiers mix (cycles below, each pair checked against Maven with refcmp.sh). Vigil
  // follows Maven there, so the order laws are checked where Maven's order is total: versions
  // starting with a number, of numbers and known qualifiers joined by '.' (400,000 generated
  // cases found no cycle there).
  it('is a total order on dotted versions of numbers and known qualifiers (reflexive, antisymmetric, transitive)', () => {
    const part = fc.oneof(
      fc.nat({ max: 12 }).map(String),
      fc.constantFrom('alpha', 'a', 'b', 'm', 'beta', 'rc', 'cr', 'snapshot', 'ga', 'final', 'sp', 'RC'),
      fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
    );
    const version = fc
      .tuple(fc.nat({ max: 12 }), fc.array(part, { maxLength: 5 }))
      .map(([first, rest]) => [String(first), ...rest].join('.'));
    checkOrderLaws(c, version);
  });

  it.each([
    ['0.alpha', 'foo.0', 'ga'],
    ['1', '1-alpha.0', '1.foo.0'],
    ['3alpha.0', '3.m.alpha', '3'],
    ['12.b.0', '12', '12-alpha.0'],
  ])('agrees with real Maven where Maven itself is not transitive: %s > %s > %s, which is above the first', (x, y, z) => {
    expect([c.compare(x, y), c.compare(y, z), c.compare(z, x)]).toEqual([1, 1, 1]);
  });

  it('rejects only the empty string (Maven orders any other string)', () => {
    expect(() => c.compare('', '1')).toThrow(InvalidVersionError);
    expect(() => c.compare('1', '')).toThrow(/empty version/);
    expect(c.isValid('')).toBe(false);
    for (const odd of ['.', '-', 'x', ' ', '1..2', '--', 'éé']) {
      expect(c.isValid(odd)).toBe(true);
      expect(() => c.compare(odd, '1')).not.toThrow();
    }
  });

  it('handles adversarial 10k-character strings quickly', () => {
    const ms = timeAdversarial(c, ['1-', 'a1', '1a', '.', '-', '0.', '9', 'z', '1.a-']);
    expect(ms).toBeLessThan(2500); // generous: a busy 2-core CI box; quadratic would take minutes
  });
});
