import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOrderLaws, timeAdversarial } from '../../test/comparator-laws.ts';
import { InvalidVersionError } from './comparator.ts';
import { wordpressComparator } from './wordpress.ts';

const c = wordpressComparator;

/** Real WordPress core, plugin and theme version pairs, with PHP version_compare's answer. */
const PAIRS: readonly [string, '<' | '=' | '>', string][] = [
  ['6.4.2', '>', '6.4.1'],
  ['6.4.1', '<', '6.4.2'],
  ['6.4', '<', '6.4.1'],
  ['6.4', '<', '6.4.0'], // version_compare: the longer one wins when its extra element is a number
  ['4.9.8', '<', '5.0'],
  ['5.0-alpha-43000', '<', '5.0-beta1'],
  ['5.0-beta1', '<', '5.0-beta2'],
  ['5.0-beta5', '<', '5.0-RC1'],
  ['5.0-RC1', '<', '5.0-rc2'],
  ['5.0-RC3', '<', '5.0'],
  ['6.3-alpha-56212', '<', '6.3-beta1'],
  ['6.5-RC4', '<', '6.5'],
  ['2.0.10', '>', '2.0.9'],
  ['1.2.3.4', '>', '1.2.3'],
  ['1.2.3.4', '<', '1.2.4'],
  ['3.1.1', '=', '3.1.1'],
  ['2.3.1', '<', '2.10'],
  ['1.0.0-dev', '<', '1.0.0-alpha'],
  ['7.2.0-pl1', '>', '7.2.0'],
  ['1.0.0-beta', '=', '1.0.0-b'],
  ['1.0_1', '=', '1.0.1'],
  ['1.99999999999999999999', '=', '1.99999999999999999998'], // strtol saturates: PHP's answer
];

const SIGN = { '<': -1, '=': 0, '>': 1 } as const;

describe('wordpress comparator', () => {
  it('orders real WordPress version pairs as PHP version_compare does', () => {
    const failures = PAIRS.filter(([a, op, b]) => c.compare(a, b) !== SIGN[op] || c.compare(b, a) !== -SIGN[op]).map(
      ([a, op, b]) => `${a} ${op} ${b}: got ${c.compare(a, b)}`,
    );
    expect(failures).toEqual([]);
  });

  it('is a total order on generated versions (reflexive, antisymmetric, transitive)', () => {
    const part = fc.oneof(fc.nat({ max: 12 }).map(String), fc.constantFrom('alpha', 'beta', 'RC', 'rc', 'dev', 'pl', 'src', '', '#', '~'));
    const version = fc
      .tuple(fc.nat({ max: 7 }), fc.array(fc.tuple(fc.constantFrom('.', '-', '_', ''), part), { maxLength: 5 }))
      .map(([first, rest]) => String(first) + rest.map(([sep, p]) => sep + p).join(''))
      .filter((v) => c.isValid(v));
    checkOrderLaws(c, version);
  });

  it('treats equivalent spellings as equal (5.0-RC1 = 5.0RC1 = 5.0.RC.1 = 5.0_rc1)', () => {
    const spellings = fc.constantFrom('5.0-RC1', '5.0RC1', '5.0.RC.1', '5.0_rc1', '5.0+RC1');
    fc.assert(fc.property(spellings, spellings, (a, b) => c.compare(a, b) === 0));
  });

  it('rejects what version_compare cannot order consistently, with a reason, and isValid agrees', () => {
    for (const bad of ['', ' ', '4.', '6.4-', '1.a~', '1#', '6.4#1']) {
      expect(c.isValid(bad), bad).toBe(false);
      expect(() => c.compare(bad, '6.4'), bad).toThrow(InvalidVersionError);
    }
    expect(() => c.compare('6.4', '')).toThrow(/empty version/);
    expect(() => c.compare('4.', '4.beta')).toThrow(/ends with a separator/);
    expect(() => c.compare('1#', '1')).toThrow(/"#" after a digit/);
    expect(c.isValid('trunk')).toBe(true);
    expect(c.isValid('1.#')).toBe(false); // PHP makes it "1." (trailing separator)
  });

  it('handles adversarial 10k-character strings quickly', () => {
    const ms = timeAdversarial(c, ['1', '1.', 'a1', '-', '#', '9', 'rc']);
    expect(ms).toBeLessThan(2500); // generous: a busy 2-core CI box; quadratic would take minutes
  });
});
