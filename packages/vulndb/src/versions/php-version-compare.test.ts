import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalElements, compareSaturating, compareUnbounded, phpVersionCompare } from './php-version-compare.ts';

/**
 * A literal, character-at-a-time transcription of PHP 8's php_canonicalize_version (string
 * building, `lq = *(q - 1)` and all), to check the faster element-building version against.
 */
function referenceCanonicalize(version: string, keepHash: boolean): string {
  if (version === '') return '';
  const isdig = (x: string): boolean => x >= '0' && x <= '9';
  const isndig = (x: string): boolean => !isdig(x) && x !== '.';
  const isalnum = (x: string): boolean => isdig(x) || (x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z') || (keepHash && x === '#');
  let q = version[0] as string;
  let lp = q;
  for (const p of version.slice(1)) {
    const lq = q[q.length - 1];
    if (p === '-' || p === '_' || p === '+') {
      if (lq !== '.') q += '.';
    } else if ((isndig(lp) && isdig(p)) || (isdig(lp) && isndig(p))) {
      if (lq !== '.') q += '.';
      q += p;
    } else if (!isalnum(p)) {
      if (lq !== '.') q += '.';
    } else {
      q += p;
    }
    lp = p;
  }
  return q;
}

describe('php version_compare core', () => {
  it('canonicalises exactly as php_canonicalize_version does', () => {
    const text = fc.string({ unit: fc.constantFrom(...'019aZ.-_+#~ é'), maxLength: 12 });
    fc.assert(
      fc.property(text, fc.boolean(), (version, keepHash) => {
        expect(canonicalElements(version, keepHash)).toEqual(referenceCanonicalize(version, keepHash).split('.'));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps punctuation that directly follows a digit, as PHP does (1~ is 1.~)', () => {
    expect(canonicalElements('1~a', false)).toEqual(['1', '~a']);
    expect(canonicalElements('1.2.3.#', false)).toEqual(['1', '2', '3', '']);
    expect(canonicalElements('1.2.3.#', true)).toEqual(['1', '2', '3', '#']);
  });

  it('follows version_compare on the PHP documentation examples', () => {
    const cmp = (a: string, b: string): number => phpVersionCompare(a, b, compareSaturating);
    expect(cmp('5.2', '5.2.0')).toBe(-1);
    expect(cmp('5.2.0', '5.2.0-dev')).toBe(1);
    expect(cmp('1.0.0-alpha', '1.0.0')).toBe(-1);
    expect(cmp('1.0.', '1.0')).toBe(-1); // a trailing dot leaves an empty element, which sorts low
  });

  it('compares numbers unbounded or saturating at LONG_MAX', () => {
    expect(compareUnbounded('0010', '9')).toBeGreaterThan(0);
    expect(compareSaturating('9223372036854775807', '99999999999999999999')).toBe(0);
    expect(compareSaturating('9223372036854775806', '9223372036854775807')).toBeLessThan(0);
  });
});
