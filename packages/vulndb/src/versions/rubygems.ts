import type { VersionComparator } from './comparator.ts';
import { InvalidVersionError, sign } from './comparator.ts';

/**
 * RubyGems versions, ordered as `Gem::Version#<=>` (rubygems/version.rb) orders them.
 *
 * Validity mirrors Gem::Version::ANCHORED_VERSION_PATTERN
 * (`\A\s*([0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?\s*\z`) with two changes:
 * - letters may follow the first number directly (`1beta`, `1gamma`): RubyGems rejects those, but
 *   advisories contain them and the vector file orders them (below `1`), so Vigil must too;
 * - an empty or all-blank string is rejected (RubyGems reads it as `0`; for a matcher it names
 *   no release).
 */

/** A numeric segment keeps its digits (no leading zeros; '' is 0): Ruby integers are unbounded. */
type Segment = { readonly digits: string } | string;

const ZERO: Segment = { digits: '' };
const isZero = (s: Segment | undefined): boolean => typeof s !== 'string' && s?.digits === '';

function numberSegment(run: string): Segment {
  let i = 0;
  while (i < run.length && run[i] === '0') i++;
  return { digits: run.slice(i) };
}

/** One number or letter run (the `-`-separated tail may also hold `-`), then dot-separated parts. */
// Every repetition starts with a distinct separator, so the pattern cannot backtrack badly.
const VERSION_PATTERN = /^[0-9][0-9A-Za-z]*(?:\.[0-9A-Za-z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
/** Ruby's `\s`: what the anchored pattern allows around a version (Gem::Version strips it). */
const isRubySpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\v\f\r'.includes(c);

/** String#strip, by hand: a `\s+$` regex would be quadratic on long runs of blanks. */
function strip(version: string): string {
  let start = 0;
  let end = version.length;
  while (start < end && isRubySpace(version[start])) start++;
  while (end > start && isRubySpace(version[end - 1])) end--;
  return version.slice(start, end);
}

function invalidReason(version: string): string | undefined {
  const stripped = strip(version);
  if (stripped === '') return 'empty version';
  if (!VERSION_PATTERN.test(stripped)) {
    return 'not a RubyGems version (digits first, then dot-separated letters/digits, optional "-" prerelease)';
  }
  return undefined;
}

/** Character classes on UTF-16 codes (NaN past the end is neither). */
const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;
const isLetter = (code: number): boolean => (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
const HYPHEN = 0x2d;

/**
 * Gem::Version#segments: `scan(/[0-9]+|[a-z]+/i)` on the version, digit runs as integers. The
 * `-` → `.pre.` rewrite of Gem::Version#initialize is done here: each `-` yields a `pre` segment.
 */
function segments(version: string): Segment[] {
  const text = strip(version);
  const out: Segment[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const start = i;
    if (isDigit(c)) {
      while (isDigit(text.charCodeAt(i))) i++;
      out.push(numberSegment(text.slice(start, i)));
    } else if (isLetter(c)) {
      while (isLetter(text.charCodeAt(i))) i++;
      out.push(text.slice(start, i));
    } else {
      if (c === HYPHEN) out.push('pre');
      i++;
    }
  }
  return out;
}

/** Drops trailing zeros from a run of segments (`segments.reverse_each.drop_while { |s| s == 0 }`). */
function dropTrailingZeros(run: Segment[]): Segment[] {
  let end = run.length;
  while (end > 0 && isZero(run[end - 1])) end--;
  return run.slice(0, end);
}

/**
 * Gem::Version#canonical_segments: the numeric release part and the prerelease part (from the
 * first letter run on) each lose their trailing zeros, so `1.0.a.0` is `1.a`.
 */
function canonicalSegments(version: string): Segment[] {
  const all = segments(version);
  const firstString = all.findIndex((s) => typeof s === 'string');
  const split = firstString === -1 ? all.length : firstString;
  return [...dropTrailingZeros(all.slice(0, split)), ...dropTrailingZeros(all.slice(split))];
}

/** Ruby's `String#<=>`: bytewise, which for these ASCII strings is JavaScript's `<`. */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Ruby's `Integer#<=>` on digit strings without leading zeros. */
const compareDigits = (a: string, b: string): number => (a.length !== b.length ? a.length - b.length : compareText(a, b));

/** Gem::Version#<=>: missing segments are 0; a string (prerelease) sorts below any number. */
function compareCanonical(left: Segment[], right: Segment[]): number {
  const limit = Math.max(left.length, right.length);
  for (let i = 0; i < limit; i++) {
    const l = left[i] ?? ZERO;
    const r = right[i] ?? ZERO;
    const result =
      typeof l === 'string'
        ? typeof r === 'string'
          ? compareText(l, r)
          : -1
        : typeof r === 'string'
          ? 1
          : compareDigits(l.digits, r.digits);
    if (result !== 0) return result;
  }
  return 0;
}

function checked(version: string): string {
  const reason = invalidReason(version);
  if (reason !== undefined) throw new InvalidVersionError('RubyGems', version, reason);
  return version;
}

export const rubygemsComparator: VersionComparator = {
  ecosystems: ['RubyGems'],
  compare(a: string, b: string): -1 | 0 | 1 {
    return sign(compareCanonical(canonicalSegments(checked(a)), canonicalSegments(checked(b))));
  },
  isValid(version: string): boolean {
    return invalidReason(version) === undefined;
  },
};
