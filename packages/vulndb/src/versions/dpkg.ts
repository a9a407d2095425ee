import { InvalidVersionError, sign, type VersionComparator } from './comparator.ts';

/**
 * Debian/Ubuntu version comparison, mirroring dpkg's lib/dpkg/version.c (`dpkg_version_compare`,
 * `verrevcmp`, `order`) and lib/dpkg/parsehelp.c (`parseversion`).
 *
 * Validation is stricter than dpkg in one documented way: dpkg only *warns* about an upstream
 * version that does not start with a digit or that contains a character outside the allowed set,
 * and still compares it. Debian policy forbids both, no advisory in the vector files needs them,
 * and silently ordering such a string could hide a wrong match, so here they throw.
 */

const ECOSYSTEM = 'Debian';

/** The largest epoch dpkg accepts (`INT_MAX`; parseversion: "epoch in version is too big"). */
const MAX_EPOCH = 2147483647;

export interface DpkgVersion {
  readonly epoch: number;
  readonly upstream: string;
  /** '' when the version has no `-revision` (dpkg compares a missing revision as '', like `-0`). */
  readonly revision: string;
}

const UPSTREAM_CHARS = /^[A-Za-z0-9.+~:-]*$/;
const REVISION_CHARS = /^[A-Za-z0-9.+~]*$/;

const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;
const isAlpha = (code: number): boolean => (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);

/** Not a closure inside the parser: comparisons parse versions in hot loops. */
function failParse(input: string, reason: string): never {
  throw new InvalidVersionError(ECOSYSTEM, input, reason);
}

/**
 * Splits and validates like dpkg's `parseversion`: the epoch is everything before the first ':',
 * the revision everything after the last '-'. Throws InvalidVersionError with dpkg's reason.
 */
export function parseDpkgVersion(input: string): DpkgVersion {
  // dpkg skips leading and trailing blanks but rejects blanks inside the string.
  const text = input.trim();
  if (text === '') failParse(input, 'version string is empty');
  if (/\s/.test(text)) failParse(input, 'version string has embedded spaces');

  let epoch = 0;
  let rest = text;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const epochText = text.slice(0, colon);
    if (epochText === '') failParse(input, 'epoch in version is empty');
    // dpkg uses strtol, which would also take a sign or blanks; an epoch is a plain number.
    if (!/^[0-9]+$/.test(epochText)) failParse(input, 'epoch in version is not number');
    const digits = epochText.replace(/^0+(?=.)/, '');
    if (digits.length > 10 || Number(digits) > MAX_EPOCH) failParse(input, 'epoch in version is too big');
    epoch = Number(digits);
    rest = text.slice(colon + 1);
    if (rest === '') failParse(input, 'nothing after colon in version number');
  }

  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') failParse(input, 'revision number is empty');
  }
  if (upstream === '') failParse(input, 'version number is empty');
  if (!isDigit(upstream.charCodeAt(0))) failParse(input, 'version number does not start with digit');
  if (!UPSTREAM_CHARS.test(upstream)) failParse(input, 'invalid character in version number');
  if (!REVISION_CHARS.test(revision)) failParse(input, 'invalid character in revision number');
  return { epoch, upstream, revision };
}

/**
 * dpkg's `order`: the weight of one non-digit character. '~' sorts before everything, even the
 * end of the string (0); letters sort before all other characters (shifted up by 256).
 */
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const code = s.charCodeAt(i);
  if (isDigit(code)) return 0;
  if (isAlpha(code)) return code;
  if (code === 0x7e) return -1;
  return code + 256;
}

/**
 * dpkg's `verrevcmp`: alternating non-digit runs (compared by `order`, char by char) and digit
 * runs (compared numerically). Digit runs are compared as strings without leading zeros — longer
 * is larger, then the first differing digit decides — so no run can overflow. Linear time.
 */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const diff = order(a, i) - order(b, j);
      if (diff !== 0) return diff;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 0x30) i++;
    while (b.charCodeAt(j) === 0x30) j++;
    let firstDiff = 0;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** dpkg's `dpkg_version_compare`: epoch, then upstream version, then revision. */
export function compareDpkgVersions(a: DpkgVersion, b: DpkgVersion): -1 | 0 | 1 {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return sign(verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision));
}

export const dpkg: VersionComparator = {
  ecosystems: ['Debian', 'Ubuntu'],
  compare: (a, b) => compareDpkgVersions(parseDpkgVersion(a), parseDpkgVersion(b)),
  isValid(version) {
    try {
      parseDpkgVersion(version);
      return true;
    } catch (error) {
      if (error instanceof InvalidVersionError) return false;
      throw error;
    }
  },
};
