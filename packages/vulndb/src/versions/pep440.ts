import { InvalidVersionError, sign, type VersionComparator } from './comparator.ts';

/**
 * PyPI versions, ordered as Python's `packaging.version.Version` orders them (PEP 440), plus the
 * strings PEP 440 rejects but real advisories contain (`0.3m1`, `4.11-final`, `trunk`): those are
 * ordered as setuptools' historical `LegacyVersion` (packaging < 22) did, below every PEP 440
 * version. See fixtures/version-vectors/UPSTREAM-DIFFERENCES.md.
 *
 * The parser is a hand-written scanner over packaging's `VERSION_PATTERN` rather than a regex, so
 * its cost is linear in the input whatever the input is.
 */

const ECOSYSTEM = 'PyPI';

/** A PEP 440 version. Numbers are canonical digit strings (no leading zeros), so any size compares exactly. */
interface Pep440Version {
  readonly kind: 'pep440';
  readonly epoch: string;
  readonly release: readonly string[];
  readonly pre?: { readonly label: 'a' | 'b' | 'rc'; readonly number: string };
  readonly post?: string;
  readonly dev?: string;
  readonly local?: readonly LocalSegment[];
}

/** A local version segment: `packaging` makes all-digit segments ints, the rest lower-case strings. */
type LocalSegment = { readonly numeric: true; readonly value: string } | { readonly numeric: false; readonly value: string };

/** A version only the legacy (setuptools) rules can order; `key` is `_legacy_cmpkey`'s tuple. */
interface LegacyVersion {
  readonly kind: 'legacy';
  readonly key: readonly string[];
}

type ParsedVersion = Pep440Version | LegacyVersion;

// ---------------------------------------------------------------------------------------------
// Parsing PEP 440
// ---------------------------------------------------------------------------------------------

/** `packaging` spells pre-release labels several ways; longest first, as the regex alternation tries them. */
const PRE_LABELS: ReadonlyArray<readonly [string, 'a' | 'b' | 'rc']> = [
  ['alpha', 'a'],
  ['a', 'a'],
  ['beta', 'b'],
  ['b', 'b'],
  ['preview', 'rc'],
  ['pre', 'rc'],
  ['c', 'rc'],
  ['rc', 'rc'],
];
const POST_LABELS = ['post', 'rev', 'r'] as const;

const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';
const isAsciiAlnum = (ch: string | undefined): boolean => isDigit(ch) || (ch !== undefined && ch >= 'a' && ch <= 'z');
const isSeparator = (ch: string | undefined): boolean => ch === '-' || ch === '_' || ch === '.';

/** Strips leading zeros so that digit strings compare as integers by length, then lexically. */
export function canonicalNumber(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits[i] === '0') i++;
  return digits.slice(i);
}

/** Compares two canonical digit strings as (unbounded) integers. */
export function compareNumbers(a: string, b: string): -1 | 0 | 1 {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Python's `str.isspace()` set, which is what `\s` matches in packaging's `^\s*…\s*$`: wider than
 * JavaScript's `trim()` (it includes U+001C–U+001F and U+0085, and excludes U+FEFF).
 */
function isPythonSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    (code >= 0x1c && code <= 0x20) ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

function stripPythonSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPythonSpace(s.charCodeAt(start))) start++;
  while (end > start && isPythonSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** Lower-cases ASCII letters only: the PEP 440 grammar is ASCII, and `toLowerCase` could turn other letters into ASCII. */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
}

/** A cursor over the (ASCII-lower-cased) input; every method consumes only on success. */
class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }
  peek(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }
  eat(literal: string): boolean {
    if (!this.text.startsWith(literal, this.pos)) return false;
    this.pos += literal.length;
    return true;
  }
  /** `[-_\.]?` */
  eatSeparator(): void {
    if (isSeparator(this.peek())) this.pos++;
  }
  /** `[0-9]+`, canonicalised; undefined (nothing consumed) when no digit is next. */
  digits(): string | undefined {
    const start = this.pos;
    while (isDigit(this.peek())) this.pos++;
    return this.pos === start ? undefined : canonicalNumber(this.text.slice(start, this.pos));
  }
}

/**
 * Mirrors packaging's `VERSION_PATTERN` section by section. Each optional section either matches
 * whole or leaves the cursor where it was. The regex can backtrack, but no backtracking ever
 * yields a different match here: a section's trailing `[-_\.]?` could equally be taken by the
 * next section's leading one, and an alternative label (`a` after `alpha`, `r` after `rev`) leaves
 * letters no later section accepts.
 */
function parsePep440(input: string): Pep440Version | undefined {
  const s = new Scanner(asciiLower(stripPythonSpace(input)));
  s.eat('v');
  let epoch = '0';
  let first = s.digits();
  if (first === undefined) return undefined;
  if (s.eat('!')) {
    epoch = first;
    first = s.digits();
    if (first === undefined) return undefined;
  }
  const release = [first];
  while (s.peek() === '.' && isDigit(s.peek(1))) {
    s.pos++;
    release.push(s.digits() ?? '0');
  }
  const pre = parsePre(s);
  const post = parsePost(s);
  const dev = parseDev(s);
  const local = parseLocal(s);
  if (local === null || !s.atEnd) return undefined;
  return { kind: 'pep440', epoch, release, pre, post, dev, local };
}

/** `[-_\.]?(alpha|a|beta|b|preview|pre|c|rc)[-_\.]?([0-9]+)?` — a missing number means 0 (`_parse_letter_version`). */
function parsePre(s: Scanner): Pep440Version['pre'] {
  const start = s.pos;
  s.eatSeparator();
  const label = PRE_LABELS.find(([spelling]) => s.eat(spelling));
  if (!label) {
    s.pos = start;
    return undefined;
  }
  s.eatSeparator();
  return { label: label[1], number: s.digits() ?? '0' };
}

/** `-([0-9]+)` (the implicit post release `1.0-1`) or `[-_\.]?(post|rev|r)[-_\.]?([0-9]+)?`. */
function parsePost(s: Scanner): string | undefined {
  const start = s.pos;
  if (s.peek() === '-' && isDigit(s.peek(1))) {
    s.pos++;
    return s.digits();
  }
  s.eatSeparator();
  if (!POST_LABELS.some((spelling) => s.eat(spelling))) {
    s.pos = start;
    return undefined;
  }
  s.eatSeparator();
  return s.digits() ?? '0';
}

/** `[-_\.]?dev[-_\.]?([0-9]+)?` */
function parseDev(s: Scanner): string | undefined {
  const start = s.pos;
  s.eatSeparator();
  if (!s.eat('dev')) {
    s.pos = start;
    return undefined;
  }
  s.eatSeparator();
  return s.digits() ?? '0';
}

/**
 * `\+([a-z0-9]+(?:[-_\.][a-z0-9]+)*)`; null when a `+` starts a malformed local part. Segments
 * become ints when all digits, as `_parse_local_version` does (so `+a.01` equals `+a.1`).
 */
function parseLocal(s: Scanner): LocalSegment[] | undefined | null {
  if (!s.eat('+')) return undefined;
  const segments: LocalSegment[] = [];
  for (;;) {
    const start = s.pos;
    let numeric = true;
    for (let ch = s.peek(); isAsciiAlnum(ch); ch = s.peek()) {
      numeric &&= isDigit(ch);
      s.pos++;
    }
    if (s.pos === start) return null;
    const text = s.text.slice(start, s.pos);
    segments.push(numeric ? { numeric: true, value: canonicalNumber(text) } : { numeric: false, value: text });
    if (!(isSeparator(s.peek()) && isAsciiAlnum(s.peek(1)))) return segments;
    s.pos++;
  }
}

// ---------------------------------------------------------------------------------------------
// Legacy versions (packaging < 22, `LegacyVersion` / `_legacy_cmpkey`)
// ---------------------------------------------------------------------------------------------

/**
 * `_legacy_version_replacement_map`, applied together with `_parse_version_parts`' `*` prefix
 * (the constants also spare a string allocation per `-`, the commonest chunk).
 */
const LEGACY_REPLACED_PARTS: ReadonlyMap<string, string> = new Map([
  ['pre', '*c'],
  ['preview', '*c'],
  ['-', '*final-'],
  ['rc', '*c'],
  ['dev', '*@'],
  ['.', ''], // dropped, as `_parse_version_parts` drops "." and empty parts
]);

/** Python's `\d` in a str pattern: any Unicode decimal digit. */
const UNICODE_DIGIT = /\p{Nd}/u;

type LegacyTokenClass = 'digit' | 'letter' | 'dot' | 'dash' | 'other';

function legacyClass(code: number): LegacyTokenClass {
  if (code >= 0x61 && code <= 0x7a) return 'letter';
  if (code >= 0x30 && code <= 0x39) return 'digit';
  if (code === 0x2e) return 'dot';
  if (code === 0x2d) return 'dash';
  return code < 0x80 || !UNICODE_DIGIT.test(String.fromCodePoint(code)) ? 'other' : 'digit';
}

/**
 * `_legacy_version_component_re.split(s)` for `(\d+|[a-z]+|\.|-)`: runs of digits, runs of
 * letters, each `.` and `-` on its own, and whatever lies between those matches as one chunk.
 */
function splitLegacy(s: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let previous: LegacyTokenClass | undefined;
  for (let i = 0; i < s.length; ) {
    const code = s.codePointAt(i) ?? 0;
    const current = legacyClass(code);
    const joins = current === previous && current !== 'dot' && current !== 'dash';
    if (i > start && !joins) {
      parts.push(s.slice(start, i));
      start = i;
    }
    previous = current;
    i += code > 0xffff ? 2 : 1;
  }
  if (start < s.length) parts.push(s.slice(start));
  return parts;
}

/** `_parse_version_parts` for one chunk: numbers zero-padded to 8 for string comparison, the rest prefixed `*`. */
function legacyPart(raw: string): string | undefined {
  const first = raw.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) return zfill(raw, 8); // no replacement key starts with a digit
  const replaced = LEGACY_REPLACED_PARTS.get(raw);
  if (replaced !== undefined) return replaced === '' ? undefined : replaced;
  return `*${raw}`; // `split` yields no empty chunk here, so none needs dropping
}

/** Python's `str.zfill` for an unsigned digit string (width counted in code points). */
function zfill(part: string, width: number): string {
  let length = 0; // code points, counted up to `width`: every UTF-16 unit but a low surrogate starts one
  for (let i = 0; i < part.length && length < width; i++) {
    const unit = part.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) length++;
  }
  return length >= width ? part : '0'.repeat(width - length) + part;
}

/** The loop body of `_legacy_cmpkey`. */
function pushLegacyPart(parts: string[], part: string): void {
  if (part.startsWith('*')) {
    // remove "-" before a prerelease tag
    if (compareCodePoints(part, '*final') < 0) while (parts[parts.length - 1] === '*final-') parts.pop();
    // remove trailing zeros from each series of numeric parts
    while (parts[parts.length - 1] === '00000000') parts.pop();
  }
  parts.push(part);
}

/** `_legacy_cmpkey` without its constant epoch of -1 (which is what puts legacy below PEP 440). */
function legacyKey(version: string): string[] {
  const parts: string[] = [];
  for (const raw of splitLegacy(version.toLowerCase())) {
    const part = legacyPart(raw);
    if (part !== undefined) pushLegacyPart(parts, part);
  }
  // "ensure that alpha/beta/candidate are before final"
  pushLegacyPart(parts, '*final');
  return parts;
}

/**
 * Which non-PEP 440 strings Vigil orders at all. `LegacyVersion` accepted anything, but an empty
 * string, one with whitespace or control characters, or one without a single letter or digit is
 * not a version an advisory means: those are errors, not something to guess an order for.
 */
function legacyProblem(version: string): string | undefined {
  if (stripPythonSpace(version) === '') return 'empty version';
  if (/[\p{White_Space}\p{Cc}]/u.test(version)) return 'not PEP 440, and a legacy version may not contain whitespace or control characters';
  if (!/[0-9A-Za-z]/.test(version)) return 'not PEP 440, and a legacy version needs at least one ASCII letter or digit';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

/**
 * Python compares str by code point; JavaScript's `<` compares UTF-16 units, which disagrees only
 * where a surrogate (an astral code point) meets a unit in U+E000–U+FFFF. Shifting units as ICU's
 * code-point-order comparison does fixes that without decoding the strings.
 */
function compareCodePoints(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixUpSurrogateOrder(x) < fixUpSurrogateOrder(y) ? -1 : 1;
  }
  return sign(a.length - b.length);
}

function fixUpSurrogateOrder(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** Python tuple ordering: the first differing element decides, else the shorter tuple is smaller. */
function compareTuples<T>(a: readonly T[], b: readonly T[], compareItem: (x: T, y: T) => -1 | 0 | 1): -1 | 0 | 1 {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareItem(a[i] as T, b[i] as T);
    if (c !== 0) return c;
  }
  return sign(a.length - b.length);
}

/** `_cmpkey` strips trailing zeros from the release, so `1.0` equals `1.0.0`. */
function trimmedRelease(release: readonly string[]): readonly string[] {
  let end = release.length;
  while (end > 0 && release[end - 1] === '0') end--;
  return release.slice(0, end);
}

/** Ranks for `_cmpkey`'s Infinity / NegativeInfinity stand-ins: below, a real value, above. */
const BELOW = -1;
const VALUE = 0;
const ABOVE = 1;

function compareRanked<T>(rankA: number, rankB: number, a: T | undefined, b: T | undefined, cmp: (x: T, y: T) => -1 | 0 | 1): -1 | 0 | 1 {
  if (rankA !== rankB) return sign(rankA - rankB);
  return rankA === VALUE && a !== undefined && b !== undefined ? cmp(a, b) : 0;
}

/**
 * The pre-release part of `_cmpkey`: a version with only a dev release sorts before any
 * pre-release of the same release (`1.0.dev0 < 1.0a0`), and a final release after all of them.
 */
function preRank(v: Pep440Version): number {
  if (v.pre) return VALUE;
  return v.post === undefined && v.dev !== undefined ? BELOW : ABOVE;
}

function comparePre(a: NonNullable<Pep440Version['pre']>, b: NonNullable<Pep440Version['pre']>): -1 | 0 | 1 {
  if (a.label !== b.label) return a.label < b.label ? -1 : 1; // 'a' < 'b' < 'rc'
  return compareNumbers(a.number, b.number);
}

/** `_cmpkey` local rule: ints sort above strings, ints numerically, strings lexically. */
function compareLocalSegments(a: LocalSegment, b: LocalSegment): -1 | 0 | 1 {
  if (a.numeric !== b.numeric) return a.numeric ? 1 : -1;
  return a.numeric ? compareNumbers(a.value, b.value) : compareCodePoints(a.value, b.value);
}

/** `packaging.version.Version` ordering, field by field as `_cmpkey` builds its tuple. */
function comparePep440(a: Pep440Version, b: Pep440Version): -1 | 0 | 1 {
  return (
    compareNumbers(a.epoch, b.epoch) ||
    compareTuples(trimmedRelease(a.release), trimmedRelease(b.release), compareNumbers) ||
    compareRanked(preRank(a), preRank(b), a.pre, b.pre, comparePre) ||
    compareRanked(a.post === undefined ? BELOW : VALUE, b.post === undefined ? BELOW : VALUE, a.post, b.post, compareNumbers) ||
    compareRanked(a.dev === undefined ? ABOVE : VALUE, b.dev === undefined ? ABOVE : VALUE, a.dev, b.dev, compareNumbers) ||
    compareRanked(a.local === undefined ? BELOW : VALUE, b.local === undefined ? BELOW : VALUE, a.local, b.local, (x, y) =>
      compareTuples(x, y, compareLocalSegments),
    )
  );
}

function compareParsed(a: ParsedVersion, b: ParsedVersion): -1 | 0 | 1 {
  if (a.kind === 'legacy' || b.kind === 'legacy') {
    // Legacy keys carry epoch -1: below every PEP 440 version (whose epoch is >= 0).
    if (a.kind !== b.kind) return a.kind === 'legacy' ? -1 : 1;
    return compareTuples((a as LegacyVersion).key, (b as LegacyVersion).key, compareCodePoints);
  }
  return comparePep440(a, b);
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

function parse(version: string): ParsedVersion | InvalidVersionError {
  const pep440 = parsePep440(version);
  if (pep440) return pep440;
  const problem = legacyProblem(version);
  if (problem) return new InvalidVersionError(ECOSYSTEM, version, problem);
  return { kind: 'legacy', key: legacyKey(version) };
}

function parseOrThrow(version: string): ParsedVersion {
  const parsed = parse(version);
  if (parsed instanceof InvalidVersionError) throw parsed;
  return parsed;
}

/**
 * Whether `version` is ordered by the legacy (pre-PEP 440 setuptools) rules: true for a string
 * PEP 440 rejects but Vigil still orders (`0.3m1`, `trunk`); false for a PEP 440 version and for
 * a string that cannot be ordered at all (see `isValid`). A finding that uses a legacy version
 * should say so: modern `packaging` would refuse it.
 */
export function isLegacy(version: string): boolean {
  const parsed = parse(version);
  return !(parsed instanceof InvalidVersionError) && parsed.kind === 'legacy';
}

export const pep440Comparator: VersionComparator = {
  ecosystems: [ECOSYSTEM],
  compare(a: string, b: string): -1 | 0 | 1 {
    return compareParsed(parseOrThrow(a), parseOrThrow(b));
  },
  isValid(version: string): boolean {
    return !(parse(version) instanceof InvalidVersionError);
  },
};
