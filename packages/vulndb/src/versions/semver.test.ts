import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuMillis, runVectors } from '../../test/comparator-laws.ts';
import { InvalidVersionError } from './comparator.ts';
import { semverComparator } from './semver.ts';

const { compare, isValid } = semverComparator;

// ---------------------------------------------------------------------------------------------
// Arbitraries and an independent model of SemVer precedence (BigInt arithmetic)
// ---------------------------------------------------------------------------------------------

interface Structured {
  core: [bigint, bigint, bigint];
  pre: (bigint | string)[];
  build: string[];
}

const ALNUM = [...'0123456789abcxyzABCXYZ-'];
const number = fc.oneof(fc.bigInt({ min: 0n, max: 20n }), fc.bigInt({ min: 0n, max: 10n ** 30n }));
const alphanumeric = fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 1, maxLength: 5 }).filter((s) => !/^[0-9]+$/.test(s));
const structured: fc.Arbitrary<Structured> = fc.record({
  core: fc.tuple(number, number, number),
  pre: fc.array(fc.oneof(fc.bigInt({ min: 0n, max: 12n }), alphanumeric), { maxLength: 3 }),
  build: fc.array(fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 1, maxLength: 5 }), { maxLength: 2 }),
});

function render(v: Structured, prefix = ''): string {
  const pre = v.pre.length ? `-${v.pre.join('.')}` : '';
  const build = v.build.length ? `+${v.build.join('.')}` : '';
  return `${prefix}${v.core.join('.')}${pre}${build}`;
}

/** semver.org rule 11, written straight from the spec text. */
function modelCompare(a: Structured, b: Structured): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return (a.core[i] as bigint) < (b.core[i] as bigint) ? -1 : 1;
  // A version without a pre-release ranks above one with.
  if (!a.pre.length || !b.pre.length) return Math.sign(b.pre.length - a.pre.length);
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const [x, y] = [a.pre[i], b.pre[i]];
    if (x === y) continue;
    if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : 1;
    if (typeof x === 'bigint') return -1;
    if (typeof y === 'bigint') return 1;
    return (x as string) < (y as string) ? -1 : 1;
  }
  return Math.sign(a.pre.length - b.pre.length);
}

const version = structured.map((v) => render(v));

// ---------------------------------------------------------------------------------------------

describe('semverComparator (npm, crates.io, Hex)', () => {
  it('serves the ecosystems the semver vector file is for', () => {
    expect(semverComparator.ecosystems).toEqual(['npm', 'crates.io', 'Hex']);
  });

  it('passes every line of semver-versions.txt, and compare(b, a) is the opposite sign', () => {
    expect(runVectors(semverComparator, 'semver-versions.txt').failures).toEqual([]);
  });

  describe('SemVer rules', () => {
    it.each([
      ['1.0.0-alpha', '1.0.0-alpha.1', -1],
      ['1.0.0-alpha.1', '1.0.0-alpha.beta', -1], // numeric below alphanumeric
      ['1.0.0-beta.2', '1.0.0-beta.11', -1], // numeric identifiers as integers
      ['1.0.0-rc.1', '1.0.0', -1],
      ['1.0.0-B', '1.0.0-a', -1], // ASCII order
      ['1.0.0+build.1', '1.0.0+build.2', 0],
      ['v1.0.0', '1.0.0', 0],
      ['1.2.3-0.0', '1.2.3-0', 1],
      ['1.1.3.4.5', '1.1.3', 0], // extra components are ignored, as OSV reads them
      ['1.1.3.4-beta', '1.1.3-beta', 0],
      ['1', '1.0.0', 0],
      ['1.2', '1.2.0', 0],
      ['123456789012345678901234567890.0.0', '123456789012345678901234567889.9.9', 1],
      ['1.0.0-123456789012345678901234567890', '1.0.0-123456789012345678901234567889', 1],
    ] as const)('%s vs %s is %i', (a, b, expected) => {
      expect(compare(a, b)).toBe(expected);
      expect(compare(b, a)).toBe(-expected || 0);
    });
  });

  describe('properties', () => {
    it('agrees with the SemVer 2.0.0 precedence rules (BigInt model)', () => {
      fc.assert(fc.property(structured, structured, (a, b) => compare(render(a), render(b)) === modelCompare(a, b)));
    });

    it('ignores build metadata and a leading v', () => {
      fc.assert(
        fc.property(structured, fc.array(alphanumeric, { minLength: 1, maxLength: 2 }), (v, build) => {
          return compare(render(v), render({ ...v, build }, 'v')) === 0;
        }),
      );
    });

    it('is reflexive and antisymmetric', () => {
      fc.assert(fc.property(version, version, (a, b) => compare(a, a) === 0 && compare(a, b) === -compare(b, a) + 0));
    });

    it('is transitive', () => {
      fc.assert(
        fc.property(version, version, version, (a, b, c) => {
          const [x, y, z] = [a, b, c].sort(compare) as [string, string, string];
          return compare(x, y) <= 0 && compare(y, z) <= 0 && compare(x, z) <= 0;
        }),
      );
    });

    it('puts a pre-release below its release', () => {
      fc.assert(fc.property(structured, (v) => v.pre.length === 0 || compare(render(v), render({ ...v, pre: [], build: [] })) === -1));
    });
  });

  describe('invalid versions', () => {
    it.each([
      ['', /empty version/],
      ['1.2.3-', /empty pre-release identifier/],
      ['1.2.3+', /empty build identifier/],
      ['1.2.3-a..b', /empty pre-release identifier/],
      ['01.2.3', /major number 01 has a leading zero/],
      ['1.02.3', /minor number 02 has a leading zero/],
      ['1.2.3-01', /pre-release identifier 01 has a leading zero/],
      ['1.2.3-ä', /not allowed in a pre-release identifier/],
      ['1.2.3 ', /unexpected " "/],
      ['1.2-beta', /found "-" after the minor number/],
      ['a.b.c', /expected the major number/],
      ['1..3', /expected the minor number/],
      ['=1.2.3', /expected the major number/],
      ['latest', /expected the major number/],
    ])('%j throws InvalidVersionError', (version, reason) => {
      expect(isValid(version)).toBe(false);
      expect(() => compare(version, '1.0.0')).toThrow(InvalidVersionError);
      expect(() => compare('1.0.0', version)).toThrow(reason);
    });

    it('isValid accepts valid versions', () => {
      expect(['1.0.0', 'v1.0.0-rc.1+build.5', '1.2.3-0a.00a', '1.2.3+001'].every(isValid)).toBe(true);
    });
  });

  it('stays linear on adversarial 10k-character strings', () => {
    const n = 10_000;
    const inputs = [
      '1'.repeat(n),
      `1.0.0-${'a.'.repeat(n / 2 - 1)}a`,
      `1.0.0-${'1.'.repeat(n / 2 - 1)}1`,
      `1.0.0-${'a.'.repeat(n / 2)}`,
      `1.0.0+${'-'.repeat(n)}`,
      `1.0.0${'.1'.repeat(n / 2)}`,
      `${'1.'.repeat(n / 2)}`,
      `v${'0'.repeat(n)}`,
      `1.0.0-${'a'.repeat(n)}!`,
    ];
    const run = (): void => {
      for (let i = 0; i < 200; i++) {
        try {
          compare(inputs[i % inputs.length] as string, inputs[(i * 7 + 3) % inputs.length] as string);
        } catch (error) {
          if (!(error instanceof InvalidVersionError)) throw error;
        }
      }
    };
    expect(cpuMillis(run)).toBeLessThan(2500); // generous: a busy 2-core CI box; quadratic would take minutes
  });
});
