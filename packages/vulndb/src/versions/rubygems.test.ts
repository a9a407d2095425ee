import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOrderLaws, expectNoFailures, runVectors, timeAdversarial } from '../../test/comparator-laws.ts';
import { InvalidVersionError } from './comparator.ts';
import { rubygemsComparator } from './rubygems.ts';

const c = rubygemsComparator;

describe('rubygems comparator', () => {
  it('passes every line of rubygems-versions.txt', () => {
    expectNoFailures(runVectors(c, 'rubygems-versions.txt'));
  });

  it('sorts prereleases (any letter) below the release, and 1beta / 1gamma below 1', () => {
    expect(c.compare('1.0.0.pre', '1.0.0')).toBe(-1);
    expect(c.compare('1.0.0-rc1', '1.0.0')).toBe(-1);
    expect(c.compare('1beta', '1')).toBe(-1);
    expect(c.compare('1gamma', '1')).toBe(-1);
    expect(c.compare('1.0.0.rc1', '1.0.0.beta2')).toBe(1);
  });

  it('treats "-" as ".pre." (Gem::Version#initialize)', () => {
    expect(c.compare('1.0-1', '1.0.pre.1')).toBe(0);
    expect(c.compare('1.0-1', '1.0')).toBe(-1);
  });

  it('drops trailing zeros of the release and prerelease parts (canonical_segments)', () => {
    expect(c.compare('1.0.0', '1')).toBe(0);
    expect(c.compare('1.0.a.0', '1.a')).toBe(0);
    expect(c.compare('1.0.a2', '1.a.2')).toBe(0);
    expect(c.compare(' 1.2 ', '1.2')).toBe(0);
  });

  it('compares letters bytewise, as Ruby strings (upper case first)', () => {
    expect(c.compare('1.A', '1.a')).toBe(-1);
  });

  it('treats equivalent spellings as equal', () => {
    const spellings = fc.constantFrom('1', '1.0', '1.0.0', '01', '1.00', ' 1.0\n');
    fc.assert(fc.property(spellings, spellings, (a, b) => c.compare(a, b) === 0));
  });

  it('is a total order on generated versions (reflexive, antisymmetric, transitive)', () => {
    const part = fc.oneof(fc.nat({ max: 12 }).map(String), fc.constantFrom('a', 'b', 'pre', 'rc', 'beta', 'Z', '0'));
    const version = fc
      .tuple(fc.nat({ max: 5 }), fc.array(fc.tuple(fc.constantFrom('.', '-'), part), { maxLength: 5 }))
      .map(([first, rest]) => String(first) + rest.map(([sep, p]) => sep + p).join(''))
      .filter((v) => c.isValid(v));
    checkOrderLaws(c, version);
  });

  it('rejects malformed versions with a reason, and isValid agrees', () => {
    for (const bad of ['', '   ', 'a', '1..2', '1.', '.1', '1_2', '1.0-', '1 2', 'v1.0']) {
      expect(c.isValid(bad), bad).toBe(false);
      expect(() => c.compare(bad, '1'), bad).toThrow(InvalidVersionError);
    }
    expect(() => c.compare('', '1')).toThrow(/empty version/);
    expect(() => c.compare('1', '1..2')).toThrow(/not a RubyGems version/);
  });

  it('handles adversarial 10k-character strings quickly', () => {
    const ms = timeAdversarial(c, ['1', '1.', '1.a', ' ', '1-', '9a', 'a', '1.0-a.']);
    expect(ms).toBeLessThan(2500); // generous: a busy 2-core CI box; quadratic would take minutes
  });
});
