import { InvalidVersionError, type VersionComparator } from './comparator.ts';

/**
 * SemVer 2.0.0 precedence (https://semver.org/#spec-item-11), as node-semver's `compare`, the
 * Rust `semver` crate and Elixir's `Version.compare` apply it, with the tolerances OSV's vector
 * file encodes (fixtures/version-vectors/UPSTREAM-DIFFERENCES.md):
 *
 * - a leading `v` is ignored (`v1.2.3` = `1.2.3`);
 * - numbers of any length compare as integers (30-digit components are fine);
 * - dot-separated numeric components after the patch number (`1.1.3.4.5`) are accepted and, as
 *   OSV reads them ("anything after the first three components is part of the build string"),
 *   ignored for ordering like build metadata: `1.1.3.4.5` = `1.1.3` = `1.1.3.9`. A pre-release or
 *   build may still follow them (`1.1.3.4-beta` = `1.1.3-beta`). The strict tools reject these
 *   strings; ordering them by their first three numbers is what advisories using them mean.
 * - a bare `MAJOR` or `MAJOR.MINOR` (the file has `999…991 < 999…999`) reads as `MAJOR.0.0` /
 *   `MAJOR.MINOR.0`, as x/mod/semver's shorthands do; as there, a shorthand takes no pre-release
 *   or build (`1.2-beta` is invalid).
 *
 * Everything else SemVer forbids is an error: leading zeros in a
 * number or numeric pre-release identifier, empty identifiers, characters outside [0-9A-Za-z-].
 */

/** Major, minor, patch and pre-release identifiers; build metadata never affects order, so is not kept. */
export interface SemverParts {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  readonly prerelease: readonly string[];
}

const isDigitCode = (code: number): boolean => code >= 0x30 && code <= 0x39;

/** SemVer's identifier alphabet, [0-9A-Za-z-]. */
export function isIdentifierChar(code: number): boolean {
  return isDigitCode(code) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x2d;
}

export function isNumeric(identifier: string): boolean {
  if (identifier === '') return false;
  for (let i = 0; i < identifier.length; i++) if (!isDigitCode(identifier.charCodeAt(i))) return false;
  return true;
}

/** Compares digit strings without leading zeros as unbounded integers: by length, then lexically (x/mod/semver `compareInt`). */
export function compareIntegers(a: string, b: string): -1 | 0 | 1 {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * SemVer rule 11.3–11.4 (x/mod/semver `comparePrerelease`, node-semver `comparePre`): no
 * pre-release sorts above any pre-release; identifiers compare left to right, numeric ones as
 * integers and below alphanumeric ones, alphanumeric ones in ASCII order; a longer list wins a tie.
 */
export function comparePrerelease(a: readonly string[], b: readonly string[]): -1 | 0 | 1 {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifiers(a[i] ?? '', b[i] ?? '');
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function compareIdentifiers(x: string, y: string): -1 | 0 | 1 {
  if (x === y) return 0;
  const xNumeric = isNumeric(x);
  const yNumeric = isNumeric(y);
  if (xNumeric !== yNumeric) return xNumeric ? -1 : 1;
  if (xNumeric) return compareIntegers(x, y);
  return x < y ? -1 : 1; // ASCII-only strings: UTF-16 order is ASCII order
}

/** Precedence of two parsed versions: major, minor, patch, then pre-release. */
export function compareSemverParts(a: SemverParts, b: SemverParts): -1 | 0 | 1 {
  return (
    compareIntegers(a.major, b.major) ||
    compareIntegers(a.minor, b.minor) ||
    compareIntegers(a.patch, b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

/**
 * A small scanner for SemVer's grammar, shared with the Go comparator. Each method returns a
 * problem description (a string) or the parsed piece; nothing here backtracks, so parsing is linear.
 */
export class SemverScanner {
  pos = 0;
  constructor(readonly text: string) {}

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string | undefined {
    return this.text[this.pos];
  }
  eat(ch: string): boolean {
    if (this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }
  peekIsDigit(offset = 0): boolean {
    return this.pos + offset < this.text.length && isDigitCode(this.text.charCodeAt(this.pos + offset));
  }

  /** A version number: digits, no leading zero unless it is `0`. */
  number(what: string): string | { problem: string } {
    const start = this.pos;
    while (this.peekIsDigit()) this.pos++;
    const digits = this.text.slice(start, this.pos);
    if (digits === '') return { problem: `expected the ${what} number at offset ${start}` };
    if (digits.length > 1 && digits[0] === '0') return { problem: `the ${what} number ${digits} has a leading zero` };
    return digits;
  }

  /** Dot-separated identifiers up to `stop` (or the end); pre-release numbers may not have leading zeros. */
  identifiers(what: 'pre-release' | 'build', stop: string | undefined): string[] | { problem: string } {
    const identifiers: string[] = [];
    let start = this.pos;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined || ch === stop || ch === '.') {
        const identifier = this.text.slice(start, this.pos);
        if (identifier === '') return { problem: `empty ${what} identifier at offset ${start}` };
        if (what === 'pre-release' && identifier.length > 1 && identifier[0] === '0' && isNumeric(identifier)) {
          return { problem: `numeric pre-release identifier ${identifier} has a leading zero` };
        }
        identifiers.push(identifier);
        if (ch !== '.') return identifiers;
        this.pos++;
        start = this.pos;
      } else if (isIdentifierChar(this.text.charCodeAt(this.pos))) {
        this.pos++;
      } else {
        return { problem: `character ${JSON.stringify(ch)} at offset ${this.pos} is not allowed in a ${what} identifier` };
      }
    }
  }

  /** OSV's tolerance: `.N` components after the patch number, skipped (they order like build metadata). */
  skipExtraComponents(): void {
    while (this.text[this.pos] === '.' && this.peekIsDigit(1)) {
      this.pos++;
      while (this.peekIsDigit()) this.pos++;
    }
  }

  /** `[-prerelease][+build]` then the end of the string. */
  tail(): readonly string[] | { problem: string } {
    let prerelease: readonly string[] = [];
    if (this.eat('-')) {
      const parsed = this.identifiers('pre-release', '+');
      if ('problem' in parsed) return parsed;
      prerelease = parsed;
    }
    if (this.eat('+')) {
      const parsed = this.identifiers('build', undefined);
      if ('problem' in parsed) return parsed;
    }
    if (!this.atEnd) return { problem: `unexpected ${JSON.stringify(this.peek())} at offset ${this.pos}` };
    return prerelease;
  }
}

function parseSemver(version: string): SemverParts | { problem: string } {
  if (version === '') return { problem: 'empty version' };
  const s = new SemverScanner(version);
  s.eat('v');
  const major = s.number('major');
  if (typeof major !== 'string') return major;
  if (s.atEnd) return { major, minor: '0', patch: '0', prerelease: [] };
  if (!s.eat('.')) return { problem: `expected MAJOR.MINOR.PATCH, found ${JSON.stringify(s.peek())} after the major number` };
  const minor = s.number('minor');
  if (typeof minor !== 'string') return minor;
  if (s.atEnd) return { major, minor, patch: '0', prerelease: [] };
  if (!s.eat('.')) return { problem: `expected MAJOR.MINOR.PATCH, found ${JSON.stringify(s.peek())} after the minor number` };
  const patch = s.number('patch');
  if (typeof patch !== 'string') return patch;
  s.skipExtraComponents();
  const prerelease = s.tail();
  if ('problem' in prerelease) return prerelease;
  return { major, minor, patch, prerelease };
}

/** Builds a comparator from a parser; shared by the SemVer and Go comparators. `errorLabel` names the grammar in errors. */
export function comparatorFrom(
  ecosystems: readonly string[],
  errorLabel: string,
  parse: (version: string) => SemverParts | { problem: string },
): VersionComparator {
  const parseOrThrow = (version: string): SemverParts => {
    const parsed = parse(version);
    if ('problem' in parsed) throw new InvalidVersionError(errorLabel, version, parsed.problem);
    return parsed;
  };
  return {
    ecosystems,
    compare: (a, b) => compareSemverParts(parseOrThrow(a), parseOrThrow(b)),
    isValid: (version) => !('problem' in parse(version)),
  };
}

export const semverComparator: VersionComparator = comparatorFrom(['npm', 'crates.io', 'Hex'], 'SemVer', parseSemver);
