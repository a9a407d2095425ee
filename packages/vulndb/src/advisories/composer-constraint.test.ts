import { describe, expect, it } from 'vitest';
import { wordpressComparator } from '../versions/wordpress.ts';
import {
  ConstraintError,
  type ConstraintInterval,
  MAX_CONSTRAINT_LENGTH,
  normaliseIntervals,
  parseComposerConstraint,
} from './composer-constraint.ts';

const incl = (version: string) => ({ version, inclusive: true });
const excl = (version: string) => ({ version, inclusive: false });

function reason(constraint: string): string {
  try {
    parseComposerConstraint(constraint);
  } catch (error) {
    expect(error).toBeInstanceOf(ConstraintError);
    return (error as ConstraintError).reason;
  }
  throw new Error(`${constraint} was read`);
}

describe('parseComposerConstraint', () => {
  it.each<[string, ConstraintInterval[]]>([
    ['<=4.0.0', [{ upper: incl('4.0.0') }]],
    ['<5.3.2', [{ upper: excl('5.3.2') }]],
    ['>=1.0,<=1.2', [{ lower: incl('1.0'), upper: incl('1.2') }]],
    ['>1.0,<1.2', [{ lower: excl('1.0'), upper: excl('1.2') }]],
    ['>=2.0', [{ lower: incl('2.0') }]],
    ['=3.8.1', [{ lower: incl('3.8.1'), upper: incl('3.8.1') }]],
    ['==3.8.1', [{ lower: incl('3.8.1'), upper: incl('3.8.1') }]],
    ['3.8.1', [{ lower: incl('3.8.1'), upper: incl('3.8.1') }]],
    ['*', [{}]],
    ['<1.0|>=2.0,<=2.1', [{ upper: excl('1.0') }, { lower: incl('2.0'), upper: incl('2.1') }]],
    ['<1.0 || >=2.0 <=2.1', [{ upper: excl('1.0') }, { lower: incl('2.0'), upper: incl('2.1') }]],
    ['>= 1.0 , < 2.0', [{ lower: incl('1.0'), upper: excl('2.0') }]],
    ['  <=1.1  ', [{ upper: incl('1.1') }]],
    [
      '=6.4.0|=6.4.1',
      [
        { lower: incl('6.4.0'), upper: incl('6.4.0') },
        { lower: incl('6.4.1'), upper: incl('6.4.1') },
      ],
    ],
    ['<=12.8-a.1', [{ upper: incl('12.8-a.1') }]],
    ['*,<5', [{ upper: excl('5') }]],
  ])('%s', (constraint, expected) => {
    expect(parseComposerConstraint(constraint)).toEqual(expected);
  });

  it.each([
    ['', 'empty constraint'],
    ['   ', 'empty constraint'],
    ['<1.0|', 'alternative 2 is empty'],
    ['|<1.0', 'alternative 1 is empty'],
    ['<1.0|||>2.0', 'alternative 2 is empty'],
    ['>=1.0,', 'a "," without a term after it'],
    ['>=1.0,,<2', 'a "," without a term after it'],
    ['<', 'operator "<" without a version'],
    ['>= ', 'operator ">=" without a version'],
    ['!=1.0', 'operator "!=" is not read (only <, <=, >, >=, = and a bare version are)'],
    ['<>1.0', 'operator "<>" is not read (only <, <=, >, >=, = and a bare version are)'],
    ['~1.2', 'operator "~" is not read (only <, <=, >, >=, = and a bare version are)'],
    ['^1.2', 'operator "^" is not read (only <, <=, >, >=, = and a bare version are)'],
    ['=>1.2', 'operator "=>" is not read (only <, <=, >, >=, = and a bare version are)'],
    ['1.2.*', '"1.2.*": character "*" is not read in a version (wildcards are not read)'],
    ['1.x', '"1.x": wildcards are not read'],
    ['<=1.X.3', '"<=1.X.3": wildcards are not read'],
    ['>*', '">*": "*" cannot take an operator'],
    ['1.0 - 2.0', 'hyphen ranges ("1.0 - 2.0") are not read'],
    ['1.0 as 2.0', '"as" aliases are not read'],
    ['>=1.0@dev', '">=1.0@dev": character "@" is not read in a version'],
    ['dev-master', '"dev-master": branch names are not versions'],
    ['>=1.0,>=1.1', 'more than one lower bound in one AND group (at ">=1.1")'],
    ['<=1.0,<1.1', 'more than one upper bound in one AND group (at "<1.1")'],
    ['=1.0,<2.0', 'more than one upper bound in one AND group (at "<2.0")'],
    ['<1.0<2.0', '"<1.0<2.0": character "<" is not read in a version'],
    ['<.1', '"<.1": a version must start with a letter or digit'],
    ['<1.0\u00001', '"<1.0\\u00001": character "\\u0000" is not read in a version'],
  ])('refuses %j: %s', (constraint, expected) => {
    expect(reason(constraint)).toBe(expected);
  });

  it('refuses a constraint longer than the bound; one at the bound is read in full', () => {
    const fitting = Math.floor((MAX_CONSTRAINT_LENGTH - 4) / 5);
    const long = `<1.0${'|<1.0'.repeat(fitting)}`;
    expect(long.length).toBeLessThanOrEqual(MAX_CONSTRAINT_LENGTH);
    expect(parseComposerConstraint(long)).toHaveLength(fitting + 1);
    const huge = `${long}|<1.0`;
    expect(huge.length).toBeGreaterThan(MAX_CONSTRAINT_LENGTH);
    expect(reason(huge)).toBe(`longer than ${MAX_CONSTRAINT_LENGTH} characters`);
    expect(reason('<'.repeat(10_000_000))).toBe(`longer than ${MAX_CONSTRAINT_LENGTH} characters`);
  });

  it('refuses a non-string', () => {
    expect(() => parseComposerConstraint(42 as unknown as string)).toThrow(ConstraintError);
  });

  it('the error message names the constraint', () => {
    expect(() => parseComposerConstraint('~1.0')).toThrow('cannot read constraint "~1.0": operator "~" is not read');
  });
});

describe('normaliseIntervals (WordPress order)', () => {
  const norm = (constraint: string) => normaliseIntervals(parseComposerConstraint(constraint), wordpressComparator.compare);

  it('merges an interval ending where the next begins, with one of the two ends inclusive', () => {
    expect(norm('<3.7|>=3.7,<=3.7.4').intervals).toEqual([{ upper: incl('3.7.4') }]);
    expect(norm('>=1.0,<=2.0|>2.0,<3.0').intervals).toEqual([{ lower: incl('1.0'), upper: excl('3.0') }]);
  });

  it('keeps a gap of one version when both ends at it are exclusive', () => {
    expect(norm('<2.0|>2.0,<3.0').intervals).toEqual([{ upper: excl('2.0') }, { lower: excl('2.0'), upper: excl('3.0') }]);
  });

  it('sorts by lower bound, absorbs exact versions inside a range, and keeps separate ones apart', () => {
    expect(norm('=4.0|>=3.8,<=3.8.4|<3.7|=3.8.2|>=3.7,<=3.7.4').intervals).toEqual([
      { upper: incl('3.7.4') },
      { lower: incl('3.8'), upper: incl('3.8.4') },
      { lower: incl('4.0'), upper: incl('4.0') },
    ]);
  });

  it('an open upper end swallows everything after it', () => {
    expect(norm('>=2.0|>=2.5,<2.6|=3.0').intervals).toEqual([{ lower: incl('2.0') }]);
    expect(norm('*|<1.0').intervals).toEqual([{}]);
  });

  it('takes out empty intervals', () => {
    const { intervals, empty } = norm('>=2.0,<1.0|>1.0,<=1.0|>=1.0,<1.0|>=1.0,<=1.0|<0.5');
    expect(empty).toEqual([
      { lower: incl('2.0'), upper: excl('1.0') },
      { lower: excl('1.0'), upper: incl('1.0') },
      { lower: incl('1.0'), upper: excl('1.0') },
    ]);
    expect(intervals).toEqual([{ upper: excl('0.5') }, { lower: incl('1.0'), upper: incl('1.0') }]);
  });

  it('uses the WordPress order (version_compare: 3.6 < 3.6.0, 1.10 > 1.9)', () => {
    expect(norm('<3.6|>=3.6.0,<4').intervals).toHaveLength(2);
    expect(norm('>=1.9,<=1.10|>1.10,<2').intervals).toEqual([{ lower: incl('1.9'), upper: excl('2') }]);
  });
});
