import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOrderLaws, expectNoFailures, runVectors, timeAdversarial } from '../../test/comparator-laws.ts';
import { InvalidVersionError } from './comparator.ts';
import { nugetComparator } from './nuget.ts';

const c = nugetComparator;

describe('nuget comparator', () => {
  it('passes every line of nuget-versions.txt', () => {
    expectNoFailures(runVectors(c, 'nuget-versions.txt'));
  });

  it('pads to four parts and ignores metadata', () => {
    expect(c.compare('1', '1.0.0.0')).toBe(0);
    expect(c.compare('1.0.0+build.7', '1.0.0')).toBe(0);
    expect(c.compare('1.0.0.1', '1.0.0')).toBe(1);
  });

  it('orders release labels as SemVer 2, case-insensitively, numeric below text', () => {
    expect(c.compare('1.0.0-alpha', '1.0.0')).toBe(-1);
    expect(c.compare('1.0.0-Alpha', '1.0.0-alpha')).toBe(0);
    expect(c.compare('1.0.0-alpha.1', '1.0.0-alpha')).toBe(1);
    expect(c.compare('1.0.0-alpha.2', '1.0.0-alpha.10')).toBe(-1);
    expect(c.compare('1.0.0-1', '1.0.0-a')).toBe(-1);
    expect(c.compare('1.0.0-rc.1', '1.0.0-beta.11')).toBe(1);
  });

  it('reads labels as Int32.TryParse does (a label past Int32 compares as text)', () => {
    expect(c.compare('1.0.0-2147483647', '1.0.0-a')).toBe(-1);
    expect(c.compare('1.0.0-2147483648', '1.0.0-3')).toBe(1);
    expect(c.compare('1.0.0-x.-5', '1.0.0-x.0')).toBe(-1);
  });

  it('treats equivalent spellings as equal (1.0 = 1.0.0.0 = 01.0+meta)', () => {
    const spellings = fc.constantFrom('1', '1.0', '1.0.0', '1.0.0.0', '01.00', '1.0+meta', ' 1.0.0 ');
    fc.assert(fc.property(spellings, spellings, (a, b) => c.compare(a, b) === 0));
  });

  it('is a total order on generated versions (reflexive, antisymmetric, transitive)', () => {
    const label = fc.oneof(fc.nat({ max: 12 }).map(String), fc.constantFrom('alpha', 'Alpha', 'beta', 'rc', 'x-y', '-1', '01'));
    const version = fc
      .tuple(
        fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 4 }),
        fc.array(label, { maxLength: 3 }),
        fc.option(fc.constantFrom('m', 'Build.1'), { nil: undefined }),
      )
      .map(
        ([parts, labels, meta]) =>
          parts.join('.') + (labels.length > 0 ? `-${labels.join('.')}` : '') + (meta === undefined ? '' : `+${meta}`),
      );
    checkOrderLaws(c, version);
  });

  it('rejects malformed versions with a reason, and isValid agrees', () => {
    for (const bad of ['', ' ', 'v1.0', '1.0.0.0.0', '1..0', '1.0-', '1.0-a..b', '1.0+', '1.0-a_b', 'a', '1.0.0-beta+a+b']) {
      expect(c.isValid(bad), bad).toBe(false);
      expect(() => c.compare(bad, '1.0'), bad).toThrow(InvalidVersionError);
    }
    expect(() => c.compare('', '1')).toThrow(/empty version/);
    expect(() => c.compare('1.2.3.4.5', '1')).toThrow(/1 to 4 dot-separated numbers/);
  });

  it('handles adversarial 10k-character strings quickly', () => {
    const ms = timeAdversarial(c, ['1', '1.', '1.0-a.', '-', '1.0-', '0', 'a.1-', '1.0.0+a.']);
    expect(ms).toBeLessThan(2500); // generous: a busy 2-core CI box; quadratic would take minutes
  });
});
