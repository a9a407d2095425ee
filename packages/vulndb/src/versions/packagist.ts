import type { VersionComparator } from './comparator.ts';
import { InvalidVersionError } from './comparator.ts';
import { compareUnbounded, phpCompareElements, phpElements, trailingDotReason } from './php-version-compare.ts';

/**
 * Packagist (Composer) versions: the parts of Composer's `VersionParser::normalize` that change an
 * order, then PHP's `version_compare` algorithm (ext/standard/versioning.c) on the result.
 *
 * What is taken from Composer: surrounding blanks trimmed, a leading `v`/`V` stripped, build
 * metadata (`+…`) and a trailing `-stable` dropped, `master`/`trunk`/`default` read as
 * `dev-master`…. What is NOT: Composer's 4-component padding (`1.0` → `1.0.0.0`), because the
 * vector file (OSV's semantics) has `1.0.0 > 1.0`, which is PHP version_compare's answer; and
 * Composer's rejection of strings such as `4.3-2RC1`, `1.2.3.#` or 30-digit numbers, which real
 * advisories contain: they are ordered, not refused.
 *
 * Differences from raw PHP `version_compare`, all as the vector file requires: numbers are
 * unbounded (PHP's strtol saturates), and `#` is kept as a component (PHP turns it into a dot),
 * so `1.2.3.#` = `1.2.3` as in Composer's `#` forms.
 *
 * Not a total order, and cannot be while following the file: `#` equals any number element, so
 * the file itself has `1.2.3.# = 1.2.3`, `1.2.3.# = 1.2.3.1` and `1.2.3 < 1.2.3.1`. Rejected:
 * empty or blank strings, and strings ending in a separator (`4.`, `1.0-`), which Composer rejects
 * too and which version_compare orders inconsistently (`4.` < `4.beta` and `4.beta` < `4.`).
 */

const isBlank = (c: string | undefined): boolean => c !== undefined && ' \t\n\r\v\0'.includes(c);

/** PHP trim() by hand (a `\s+$` regex is quadratic on long blank runs). */
function trim(version: string): string {
  let start = 0;
  let end = version.length;
  while (start < end && isBlank(version[start])) start++;
  while (end > start && isBlank(version[end - 1])) end--;
  return version.slice(start, end);
}

/** The Composer steps listed in the header. */
function composerNormalize(version: string): string {
  let v = trim(version);
  if (v === 'master' || v === 'trunk' || v === 'default') return `dev-${v}`;
  if (v.toLowerCase().startsWith('dev-')) return `dev-${v.slice(4)}`;
  const plus = v.indexOf('+');
  if (plus > 0) v = v.slice(0, plus);
  if (v[0] === 'v' || v[0] === 'V') v = v.slice(1);
  if (/[._-]stable$/i.test(v)) v = v.slice(0, -'-stable'.length);
  return v;
}

/** The version's version_compare elements after Composer's normalisation, or why there are none. */
function elementsOrReason(version: string): string[] | string {
  if (trim(version) === '') return 'empty version';
  const elements = phpElements(composerNormalize(version), true);
  return trailingDotReason(elements) ?? elements;
}

function elementsOf(version: string): string[] {
  const result = elementsOrReason(version);
  if (typeof result === 'string') throw new InvalidVersionError('Packagist', version, result);
  return result;
}

export const packagistComparator: VersionComparator = {
  ecosystems: ['Packagist'],
  compare(a: string, b: string): -1 | 0 | 1 {
    return phpCompareElements(elementsOf(a), elementsOf(b), compareUnbounded);
  },
  isValid(version: string): boolean {
    return typeof elementsOrReason(version) !== 'string';
  },
};
