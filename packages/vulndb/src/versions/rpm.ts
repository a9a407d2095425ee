import { InvalidVersionError, type VersionComparator } from './comparator.ts';

/**
 * RPM version comparison: rpm's `rpmvercmp` (rpmio/rpmvercmp.c) applied to epoch, version and
 * release in turn, as `rpmVersionCompare`/python's `labelCompare` do, with the string split into
 * [epoch:]version[-release] the way rpm's `parseEVR` splits it.
 *
 * Like labelCompare (checked against python3-rpm with /work/shared/tools/refcmp.sh), a missing
 * epoch is 0 (`1.0` = `0:1.0`) and a missing release sorts before any present one, even an empty
 * one (`1` < `1-` < `1-0`).
 *
 * Where the vector file (OSV's reading, see fixtures/version-vectors/UPSTREAM-DIFFERENCES.md)
 * orders strings rpm rejects, this follows the file: a colon that does not end a leading run of
 * digits is not an epoch separator but part of the version (`+2-:1` > `+1-:1`, `a:1` < `b:1`), as
 * parseEVR splits it before rpm's later checks reject it.
 */

const ECOSYSTEM = 'Red Hat';

export interface Evr {
  /** The epoch's digits ('0' when absent); compared with rpmvercmp, so leading zeros do not matter. */
  readonly epoch: string;
  readonly version: string;
  /** undefined when the string has no '-'. */
  readonly release: string | undefined;
}

/**
 * Splits like rpm's `parseEVR`: an epoch is a (possibly empty) run of leading digits followed by
 * ':'; the release is everything after the last '-'. Throws for strings nothing can order.
 */
export function parseEvr(input: string): Evr {
  const fail = (reason: string): never => {
    throw new InvalidVersionError(ECOSYSTEM, input, reason);
  };
  if (input === '') fail('version string is empty');
  // rpm's spec parser rejects blanks and control characters in EVR fields; so do we.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\s\u0000-\u001f\u007f]/.test(input)) fail('version contains whitespace or control characters');

  const epochMatch = /^([0-9]*):/.exec(input);
  const epoch = epochMatch?.[1] || '0';
  const rest = epochMatch ? input.slice(epochMatch[0].length) : input;
  const hyphen = rest.lastIndexOf('-');
  const version = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const release = hyphen >= 0 ? rest.slice(hyphen + 1) : undefined;
  if (version === '') fail('version part (between epoch and release) is empty');
  return { epoch, version, release };
}

const TILDE = 0x7e;
const CARET = 0x5e;

/** How rpmvercmp sees a character. Only ASCII letters and digits form segments (`risalnum`). */
const SEPARATOR = 0;
const DIGIT = 1;
const ALPHA = 2;
const TILDE_CLASS = 3;
const CARET_CLASS = 4;
type CharClass = typeof SEPARATOR | typeof DIGIT | typeof ALPHA | typeof TILDE_CLASS | typeof CARET_CLASS;

function charClass(code: number): CharClass {
  if (code >= 0x30 && code <= 0x39) return DIGIT;
  if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return ALPHA;
  if (code === TILDE) return TILDE_CLASS;
  if (code === CARET) return CARET_CLASS;
  return SEPARATOR;
}

/** strcmp of a[i..endA) and b[j..endB) without copying them. */
function compareRange(a: string, i: number, endA: number, b: string, j: number, endB: number): -1 | 0 | 1 {
  for (; i < endA && j < endB; i++, j++) {
    const diff = a.charCodeAt(i) - b.charCodeAt(j);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  const lengthDiff = endA - i - (endB - j);
  return lengthDiff < 0 ? -1 : lengthDiff > 0 ? 1 : 0;
}

/**
 * Compares two digit runs numerically without converting them (so no run can overflow): skip
 * leading zeros, the longer run wins, then strcmp — rpmvercmp's own steps.
 */
function compareNumeric(a: string, i: number, endA: number, b: string, j: number, endB: number): -1 | 0 | 1 {
  while (i < endA && a.charCodeAt(i) === 0x30) i++;
  while (j < endB && b.charCodeAt(j) === 0x30) j++;
  const lengthDiff = endA - i - (endB - j);
  if (lengthDiff !== 0) return lengthDiff < 0 ? -1 : 1;
  return compareRange(a, i, endA, b, j, endB);
}

/** The end of the run of `cls` characters starting at `from`. */
function runEnd(s: string, from: number, cls: CharClass): number {
  let end = from;
  while (end < s.length && charClass(s.charCodeAt(end)) === cls) end++;
  return end;
}

/**
 * rpm's `rpmvercmp`: skip separators, then '~' sorts before anything (even the end), '^' sorts
 * after the end but before anything else; otherwise compare one digit or letter segment of each
 * side (a numeric segment is newer than an alphabetic one); whichever side has segments left wins.
 */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    i = runEnd(a, i, SEPARATOR);
    j = runEnd(b, j, SEPARATOR);
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);

    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;

    const kind = charClass(ca);
    const numeric = kind === DIGIT;
    const endA = runEnd(a, i, kind);
    const endB = runEnd(b, j, kind);
    // b's segment is empty when it is of the other kind: numeric segments are newer.
    if (endB === j) return numeric ? 1 : -1;
    const diff = numeric ? compareNumeric(a, i, endA, b, j, endB) : compareRange(a, i, endA, b, j, endB);
    if (diff !== 0) return diff;
    i = endA;
    j = endB;
  }
  const aLeft = i < a.length;
  const bLeft = j < b.length;
  return aLeft === bLeft ? 0 : aLeft ? 1 : -1;
}

/** A missing release sorts before a present one (the vector file's rule); else rpmvercmp. */
function compareRelease(a: string | undefined, b: string | undefined): -1 | 0 | 1 {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return rpmvercmp(a, b);
}

/** rpm's `rpmVersionCompare` order: epoch, version, release. */
export function compareEvr(a: Evr, b: Evr): -1 | 0 | 1 {
  return rpmvercmp(a.epoch, b.epoch) || rpmvercmp(a.version, b.version) || compareRelease(a.release, b.release);
}

export const rpm: VersionComparator = {
  ecosystems: ['Red Hat', 'Rocky Linux', 'AlmaLinux', 'Fedora', 'openSUSE', 'SUSE', 'Mageia', 'openEuler'],
  compare: (a, b) => compareEvr(parseEvr(a), parseEvr(b)),
  isValid(version) {
    try {
      parseEvr(version);
      return true;
    } catch (error) {
      if (error instanceof InvalidVersionError) return false;
      throw error;
    }
  },
};
