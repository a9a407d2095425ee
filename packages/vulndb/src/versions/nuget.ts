import type { VersionComparator } from './comparator.ts';
import { InvalidVersionError, sign } from './comparator.ts';

/**
 * NuGet versions, ordered as NuGet.Versioning's `NuGetVersion` with `VersionComparer.Default`:
 * 1 to 4 numeric parts (missing ones are 0, so `1.0` = `1.0.0.0`), then SemVer 2 release labels
 * (a release sorts above its prereleases; labels compare one by one, numeric ones numerically and
 * below alphanumeric ones, those case-insensitively); build metadata after `+` is ignored.
 *
 * One deliberate difference: NuGet keeps version parts in Int32 and rejects larger ones; the
 * vector file orders 30-digit parts, so numbers here are unbounded (only accepting more).
 * Surrounding blanks are trimmed (lenient on purpose: accepting more can only widen what is
 * matched, never hide a vulnerable version).
 */

interface NuGetVersion {
  /** The numeric parts without leading zeros ('' is 0), always four. */
  readonly parts: readonly string[];
  /** Release labels; empty for a release. */
  readonly labels: readonly string[];
}

// One branch per part, each repetition starting with a distinct separator: no catastrophic backtracking.
const IDENTIFIERS = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
const VERSION_PATTERN = new RegExp(`^([0-9]+(?:\\.[0-9]+){0,3})(?:-(${IDENTIFIERS}))?(?:\\+${IDENTIFIERS})?$`);

const stripZeros = (digits: string): string => digits.replace(/^0+/, '');

function parse(version: string): NuGetVersion {
  const text = version.trim();
  if (text === '') throw new InvalidVersionError('NuGet', version, 'empty version');
  const match = VERSION_PATTERN.exec(text);
  if (match === null) {
    throw new InvalidVersionError(
      'NuGet',
      version,
      'expected 1 to 4 dot-separated numbers, then optional "-" release labels and "+" metadata of [0-9A-Za-z-]',
    );
  }
  const numbers = (match[1] as string).split('.').map(stripZeros);
  while (numbers.length < 4) numbers.push('');
  return { parts: numbers, labels: match[2] === undefined ? [] : match[2].split('.') };
}

function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** `Int32.TryParse(label)`: labels may hold `-`, so `-5` is the number -5; past Int32 it is text. */
function asInt32(label: string): number | undefined {
  if (!/^-?[0-9]+$/.test(label)) return undefined;
  const negative = label.startsWith('-');
  const digits = stripZeros(negative ? label.slice(1) : label);
  if (digits.length > 10) return undefined;
  const value = (negative ? -1 : 1) * Number(digits || '0');
  return value >= INT32_MIN && value <= INT32_MAX ? value : undefined;
}

/** `StringComparer.OrdinalIgnoreCase`: code units after upper-casing. */
function compareIgnoreCase(a: string, b: string): number {
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** VersionComparer.CompareRelease: numeric below text, numbers numerically. */
function compareLabel(a: string, b: string): number {
  const x = asInt32(a);
  const y = asInt32(b);
  if (x !== undefined && y !== undefined) return x - y;
  if (x !== undefined) return -1;
  if (y !== undefined) return 1;
  return compareIgnoreCase(a, b);
}

/** VersionComparer.CompareReleaseLabels, plus "a release sorts above its prereleases". */
function compareLabels(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const result = compareLabel(a[i] as string, b[i] as string);
    if (result !== 0) return result;
  }
  return a.length - b.length;
}

function compareVersions(a: NuGetVersion, b: NuGetVersion): number {
  for (let i = 0; i < 4; i++) {
    const result = compareDigits(a.parts[i] as string, b.parts[i] as string);
    if (result !== 0) return result;
  }
  return compareLabels(a.labels, b.labels);
}

export const nugetComparator: VersionComparator = {
  ecosystems: ['NuGet'],
  compare(a: string, b: string): -1 | 0 | 1 {
    return sign(compareVersions(parse(a), parse(b)));
  },
  isValid(version: string): boolean {
    try {
      parse(version);
      return true;
    } catch {
      return false;
    }
  },
};
