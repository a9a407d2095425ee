import { quote } from './model.ts';

/**
 * Composer version constraints as security-advisory feeds write them (`<=4.0.0`, `<5.3.2`,
 * `>=1.0,<=1.2`, `<1.0|>=2.0,<=2.1`), read into OR-ed intervals. Only the part of Composer's
 * grammar that says a plain interval is read; anything else is refused with a ConstraintError,
 * never guessed at.
 *
 * Read:
 * - OR: `|` or `||`, blanks around allowed;
 * - AND: `,` or blanks between terms (`>=1.0 <2.0`), as Composer allows;
 * - terms: `<`, `<=`, `>`, `>=` followed by a version (blanks between allowed: `>= 1.0`), `=x`,
 *   `==x` or a bare `x` (exactly that version), and `*` alone (every version);
 * - at most one lower and one upper bound per AND group (an exact version is both): without the
 *   ecosystem's order, `>=1.0,>=1.1` cannot be reduced, and real feeds never write it.
 * Refused: `!=`/`<>`, `~`, `^`, wildcards (`1.2.*`, `1.x`), hyphen ranges (`1.0 - 2.0`), `as`
 * aliases, `@stability` flags, `dev-` branches, empty alternatives (`a||`, `a|||b`), characters
 * outside `[A-Za-z0-9._+-]` in a version, and constraints longer than MAX_CONSTRAINT_LENGTH.
 *
 * Versions are kept as written: whether the ecosystem can order them, and whether an interval is
 * empty, is for the caller to decide with the ecosystem's comparator (see normaliseIntervals).
 * The scan is a single pass over the characters (no regular expressions), so time is linear.
 */

export const MAX_CONSTRAINT_LENGTH = 16_384;

export interface ConstraintBound {
  version: string;
  inclusive: boolean;
}

/** One interval; a missing bound is unbounded on that side (`{}` is every version). */
export interface ConstraintInterval {
  lower?: ConstraintBound;
  upper?: ConstraintBound;
}

export class ConstraintError extends Error {
  constructor(
    readonly constraint: string,
    readonly reason: string,
  ) {
    super(`cannot read constraint ${quote(constraint)}: ${reason}`);
    this.name = 'ConstraintError';
  }
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

const isAlnum = (c: string | undefined): boolean =>
  c !== undefined && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));

const isVersionChar = (c: string | undefined): boolean => isAlnum(c) || c === '.' || c === '_' || c === '+' || c === '-';

const OPERATOR_CHARS = '<>=!~^';

/** The OR-ed intervals of a Composer constraint, in the order written; ConstraintError when any part cannot be read. */
export function parseComposerConstraint(constraint: string): ConstraintInterval[] {
  if (typeof constraint !== 'string') throw new ConstraintError(String(constraint), 'not a string');
  if (constraint.length > MAX_CONSTRAINT_LENGTH) {
    throw new ConstraintError(constraint, `longer than ${MAX_CONSTRAINT_LENGTH} characters`);
  }
  const fail = (reason: string): never => {
    throw new ConstraintError(constraint, reason);
  };
  const alternatives: string[] = [];
  let start = 0;
  for (let i = 0; i <= constraint.length; i++) {
    if (i < constraint.length && constraint[i] !== '|') continue;
    alternatives.push(constraint.slice(start, i));
    // `||` is one OR, the same as `|`.
    if (constraint[i + 1] === '|') i++;
    start = i + 1;
  }
  return alternatives.map((alternative, index) => {
    if (alternative.trim() === '') fail(alternatives.length === 1 ? 'empty constraint' : `alternative ${index + 1} is empty`);
    return parseConjunction(alternative, fail);
  });
}

/** One AND group: terms separated by `,` or blanks. */
function parseConjunction(text: string, fail: (reason: string) => never): ConstraintInterval {
  const interval: ConstraintInterval = {};
  const setLower = (bound: ConstraintBound, term: string): void => {
    if (interval.lower) fail(`more than one lower bound in one AND group (at ${quote(term)})`);
    interval.lower = bound;
  };
  const setUpper = (bound: ConstraintBound, term: string): void => {
    if (interval.upper) fail(`more than one upper bound in one AND group (at ${quote(term)})`);
    interval.upper = bound;
  };
  let i = 0;
  const skipBlanks = (): void => {
    while (isBlank(text[i])) i++;
  };
  skipBlanks();
  while (i < text.length) {
    const termStart = i;
    while (i < text.length && OPERATOR_CHARS.includes(text[i] as string)) i++;
    const operator = text.slice(termStart, i);
    skipBlanks();
    const versionStart = i;
    while (i < text.length && !isBlank(text[i]) && text[i] !== ',') i++;
    const version = text.slice(versionStart, i);
    const term = text.slice(termStart, i);
    if (version === '') fail(operator === '' ? 'a "," without a term after it' : `operator ${quote(operator)} without a version`);
    if (version === '*') {
      if (operator !== '') fail(`${quote(term)}: "*" cannot take an operator`);
    } else {
      checkVersion(version, term, fail);
      const bound = (inclusive: boolean): ConstraintBound => ({ version, inclusive });
      switch (operator) {
        case '<':
          setUpper(bound(false), term);
          break;
        case '<=':
          setUpper(bound(true), term);
          break;
        case '>':
          setLower(bound(false), term);
          break;
        case '>=':
          setLower(bound(true), term);
          break;
        case '':
        case '=':
        case '==':
          setLower(bound(true), term);
          setUpper(bound(true), term);
          break;
        default:
          fail(`operator ${quote(operator)} is not read (only <, <=, >, >=, = and a bare version are)`);
      }
    }
    skipBlanks();
    if (text[i] === ',') {
      i++;
      skipBlanks();
      if (i >= text.length) fail('a "," without a term after it');
    }
  }
  return interval;
}

function checkVersion(version: string, term: string, fail: (reason: string) => never): void {
  if (version === 'as') fail('"as" aliases are not read');
  if (version === '-') fail('hyphen ranges ("1.0 - 2.0") are not read');
  if (!isAlnum(version[0])) fail(`${quote(term)}: a version must start with a letter or digit`);
  if (version.slice(0, 4).toLowerCase() === 'dev-') fail(`${quote(term)}: branch names are not versions`);
  let componentStart = 0;
  for (let j = 0; j <= version.length; j++) {
    const c = version[j];
    if (j < version.length && isVersionChar(c)) {
      if (c !== '.') continue;
    } else if (j < version.length) {
      fail(`${quote(term)}: character ${quote(c as string)} is not read in a version${c === '*' ? ' (wildcards are not read)' : ''}`);
    }
    const component = version.slice(componentStart, j);
    if (component === 'x' || component === 'X') fail(`${quote(term)}: wildcards are not read`);
    componentStart = j + 1;
  }
}

/**
 * The intervals with the ecosystem's order applied: empty ones (`>=2.0,<1.0`, `>1.0,<=1.0`) taken
 * out and returned apart, the rest sorted and merged where they overlap or touch (`<3.7` and
 * `>=3.7,<=3.7.4` are `<=3.7.4`). The union of the versions covered is unchanged; only its writing
 * is. `compare` must order every version in the intervals (check them with `isValid` first).
 */
export function normaliseIntervals(
  intervals: readonly ConstraintInterval[],
  compare: (a: string, b: string) => number,
): { intervals: ConstraintInterval[]; empty: ConstraintInterval[] } {
  const empty: ConstraintInterval[] = [];
  const kept: ConstraintInterval[] = [];
  for (const interval of intervals) {
    const { lower, upper } = interval;
    if (lower && upper) {
      const c = compare(lower.version, upper.version);
      if (c > 0 || (c === 0 && !(lower.inclusive && upper.inclusive))) {
        empty.push(interval);
        continue;
      }
    }
    kept.push(interval);
  }
  // Lower bounds: none first, then by version, an inclusive bound before an exclusive one.
  const byLower = (a: ConstraintInterval, b: ConstraintInterval): number => {
    if (!a.lower || !b.lower) return a.lower ? 1 : b.lower ? -1 : 0;
    return compare(a.lower.version, b.lower.version) || (a.lower.inclusive === b.lower.inclusive ? 0 : a.lower.inclusive ? -1 : 1);
  };
  const sorted = [...kept].sort(byLower);
  const merged: ConstraintInterval[] = [];
  for (const next of sorted) {
    const current = merged[merged.length - 1];
    if (current && reaches(current, next, compare)) {
      const upper = higherUpper(current.upper, next.upper, compare);
      merged[merged.length - 1] = upper ? { ...current, upper } : current.lower ? { lower: current.lower } : {};
    } else merged.push({ ...next });
  }
  return { intervals: merged, empty };
}

/** Whether `next` (whose lower bound is not below `current`'s) starts inside or right at the end of `current`. */
function reaches(current: ConstraintInterval, next: ConstraintInterval, compare: (a: string, b: string) => number): boolean {
  if (!current.upper || !next.lower) return true;
  const c = compare(next.lower.version, current.upper.version);
  return c < 0 || (c === 0 && (next.lower.inclusive || current.upper.inclusive));
}

/** The higher of two upper bounds; undefined (no bound) is the highest; at one version, inclusive wins. */
function higherUpper(
  a: ConstraintBound | undefined,
  b: ConstraintBound | undefined,
  compare: (a: string, b: string) => number,
): ConstraintBound | undefined {
  if (!a || !b) return undefined;
  const c = compare(a.version, b.version);
  if (c !== 0) return c > 0 ? a : b;
  return a.inclusive ? a : b;
}
