import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuMillis, runVectors } from '../../test/comparator-laws.ts';
import { InvalidVersionError } from './comparator.ts';
import { goComparator } from './go.ts';

const { compare, isValid } = goComparator;

/** Every failing line of a vector file, checked both ways round, so a failure lists them all. */
const vectorFailures = (file: string): string[] => runVectors(goComparator, file).failures;

// ---------------------------------------------------------------------------------------------
// Arbitraries: releases, pre-releases and the three pseudo-version forms (go.dev/ref/mod#pseudo-versions)
// ---------------------------------------------------------------------------------------------

const n = fc.integer({ min: 0, max: 20 });
const core = fc.tuple(n, n, n);
const prefix = fc.constantFrom('', 'v');
const timestamp = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 19).replace(/[-T:]/g, ''));
const commit = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 12, maxLength: 12 });

type Pseudo = { base: [number, number, number]; form: 'zero' | 'release' | 'pre'; time: string; commit: string };
const pseudo: fc.Arbitrary<Pseudo> = fc.record({ base: core, form: fc.constantFrom('zero', 'release', 'pre'), time: timestamp, commit });

/**
 * `vX.0.0-yyyymmddhhmmss-abcdef123456` (no earlier tag), `vX.Y.(Z+1)-0.yyyymmddhhmmss-…` (after
 * release vX.Y.Z), `vX.Y.Z-pre.0.yyyymmddhhmmss-…` (after pre-release vX.Y.Z-pre).
 */
function renderPseudo(p: Pseudo, v = 'v'): string {
  const [x, y, z] = p.base;
  if (p.form === 'zero') return `${v}${x}.0.0-${p.time}-${p.commit}`;
  if (p.form === 'release') return `${v}${x}.${y}.${z + 1}-0.${p.time}-${p.commit}`;
  return `${v}${x}.${y}.${z}-pre.0.${p.time}-${p.commit}`;
}

const release = fc.tuple(prefix, core).map(([v, c]) => `${v}${c.join('.')}`);
const prerelease = fc
  .tuple(prefix, core, fc.constantFrom('alpha', 'beta.1', 'rc.2', '0', 'pre'))
  .map(([v, c, pre]) => `${v}${c.join('.')}-${pre}`);
const goVersion = fc.oneof(
  release,
  prerelease,
  fc.tuple(pseudo, prefix).map(([p, v]) => renderPseudo(p, v)),
  release.map((r) => `${r}+incompatible`),
);

// ---------------------------------------------------------------------------------------------

describe('goComparator (Go)', () => {
  it('serves Go', () => {
    expect(goComparator.ecosystems).toEqual(['Go']);
  });

  it('passes every line of semver-versions.txt, and compare(b, a) is the opposite sign', () => {
    expect(vectorFailures('semver-versions.txt')).toEqual([]);
  });

  describe('x/mod/semver rules with OSV conventions', () => {
    it.each([
      ['1.22.0-0', 'v1.22.0-0', 0], // OSV writes Go versions without the v
      ['1.22.0-0', '1.21.99', 1],
      ['1.22.0-0', '1.22.0', -1],
      ['v2.0.0+incompatible', 'v2.0.0', 0],
      ['v2.1.0+incompatible', 'v2.0.0+incompatible', 1],
      ['v1', 'v1.0.0', 0],
      ['v1.2', 'v1.2.0', 0],
      ['v0.0.0-20191109021931-daa7c04131f5', 'v0.0.0-20191109021932-000000000000', -1],
      ['v0.0.0-20191109021931-daa7c04131f5', 'v0.0.1', -1],
      ['v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.3', 1],
      ['v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.4-rc.1', -1],
      ['v1.2.3-pre.0.20191109021931-daa7c04131f5', 'v1.2.3-pre', 1],
      ['v1.2.3-pre.0.20191109021931-daa7c04131f5', 'v1.2.3', -1],
    ] as const)('%s vs %s is %i', (a, b, expected) => {
      expect(compare(a, b)).toBe(expected);
      expect(compare(b, a)).toBe(-expected || 0);
    });
  });

  describe('properties', () => {
    it('orders pseudo-versions of the same base by their timestamp', () => {
      fc.assert(
        fc.property(pseudo, timestamp, commit, (p, time, hash) => {
          fc.pre(p.time !== time);
          return compare(renderPseudo(p), renderPseudo({ ...p, time, commit: hash })) === (p.time < time ? -1 : 1);
        }),
      );
    });

    it('puts a pseudo-version between its base and the next release', () => {
      fc.assert(
        fc.property(pseudo, (p) => {
          const [x, y, z] = p.base;
          const version = renderPseudo(p);
          if (p.form === 'zero') return compare(`v${x}.0.0-0`, version) === -1 && compare(version, `v${x}.0.0`) === -1;
          if (p.form === 'release') return compare(`v${x}.${y}.${z}`, version) === -1 && compare(version, `v${x}.${y}.${z + 1}`) === -1;
          return compare(`v${x}.${y}.${z}-pre`, version) === -1 && compare(version, `v${x}.${y}.${z}`) === -1;
        }),
      );
    });

    it('treats the v prefix as optional and ignores +incompatible', () => {
      fc.assert(fc.property(core, (c) => compare(c.join('.'), `v${c.join('.')}+incompatible`) === 0));
    });

    it('is reflexive and antisymmetric', () => {
      fc.assert(fc.property(goVersion, goVersion, (a, b) => compare(a, a) === 0 && compare(a, b) === -compare(b, a) + 0));
    });

    it('is transitive', () => {
      fc.assert(
        fc.property(goVersion, goVersion, goVersion, (a, b, c) => {
          const [x, y, z] = [a, b, c].sort(compare) as [string, string, string];
          return compare(x, y) <= 0 && compare(y, z) <= 0 && compare(x, z) <= 0;
        }),
      );
    });
  });

  describe('invalid versions', () => {
    it.each([
      ['', /empty version/],
      ['V1.2.3', /expected the major number/],
      ['v01.2.3', /major number 01 has a leading zero/],
      ['v1.2.3-', /empty pre-release identifier/],
      ['v1.2.3-rc.01', /pre-release identifier 01 has a leading zero/],
      ['v1.2-pre', /a vMAJOR.MINOR shorthand takes no suffix/],
      ['v1-pre', /expected "." after the major number/],
      ['v1.2.3+', /empty build identifier/],
      ['v1.2.3+inc_ompatible', /not allowed in a build identifier/],
      ['master', /expected the major number/],
      ['v1.2.3 ', /unexpected " "/],
    ])('%j throws InvalidVersionError', (version, reason) => {
      expect(isValid(version)).toBe(false);
      expect(() => compare(version, 'v1.0.0')).toThrow(InvalidVersionError);
      expect(() => compare('v1.0.0', version)).toThrow(reason);
    });

    it('isValid accepts valid versions', () => {
      expect(['v1.0.0', '1.0.0', 'v1', 'v2.3.4+incompatible', 'v0.0.0-20191109021931-daa7c04131f5'].every(isValid)).toBe(true);
    });
  });

  it('stays linear on adversarial 10k-character strings', () => {
    const size = 10_000;
    const inputs = [
      `v${'1'.repeat(size)}`,
      `v1.0.0-${'0.'.repeat(size / 2 - 1)}0`,
      `v1.0.0-${'a-'.repeat(size / 2)}`,
      `v1.0.0-${'a.'.repeat(size / 2)}`,
      `v1.0.0+${'incompatible.'.repeat(size / 13)}x`,
      `v1.0.0${'.0'.repeat(size / 2)}`,
      `v${'1.'.repeat(size / 2)}`,
      'v'.repeat(size),
    ];
    const run = (): void => {
      for (let i = 0; i < 200; i++) {
        try {
          compare(inputs[i % inputs.length] as string, inputs[(i * 5 + 3) % inputs.length] as string);
        } catch (error) {
          if (!(error instanceof InvalidVersionError)) throw error;
        }
      }
    };
    expect(cpuMillis(run)).toBeLessThan(2500); // generous: a busy 2-core CI box; quadratic would take minutes
  });
});
