import type { VersionComparator } from './comparator.ts';
import { InvalidVersionError, sign } from './comparator.ts';

/**
 * Maven versions, ordered as `org.apache.maven.artifact.versioning.ComparableVersion` orders
 * them: a transcription of the maven-artifact jar Maven 3.8.7 ships (its bytecode was read, and
 * this agrees with it on every vector line and on 27,000 fuzzed pairs via refcmp.sh), including
 * the `1.0.0.X1 < 1.0.0-X2` fix (MNG-7644) and whole-list comparison with a missing item (MNG-6964).
 * Later 3.9.x releases changed ComparableVersion again (letter+digit "combination" items); those
 * were not available here to check against.
 *
 * Where OSV's vector files disagree with real Maven (UPSTREAM-DIFFERENCES.md), this follows real
 * Maven: a range written against Maven must mean what Maven means.
 *
 * Maven accepts every string; the only one Vigil rejects is the empty string (it names no release).
 * Known deviation: Java's `Character.isDigit` also accepts non-ASCII decimal digits (e.g. `١`);
 * here only ASCII `0`-`9` are digits, so such characters are parsed as qualifier letters.
 */

/** IntItem / LongItem / BigIntegerItem: one numeric item, kept as digits without leading zeros. */
interface NumberItem {
  readonly kind: 'number';
  readonly digits: string;
}

/** StringItem: a qualifier, already lower-cased and with its alias resolved. */
interface StringItem {
  readonly kind: 'string';
  readonly value: string;
}

/**
 * ListItem: a sub-list, started by `-` or by a digit/letter transition. A bare array (not an
 * object holding one): deeply nested versions make one per character, so this halves allocation.
 */
type ListItem = Item[];

type Item = NumberItem | StringItem | ListItem;

const isList = (item: Item | undefined): item is ListItem => Array.isArray(item);

/** StringItem.QUALIFIERS: the known qualifiers, in order; `""` is the release itself. */
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
/** StringItem.ALIASES. */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['ga', ''],
  ['final', ''],
  ['release', ''],
  ['cr', 'rc'],
]);
/** StringItem.RELEASE_VERSION_INDEX. */
const RELEASE_VERSION_INDEX = String(QUALIFIERS.indexOf(''));
/** One-letter qualifiers that are aliases only when a digit follows them (`a1` = `alpha-1`). */
const SHORT_ALIASES: ReadonlyMap<string, string> = new Map([
  ['a', 'alpha'],
  ['b', 'beta'],
  ['m', 'milestone'],
]);

const DOT = 0x2e;
const HYPHEN = 0x2d;
const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;

/** IntItem.ZERO, shared as in Java: empty parts (`1..2`, `-1`) are zeros, and there can be many. */
const ZERO: NumberItem = { kind: 'number', digits: '' };

function numberItem(digits: string): NumberItem {
  // stripLeadingZeroes; all-zero strings become '' (zero), which compares as the shortest.
  let i = 0;
  while (i < digits.length && digits[i] === '0') i++;
  return { kind: 'number', digits: digits.slice(i) };
}

function stringItem(value: string, followedByDigit: boolean): StringItem {
  const expanded = followedByDigit && value.length === 1 ? (SHORT_ALIASES.get(value) ?? value) : value;
  return { kind: 'string', value: ALIASES.get(expanded) ?? expanded };
}

/** ComparableVersion.parseItem. */
function parseItem(digit: boolean, text: string): Item {
  return digit ? numberItem(text) : stringItem(text, false);
}

function isNull(item: Item): boolean {
  if (isList(item)) return item.length === 0;
  return item.kind === 'number' ? item.digits === '' : item.value === '';
}

/**
 * ListItem.normalize: drop trailing null items (0, "", empty list), looking through non-empty
 * sub-lists. Compacts in one pass instead of Java's repeated remove(i), which is quadratic here.
 */
function normalize(items: ListItem): void {
  let stop = items.length;
  while (stop > 0 && (isNull(items[stop - 1] as Item) || isList(items[stop - 1]))) stop--;
  let kept = stop;
  for (let i = stop; i < items.length; i++) {
    const item = items[i] as Item;
    if (!isNull(item)) items[kept++] = item;
  }
  // pop(), not `length = kept`: shrinking an array's length reallocates it, pop does not.
  while (items.length > kept) items.pop();
}

/** `list.add(list = new ListItem()); stack.push(list);` */
function openList(parent: ListItem, stack: ListItem[]): ListItem {
  const next: ListItem = [];
  parent.push(next);
  stack.push(next);
  return next;
}

/** ComparableVersion.parseVersion (3.8.7), a transcription of its state machine. */
export function parseMavenVersion(version: string): ListItem {
  const text = version.toLowerCase();
  const root: ListItem = [];
  const stack: ListItem[] = [root];
  let list = root;
  let digit = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT || c === HYPHEN) {
      list.push(i === start ? ZERO : parseItem(digit, text.slice(start, i)));
      start = i + 1;
      if (c === HYPHEN) list = openList(list, stack);
    } else if (isDigit(c)) {
      if (!digit && i > start) {
        // Letters then a digit ("rc1"): MNG-7644 makes ".rc1" a sub-list, like "-rc1".
        if (list.length > 0) list = openList(list, stack);
        list.push(stringItem(text.slice(start, i), true));
        start = i;
        list = openList(list, stack);
      }
      digit = true;
    } else {
      if (digit && i > start) {
        list.push(parseItem(true, text.slice(start, i)));
        start = i;
        list = openList(list, stack);
      }
      digit = false;
    }
  }
  if (text.length > start) {
    // 1.0.0.X < 1.0.0-X2 (MNG-7644): a trailing qualifier after a dot starts a sub-list.
    if (!digit && list.length > 0) list = openList(list, stack);
    list.push(parseItem(digit, text.slice(start)));
  }
  // Innermost lists first, as ComparableVersion pops its stack.
  for (let i = stack.length - 1; i >= 0; i--) normalize(stack[i] as ListItem);
  return root;
}

/** StringItem.comparableQualifier: known qualifiers by index, unknown ones after them, lexically. */
function comparableQualifier(value: string): string {
  const index = QUALIFIERS.indexOf(value);
  return index === -1 ? `${QUALIFIERS.length}-${value}` : String(index);
}

/** Java's String.compareTo sign: UTF-16 code unit order, which is also JavaScript's `<`. */
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareNumbers(a: NumberItem, b: NumberItem): number {
  return a.digits.length !== b.digits.length ? a.digits.length - b.digits.length : compareStrings(a.digits, b.digits);
}

/**
 * Item.compareTo(null): how an item compares with a missing one (the other version ran out).
 * A list answers with its first item that is not equal to "missing" (MNG-6964: every item, not
 * just the first), walked depth-first with an explicit stack for deeply nested versions.
 */
function compareWithMissing(item: Item): number {
  const pending: Item[] = [item];
  while (pending.length > 0) {
    const current = pending.pop() as Item;
    if (isList(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push(current[i] as Item);
      continue;
    }
    const result =
      current.kind === 'number'
        ? current.digits === ''
          ? 0
          : 1
        : compareStrings(comparableQualifier(current.value), RELEASE_VERSION_INDEX);
    if (result !== 0) return result;
  }
  return 0;
}

/** Item.compareTo for two items that are not both lists (numbers > lists > strings). */
function compareLeaf(l: Item, r: Item): number {
  if (isList(l)) return !isList(r) && r.kind === 'number' ? -1 : 1;
  if (l.kind === 'number') return !isList(r) && r.kind === 'number' ? compareNumbers(l, r) : 1;
  if (!isList(r) && r.kind === 'string') return compareStrings(comparableQualifier(l.value), comparableQualifier(r.value));
  return -1;
}

/**
 * ListItem.compareTo(ListItem), iterative rather than recursive: versions such as `a1a1a1…`
 * nest one list per transition, and a recursive walk would overflow the stack on long input.
 */
export function compareMavenItems(a: ListItem, b: ListItem): number {
  const frames: { a: Item[]; b: Item[]; i: number }[] = [{ a, b, i: 0 }];
  while (frames.length > 0) {
    const frame = frames[frames.length - 1] as { a: Item[]; b: Item[]; i: number };
    if (frame.i >= frame.a.length && frame.i >= frame.b.length) {
      frames.pop();
      continue;
    }
    const l = frame.a[frame.i];
    const r = frame.b[frame.i];
    frame.i++;
    if (isList(l) && isList(r)) {
      frames.push({ a: l, b: r, i: 0 });
      continue;
    }
    const result = l === undefined ? -compareWithMissing(r as Item) : r === undefined ? compareWithMissing(l) : compareLeaf(l, r);
    if (result !== 0) return result;
  }
  return 0;
}

function parseOrThrow(version: string): ListItem {
  if (version === '') throw new InvalidVersionError('Maven', version, 'empty version');
  return parseMavenVersion(version);
}

export const mavenComparator: VersionComparator = {
  ecosystems: ['Maven'],
  compare(a: string, b: string): -1 | 0 | 1 {
    return sign(compareMavenItems(parseOrThrow(a), parseOrThrow(b)));
  },
  isValid(version: string): boolean {
    return version !== '';
  },
};
