import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOrderLaws, expectNoFailures, runVectors, timeAdversarial } from '../../test/comparator-laws.ts';
import { InvalidVersionError } from './comparator.ts';
import { packagistComparator } from './packagist.ts';

const c = packagistComparator;

describe('packagist comparator', () => {
  it('passes every line of packagist-versions.txt', () => {
    expectNoFailures(runVectors(c, 'packagist-versions.txt'));
  });

  it('orders special forms dev < alpha = a < beta = b < RC = rc < number < pl = p = patch', () => {
    const chain = ['1.0-dev', '1.0alpha1', '1.0beta1', '1.0RC1', '1.0', '1.0pl1'];
    for (let i = 0; i + 1 < chain.length; i++) expect(c.compare(chain[i] as string, chain[i + 1] as string), chain[i]).toBe(-1);
    expect(c.compare('1.0a1', '1.0alpha1')).toBe(0);
    expect(c.compare('1.0b1', '1.0beta1')).toBe(0);
    expect(c.compare('1.0rc1', '1.0RC1')).toBe(0);
    expect(c.compare('1.0p1', '1.0pl1')).toBe(0);
    expect(c.compare('1.0-patch1', '1.0pl1')).toBe(0);
  });

  it('applies Composer normalisation: v prefix, build metadata, -stable, dev branches', () => {
    expect(c.compare('v1.0', '1.0')).toBe(0);
    expect(c.compare('V2.1.3', '2.1.3')).toBe(0);
    expect(c.compare('1.0.0+build.5', '1.0.0')).toBe(0);
    expect(c.compare('1.0.0-stable', '1.0.0')).toBe(0);
    expect(c.compare('dev-main', '0.0.1')).toBe(-1);
    expect(c.compare('master', '0.0.1')).toBe(-1);
    expect(c.compare(' 1.2 ', '1.2')).toBe(0);
  });

  it('keeps version_compare length rules (1.0.0 > 1.0, as the vector file says; no 4-part padding)', () => {
    expect(c.compare('1.0.0', '1.0')).toBe(1);
    expect(c.compare('1.0.0.0', '1.0.0')).toBe(1);
    expect(c.compare('1.0-beta', '1.0')).toBe(-1);
  });

  it('compares numbers of any size (PHP saturates at LONG_MAX; the file does not)', () => {
    expect(c.compare('99999999999999999999', '99999999999999999998')).toBe(1);
  });

  it('treats equivalent spellings as equal (v1.0 = V1.0 = 1.0, 1.0rc1 = 1.0-RC1 = 1.0.rc.1)', () => {
    const spellings = fc.constantFrom('v1.0', 'V1.0', '1.0', '1_0', '1-0', '1+0');
    fc.assert(fc.property(spellings, spellings, (a, b) => a.includes('+') || b.includes('+') || c.compare(a, b) === 0));
    const rc = fc.constantFrom('1.0rc1', '1.0-RC1', '1.0.rc.1', 'v1.0_rc1');
    fc.assert(fc.property(rc, rc, (a, b) => c.compare(a, b) === 0));
  });

  it('is a total order on generated versions without # (reflexive, antisymmetric, transitive)', () => {
    // `#` is left out on purpose: see the next test.
    const part = fc.oneof(
      fc.nat({ max: 12 }).map(String),
      fc.constantFrom('dev', 'a', 'alpha', 'b', 'beta', 'RC', 'rc', 'pl', 'p', 'patch', 'stable', 'foo'),
    );
    const version = fc
      .tuple(fc.constantFrom('', 'v'), fc.nat({ max: 5 }), fc.array(fc.tuple(fc.constantFrom('.', '-', '_', ''), part), { maxLength: 5 }))
      .map(([v, first, rest]) => v + String(first) + rest.map(([sep, p]) => sep + p).join(''));
    checkOrderLaws(c, version);
  });

  it('is not transitive around # forms, exactly as the vector file itself is not', () => {
    // Lines of packagist-versions.txt: `#` equals any number element, so these three hold together.
    expect(c.compare('1.2.3.#', '1.2.3')).toBe(0);
    expect(c.compare('1.2.3.#', '1.2.3.1')).toBe(0);
    expect(c.compare('1.2.3', '1.2.3.1')).toBe(-1);
  });

  it('rejects empty strings and a trailing separator with a reason, and isValid agrees', () => {
    for (const bad of ['', '  ', '\t', '4.', '1.0-', 'v2_']) {
      expect(c.isValid(bad), bad).toBe(false);
      expect(() => c.compare(bad, '1'), bad).toThrow(InvalidVersionError);
    }
    expect(() => c.compare('1', '')).toThrow(/empty version/);
    // PHP would say 4. < 4.beta and 4.beta < 4.; Composer rejects "4." outright.
    expect(() => c.compare('4.', '4.beta')).toThrow(/ends with a separator/);
    expect(c.isValid('not-a-version')).toBe(true);
  });

  it('handles adversarial 10k-character strings quickly', () => {
    const ms = timeAdversarial(c, ['1', '1.', 'a1', ' ', '1-', '#', '.', 'v', '0']);
    expect(ms).toBeLessThan(2500); // generous: a busy 2-core CI box; quadratic would take minutes
  });
});
