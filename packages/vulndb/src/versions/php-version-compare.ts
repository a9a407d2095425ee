import { Buffer } from 'node:buffer';
import { sign } from './comparator.ts';

/**
 * PHP's `version_compare` (ext/standard/versioning.c: php_canonicalize_version,
 * compare_special_version_forms, php_version_compare), shared by the Packagist and WordPress
 * comparators. Two knobs cover where they differ: whether `#` survives canonicalisation (Composer's
 * `#` forms, for Packagist) and how two numeric elements compare (PHP's saturating strtol for
 * WordPress, unbounded for Packagist's vector file).
 */

export type NumberComparison = (a: string, b: string) => number;

/** compare_special_version_forms' table; names match by prefix, in this order. Unknown: -1. */
const SPECIAL_FORMS: readonly (readonly [string, number])[] = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];
/** What version_compare compares a name with when the other side has a number or ran out. */
const NUMBER_MARK = '#N#';

function specialFormOrder(form: string): number {
  for (const [name, order] of SPECIAL_FORMS) if (form.startsWith(name)) return order;
  return -1;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlnum = (c: string): boolean => isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isSpecialVersionChar = (c: string): boolean => c === '-' || c === '_' || c === '+';
/** The C macros isdig / isndig: a dot is neither a digit nor a non-digit. */
const isDig = (c: string): boolean => isDigit(c);
const isNDig = (c: string): boolean => !isDigit(c) && c !== '.';

/**
 * php_canonicalize_version, returning the dot-separated elements rather than the string. Its
 * branches, in its order: `-`, `_`, `+` become a dot; between a digit and a non-digit a dot is
 * inserted and the character kept (even punctuation: `1~` is `1.~`); other punctuation becomes a
 * dot; letters and digits are kept. Never two dots in a row; the first character is copied as it
 * is. `keepHash` treats `#` as a letter (Composer's `#` forms) where PHP makes it a dot.
 */
export function canonicalElements(version: string, keepHash: boolean): string[] {
  if (version === '') return [''];
  const first = version[0] as string;
  const elements: string[] = [];
  // Kept characters are copied a run at a time (a slice): this is the hot loop for long inputs.
  let current = first === '.' ? '' : first;
  if (first === '.') elements.push('');
  let lastOut = first;
  let previous = first;
  let runStart = -1;
  const dot = (i: number): void => {
    if (runStart >= 0) current += version.slice(runStart, i);
    runStart = -1;
    if (lastOut !== '.') {
      elements.push(current);
      current = '';
    }
    lastOut = '.';
  };
  for (let i = 1; i < version.length; i++) {
    const c = version[i] as string;
    if (isSpecialVersionChar(c)) {
      dot(i);
    } else if ((isNDig(previous) && isDig(c)) || (isDig(previous) && isNDig(c))) {
      dot(i);
      runStart = i;
      lastOut = c;
    } else if (!(isAlnum(c) || (keepHash && c === '#'))) {
      dot(i);
    } else {
      if (runStart < 0) runStart = i;
      lastOut = c;
    }
    previous = c;
  }
  if (runStart >= 0) current += version.slice(runStart);
  elements.push(current);
  return elements;
}

/** Digits without their leading zeros (by hand: no regex on untrusted long input). */
function stripZeros(digits: string): string {
  let i = 0;
  while (i < digits.length && digits[i] === '0') i++;
  return digits.slice(i);
}

/** Two digit runs compared as unbounded integers. */
export function compareUnbounded(a: string, b: string): number {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

const LONG_MAX = '9223372036854775807';

/** PHP's `strtol(p, NULL, 10)` on 64-bit PHP: values past LONG_MAX saturate to it. */
export function compareSaturating(a: string, b: string): number {
  const clamp = (digits: string): string => {
    const d = stripZeros(digits);
    return compareUnbounded(d, LONG_MAX) > 0 ? LONG_MAX : d;
  };
  return compareUnbounded(clamp(a), clamp(b));
}

/** One element pair, as the body of php_version_compare's loop. */
function compareElements(a: string, b: string, numbers: NumberComparison): number {
  const aNumber = isDigit(a[0]);
  const bNumber = isDigit(b[0]);
  if (aNumber && bNumber) return sign(numbers(a, b));
  if (!aNumber && !bNumber) return sign(specialFormOrder(a) - specialFormOrder(b));
  return aNumber ? sign(specialFormOrder(NUMBER_MARK) - specialFormOrder(b)) : sign(specialFormOrder(a) - specialFormOrder(NUMBER_MARK));
}

/**
 * php_version_compare on canonical element lists, each read from an offset. Its tail recursion
 * (`version_compare(rest, "#N#")`) is a loop here, and the rest is an offset rather than a copy,
 * so thousands of elements neither overflow the stack nor cost quadratic time.
 */
function compareCanonical(left: string[], right: string[], numbers: NumberComparison): number {
  let a = left;
  let b = right;
  let ai = 0;
  let bi = 0;
  for (;;) {
    // `if (!*orig_ver1 || !*orig_ver2)`: an empty string sorts below anything else.
    const aEmpty = atEnd(a, ai);
    const bEmpty = atEnd(b, bi);
    if (aEmpty || bEmpty) return aEmpty === bEmpty ? 0 : aEmpty ? -1 : 1;
    // The C loop runs while both sides had a dot before the current element and are not at the
    // end of the string (only a trailing dot leaves an empty element there).
    let aMore = true;
    let bMore = true;
    while (aMore && bMore && !atEnd(a, ai) && !atEnd(b, bi)) {
      aMore = ai < a.length - 1;
      bMore = bi < b.length - 1;
      const result = compareElements(a[ai] as string, b[bi] as string, numbers);
      if (result !== 0) return result;
      if (aMore) ai++;
      if (bMore) bi++;
    }
    // One side has more: a number there wins outright, a name is compared with "#N#".
    if (aMore) {
      if (isDigit(a[ai]?.[0])) return 1;
      b = [NUMBER_MARK];
      bi = 0;
    } else if (bMore) {
      if (isDigit(b[bi]?.[0])) return -1;
      a = [NUMBER_MARK];
      ai = 0;
    } else {
      return 0;
    }
  }
}

/** `*p == '\0'`: the element at `i` is the empty one after a trailing dot. */
const atEnd = (list: string[], i: number): boolean => i >= list.length - 1 && (list[i] ?? '') === '';

/**
 * The elements version_compare works on: a string starting with `#` is used as it is, any other
 * is canonicalised first. PHP works on UTF-8 bytes, so each byte becomes one character here,
 * which keeps non-ASCII input exact (`é` is two bytes, hence two characters).
 */
export function phpElements(version: string, keepHash = false): string[] {
  const bytes = Buffer.from(version, 'utf8').toString('latin1');
  return bytes.startsWith('#') ? bytes.split('.') : canonicalElements(bytes, keepHash);
}

/**
 * Why version_compare cannot order `version` consistently, if it cannot: when its canonical form
 * ends with a dot (`4.`, `1.0-`, `1.a~`), PHP answers -1 both ways round against, e.g., `4.beta`
 * (the empty last element sorts below everything, a name below a number).
 */
export function trailingDotReason(elements: readonly string[]): string | undefined {
  return elements.length > 1 && elements[elements.length - 1] === ''
    ? 'ends with a separator; PHP version_compare orders such a string inconsistently (a < b and b < a)'
    : undefined;
}

/** version_compare on two versions already split by phpElements. */
export function phpCompareElements(a: string[], b: string[], numbers: NumberComparison): -1 | 0 | 1 {
  return sign(compareCanonical(a, b, numbers));
}

/** version_compare(a, b), with the numeric comparison and `#` handling chosen by the caller. */
export function phpVersionCompare(a: string, b: string, numbers: NumberComparison, keepHash = false): -1 | 0 | 1 {
  return phpCompareElements(phpElements(a, keepHash), phpElements(b, keepHash), numbers);
}
