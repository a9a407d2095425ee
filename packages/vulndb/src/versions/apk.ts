import { Buffer } from 'node:buffer';
import { InvalidVersionError, type VersionComparator } from './comparator.ts';

/**
 * Alpine (apk-tools) version comparison. A valid apk version is
 * `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}` (apk-package(5)); apk-tools'
 * `apk_version_compare` walks it token by token (digits, letter, suffix, hash, revision).
 *
 * apk itself orders malformed strings too, and its answer changed between 2.x and 3.x. The vector
 * file (OSV's reading; fixtures/version-vectors/alpine-versions.txt) fixes one answer and this
 * follows the file, not a particular apk release:
 * - a string with trailing garbage that is not `-r…` is "invalid"; two invalid strings compare as
 *   plain (UTF-8 byte) strings, an invalid one against a valid one compares by the parts parsed;
 * - after `-r…`, any remainder makes the version older than the same version without one;
 * - `_suffix` tokens are picked up wherever they appear after the letter;
 * - the commit `~hash` is ignored (it cannot be ordered).
 * Only strings nothing can order (empty, or with blanks or control characters) throw.
 */

const ECOSYSTEM = 'Alpine';

/** Suffix weights in apk's order; the bare release (no suffix) sits between `_rc` and `_cvs`. */
const SUFFIX_WEIGHT: Readonly<Record<string, number>> = { alpha: 0, beta: 1, pre: 2, rc: 3, cvs: 5, svn: 6, git: 7, hg: 8, p: 9 };
const NO_SUFFIX = { weight: 4, number: '0' } as const;

interface NumberPart {
  readonly digits: string;
  readonly index: number;
}

interface Suffix {
  readonly weight: number;
  readonly number: string;
}

export interface ApkVersion {
  readonly original: string;
  readonly numbers: readonly NumberPart[];
  readonly letter: string;
  readonly suffixes: readonly Suffix[];
  readonly revision: string;
  /** What no rule consumed after `-r#` (or the whole tail, when `invalid`). */
  readonly remainder: string;
  readonly invalid: boolean;
}

const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;

/** The leading `digits(.digits)*` of apk's grammar (a trailing '.' is consumed). */
function parseNumbers(s: string): { numbers: NumberPart[]; rest: string } {
  const numbers: NumberPart[] = [];
  let i = 0;
  while (isDigit(s.charCodeAt(i))) {
    const start = i;
    while (isDigit(s.charCodeAt(i))) i++;
    numbers.push({ digits: s.slice(start, i), index: numbers.length });
    if (s.charCodeAt(i) === 0x2e) i++;
  }
  return { numbers, rest: s.slice(i) };
}

const SUFFIX = '_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\\d*)';

function toSuffix(match: RegExpExecArray | RegExpMatchArray): Suffix {
  return { weight: SUFFIX_WEIGHT[match[1] ?? 'p'] ?? 9, number: match[2] || '0' };
}

/**
 * `_suffix{number}` tokens. Those at the front are consumed; as in the file's reading, a
 * `_suffix` found further on, after something unparsable, still counts but is not consumed (so
 * the version stays invalid).
 */
function parseSuffixes(s: string): { suffixes: Suffix[]; rest: string } {
  const suffixes: Suffix[] = [];
  const atFront = new RegExp(SUFFIX, 'y');
  let consumed = 0;
  for (let match = atFront.exec(s); match !== null; match = atFront.exec(s)) {
    suffixes.push(toSuffix(match));
    consumed = atFront.lastIndex;
  }
  const rest = s.slice(consumed);
  for (const match of rest.matchAll(new RegExp(SUFFIX, 'g'))) suffixes.push(toSuffix(match));
  return { suffixes, rest };
}

/** Parses without throwing for apk-invalid strings (they still order); throws only for unorderable ones. */
export function parseApkVersion(input: string): ApkVersion {
  if (input === '') throw new InvalidVersionError(ECOSYSTEM, input, 'version string is empty');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\s\u0000-\u001f\u007f]/.test(input)) {
    throw new InvalidVersionError(ECOSYSTEM, input, 'version contains whitespace or control characters');
  }
  const { numbers, rest: afterNumbers } = parseNumbers(input);
  const letter = /^[a-z]/.test(afterNumbers) ? afterNumbers.slice(0, 1) : '';
  const { suffixes, rest: afterSuffixes } = parseSuffixes(afterNumbers.slice(letter.length));
  const afterHash = afterSuffixes.replace(/^~[0-9a-f]+/, '');
  if (afterHash === '') return { original: input, numbers, letter, suffixes, revision: '0', remainder: '', invalid: false };
  const revision = /^-r(\d*)/.exec(afterHash);
  if (!revision) return { original: input, numbers, letter, suffixes, revision: '0', remainder: afterHash, invalid: true };
  const remainder = afterHash.slice(revision[0].length);
  return { original: input, numbers, letter, suffixes, revision: revision[1] || '0', remainder, invalid: false };
}

/** Numeric comparison of digit strings of any length (skip leading zeros, longer wins, then by digit). */
function compareInteger(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (a.charCodeAt(i) === 0x30) i++;
  while (b.charCodeAt(j) === 0x30) j++;
  const lengthDiff = a.length - i - (b.length - j);
  if (lengthDiff !== 0) return lengthDiff;
  for (; i < a.length; i++, j++) {
    const diff = a.charCodeAt(i) - b.charCodeAt(j);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Mirrors apk's digit tokens: the first number compares as an integer; a later one with a leading
 * zero compares as a string (a "fraction": `1.02` < `1.1`), so every leading-zero part sorts before
 * every part without one. A version with more numbers is newer (`1.0` > `1`), as in
 * `apk_version_compare`, where the side that still has a digit token left wins.
 */
function compareNumberPart(a: NumberPart | undefined, b: NumberPart | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  if (a.index !== 0 && (a.digits.startsWith('0') || b.digits.startsWith('0'))) {
    return a.digits < b.digits ? -1 : a.digits > b.digits ? 1 : 0;
  }
  return compareInteger(a.digits, b.digits);
}

function compareEach<T>(a: readonly T[], b: readonly T[], cmp: (x: T | undefined, y: T | undefined) => number): number {
  const n = Math.max(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const diff = cmp(a[k], b[k]);
    if (diff !== 0) return diff;
  }
  return 0;
}

function compareSuffix(a: Suffix | undefined, b: Suffix | undefined): number {
  const x = a ?? NO_SUFFIX;
  const y = b ?? NO_SUFFIX;
  return x.weight - y.weight || compareInteger(x.number, y.number);
}

/** No letter sorts before any letter (`1.2` < `1.2a`). */
function compareLetter(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '' || b === '') return a === '' ? -1 : 1;
  return a < b ? -1 : 1;
}

/** An unconsumed remainder makes a version older than the same version without one. */
function compareRemainder(a: string, b: string): number {
  if ((a === '') === (b === '')) return 0;
  return a === '' ? 1 : -1;
}

export function compareApkVersions(a: ApkVersion, b: ApkVersion): -1 | 0 | 1 {
  const diff =
    a.invalid && b.invalid
      ? Buffer.compare(Buffer.from(a.original), Buffer.from(b.original))
      : compareEach(a.numbers, b.numbers, compareNumberPart) ||
        compareLetter(a.letter, b.letter) ||
        compareEach(a.suffixes, b.suffixes, compareSuffix) ||
        compareInteger(a.revision, b.revision) ||
        compareRemainder(a.remainder, b.remainder);
  return diff < 0 ? -1 : diff > 0 ? 1 : 0;
}

export const apk: VersionComparator = {
  ecosystems: ['Alpine'],
  compare: (a, b) => compareApkVersions(parseApkVersion(a), parseApkVersion(b)),
  isValid(version) {
    try {
      parseApkVersion(version);
      return true;
    } catch (error) {
      if (error instanceof InvalidVersionError) return false;
      throw error;
    }
  },
};
