import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuMillis, runVectors } from '../../test/comparator-laws.ts';
import { InvalidVersionError } from './comparator.ts';
import { isLegacy, pep440Comparator } from './pep440.ts';

const { compare, isValid } = pep440Comparator;

/** Every failing line of a vector file, checked both ways round, so a failure lists them all. */
const vectorFailures = (file: string): string[] => runVectors(pep440Comparator, file).failures;

// ---------------------------------------------------------------------------------------------
// Arbitraries: a structured PEP 440 version and random spellings of it
// ---------------------------------------------------------------------------------------------

interface Structured {
  epoch: number;
  release: number[];
  pre: { label: 'a' | 'b' | 'rc'; n: number } | undefined;
  post: number | undefined;
  dev: number | undefined;
  local: (number | string)[] | undefined;
}

const small = fc.integer({ min: 0, max: 12 });
const structured: fc.Arbitrary<Structured> = fc.record({
  epoch: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }) }),
  release: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
  pre: fc.option(fc.record({ label: fc.constantFrom('a' as const, 'b' as const, 'rc' as const), n: small }), { nil: undefined }),
  post: fc.option(small, { nil: undefined }),
  dev: fc.option(small, { nil: undefined }),
  local: fc.option(fc.array(fc.oneof(small, fc.constantFrom('abc', 'ubuntu', 'x', 'z9')), { minLength: 1, maxLength: 3 }), {
    nil: undefined,
  }),
});

const SPELLINGS = { a: ['a', 'alpha', 'A', 'Alpha'], b: ['b', 'beta', 'B', 'BETA'], rc: ['rc', 'c', 'pre', 'preview', 'RC', 'Pre'] };

/** One of the many spellings packaging normalises to the same version. */
function spell(v: Structured): fc.Arbitrary<string> {
  const sep = fc.constantFrom('', '.', '-', '_');
  const num = (n: number) => fc.constantFrom(String(n), `0${n}`);
  const optionalNum = (n: number) => (n === 0 ? fc.constantFrom('', '0', '00') : num(n));
  return fc
    .record({
      space: fc.constantFrom('', ' ', '\t', '\n'),
      v: fc.constantFrom('', 'v', 'V'),
      epoch: v.epoch === 0 ? fc.constantFrom('', '0!') : num(v.epoch).map((e) => `${e}!`),
      release: fc.tuple(...v.release.map(num)).map((parts) => parts.join('.')),
      padding: fc.constantFrom('', '.0', '.0.0'),
      pre: v.pre
        ? fc.tuple(sep, fc.constantFrom(...SPELLINGS[v.pre.label]), sep, optionalNum(v.pre.n)).map((p) => p.join(''))
        : fc.constant(''),
      post:
        v.post === undefined
          ? fc.constant({ text: '', implicit: false })
          : fc.oneof(
              fc
                .tuple(sep, fc.constantFrom('post', 'rev', 'r', 'POST'), sep, optionalNum(v.post))
                .map((p) => ({ text: p.join(''), implicit: false })),
              num(v.post).map((n) => ({ text: `-${n}`, implicit: true })),
            ),
      dev:
        v.dev === undefined
          ? fc.constant('')
          : fc.tuple(sep, fc.constantFrom('dev', 'DEV'), sep, optionalNum(v.dev)).map((p) => p.join('')),
      localSeps: fc.array(fc.constantFrom('.', '-', '_'), { minLength: 3, maxLength: 3 }),
      upper: fc.boolean(),
    })
    .map((p) => {
      // The implicit `-N` straight after a pre-release label would be read as its number
      // (`1.0a-1` is 1.0a1), so that spelling needs the pre-release number written out.
      const pre = v.pre && p.post.implicit ? `${p.pre.replace(/[0-9]*$/, '')}${v.pre.n}` : p.pre;
      const local = v.local
        ?.map((s) => (p.upper ? String(s).toUpperCase() : String(s)))
        .reduce((acc, s, i) => `${acc}${p.localSeps[i - 1] ?? ''}${s}`);
      return `${p.space}${p.v}${p.epoch}${p.release}${p.padding}${pre}${p.post.text}${p.dev}${local === undefined ? '' : `+${local}`}${p.space}`;
    });
}

/** An independent model of `_cmpkey`, with numbers and ±Infinity as packaging itself uses. */
function modelKey(v: Structured): (number | number[] | (number | string)[][])[] {
  const release = [...v.release];
  while (release.at(-1) === 0) release.pop();
  const preRank = { a: 0, b: 1, rc: 2 };
  const pre = v.pre ? [preRank[v.pre.label], v.pre.n] : v.post === undefined && v.dev !== undefined ? [-Infinity] : [Infinity];
  const local = v.local ? v.local.map((s) => (typeof s === 'number' ? [s, ''] : [-Infinity, s])) : [[-Infinity]];
  return [v.epoch, release, pre, v.post ?? -Infinity, v.dev ?? Infinity, local];
}

function compareModel(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareModel(a[i], b[i]);
      if (c !== 0) return c;
    }
    return Math.sign(a.length - b.length);
  }
  return a === b ? 0 : (a as number | string) < (b as number | string) ? -1 : 1;
}

/** Versions both PEP 440 (in any spelling) and legacy. */
const anyVersion = fc.oneof(
  { weight: 4, arbitrary: structured.chain(spell) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '0.3m1',
      '0.3m2',
      'trunk',
      '4.11-final',
      '0.7.11p2',
      '1.0beta6.1',
      '2013-09-11T19-27-10',
      'a3',
      '1.3.1-STAGING',
    ),
  },
);

// ---------------------------------------------------------------------------------------------

describe('pep440Comparator (PyPI)', () => {
  it('serves PyPI', () => {
    expect(pep440Comparator.ecosystems).toEqual(['PyPI']);
  });

  for (const file of ['pypi-versions.txt', 'pypi-versions-generated.txt']) {
    it(`passes every line of ${file}, and compare(b, a) is the opposite sign`, () => {
      expect(vectorFailures(file)).toEqual([]);
    });
  }

  describe('PEP 440 rules', () => {
    it.each([
      ['1.0', '1.0.0', 0],
      ['1.0a1', '1.0.alpha1', 0],
      ['1.0A1', '1.0-a.1', 0],
      ['1.0c1', '1.0rc1', 0],
      ['1.0pre1', '1.0rc1', 0],
      ['1.0preview1', '1.0rc1', 0],
      ['1.0-1', '1.0.post1', 0],
      ['1.0r', '1.0.post0', 0],
      ['1.0rev2', '1.0post2', 0],
      ['v1.0', '1.0', 0],
      ['  1.0\n', '1.0', 0],
      ['\x1c1.0\x85', '1.0', 0], // Python's \s, wider than String.prototype.trim
      ['1.0+A.01', '1.0+a-1', 0],
      ['0!1.0', '1.0', 0],
      ['1.0.dev0', '1.0a0', -1],
      ['1.0a0', '1.0b0', -1],
      ['1.0b0', '1.0rc0', -1],
      ['1.0rc0', '1.0', -1],
      ['1.0', '1.0.post0', -1],
      ['1.0.post0.dev0', '1.0.post0', -1],
      ['1.0', '1.0+local', -1],
      ['1.0+abc', '1.0+1', -1],
      ['1.0+1', '1.0+1.0', -1],
      ['1!0.1', '2.0', 1],
      ['1.0a-', '1.0a0', 0], // a trailing separator is part of the grammar
      ['1.0a.-1', '1.0a0.post1', 0],
      ['999999999999999999999999999999', '999999999999999999999999999998', 1],
    ] as const)('%j vs %j is %i', (a, b, expected) => {
      expect(compare(a, b)).toBe(expected);
      expect(compare(b, a)).toBe(-expected || 0);
    });
  });

  describe('legacy (non-PEP 440) versions', () => {
    const legacy = ['0.3m1', '4.11-final', 'trunk', '0.7.11p2', '2013-09-11T19-27-10', '-class.-jw.util.version.version-pre', '1.0-'];

    it('marks them legacy and PEP 440 versions not', () => {
      expect(legacy.filter((v) => !isLegacy(v))).toEqual([]);
      expect(['1.0', '1!2.0rc1.post2.dev3+x.1', 'v1.0', ' 1.0 '].filter(isLegacy)).toEqual([]);
      expect(isLegacy('')).toBe(false);
    });

    it('sorts them below every PEP 440 version', () => {
      for (const v of legacy) {
        expect(compare(v, '0.dev0')).toBe(-1);
        expect(compare('0!0.dev0', v)).toBe(1);
      }
    });

    it('orders them among themselves by the setuptools key', () => {
      expect(compare('trunk', '0.3m1')).toBe(-1); // '*trunk' < '00000000'
      expect(compare('0.3m1', '0.3m2')).toBe(-1);
      expect(compare('0.3m5', '0.4m1')).toBe(-1);
      expect(compare('0.7.10p1', '0.7.11p1')).toBe(-1);
      expect(compare('0.1-bulbasaur', '0.1-charmander')).toBe(-1);
      expect(compare('1.0-final', '1.0.0-final')).toBe(0); // trailing zeros of a numeric series drop
      expect(compare('TRUNK', 'trunk')).toBe(0);
    });
  });

  describe('properties', () => {
    it('equivalent spellings compare equal', () => {
      fc.assert(
        fc.property(
          structured.chain((v) => fc.tuple(spell(v), spell(v))),
          ([a, b]) => compare(a, b) === 0 && !isLegacy(a) && !isLegacy(b),
        ),
      );
    });

    it('agrees with a model of packaging._cmpkey', () => {
      fc.assert(
        fc.property(
          structured.chain((v) => fc.tuple(fc.constant(v), spell(v))),
          structured.chain((v) => fc.tuple(fc.constant(v), spell(v))),
          ([x, a], [y, b]) => compare(a, b) === Math.sign(compareModel(modelKey(x), modelKey(y))),
        ),
      );
    });

    it('is reflexive and antisymmetric', () => {
      fc.assert(fc.property(anyVersion, anyVersion, (a, b) => compare(a, a) === 0 && compare(a, b) === -compare(b, a) + 0));
    });

    it('is transitive', () => {
      fc.assert(
        fc.property(anyVersion, anyVersion, anyVersion, (a, b, c) => {
          const [x, y, z] = [a, b, c].sort(compare) as [string, string, string];
          return compare(x, y) <= 0 && compare(y, z) <= 0 && compare(x, z) <= 0;
        }),
      );
    });
  });

  describe('invalid versions', () => {
    it.each([
      ['', /empty/],
      ['   ', /empty/],
      ['1.0 beta', /whitespace/],
      ['1.0\u0000', /control/],
      ['...', /letter or digit/],
      ['+', /letter or digit/],
      ['\u00e9\u00e8', /letter or digit/],
    ])('%j throws InvalidVersionError', (version, reason) => {
      expect(isValid(version)).toBe(false);
      expect(() => compare(version, '1.0')).toThrow(InvalidVersionError);
      expect(() => compare('1.0', version)).toThrow(reason);
    });

    it('isValid accepts PEP 440 and legacy versions', () => {
      expect(['1.0', 'v1.0.post1', 'trunk', '0.3m1'].every(isValid)).toBe(true);
    });
  });

  it('stays linear on adversarial 10k-character strings', () => {
    const n = 10_000;
    const inputs = [
      '1'.repeat(n),
      '1.'.repeat(n / 2),
      `${'1.'.repeat(n / 2 - 1)}1`,
      'a'.repeat(n),
      `1.0${'-'.repeat(n)}`,
      `1.0+${'a.'.repeat(n / 2)}`,
      `1.0+${'a.'.repeat(n / 2 - 1)}a`,
      `1${'.dev'.repeat(n / 4)}`,
      `1${'a'.repeat(n)}1`,
      `${' '.repeat(n)}1`,
      '0'.repeat(n),
      `1${'!'.repeat(n)}`,
    ];
    const run = (): void => {
      for (let i = 0; i < 200; i++) {
        const a = inputs[i % inputs.length] as string;
        const b = inputs[(i * 7 + 3) % inputs.length] as string;
        try {
          compare(a, b);
        } catch (error) {
          if (!(error instanceof InvalidVersionError)) throw error;
        }
      }
    };
    expect(cpuMillis(run)).toBeLessThan(2500); // generous: a busy 2-core CI box; quadratic would take minutes
  });
});
