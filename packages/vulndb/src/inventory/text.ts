import { InventoryParseError } from './model.ts';

/**
 * Helpers shared by the line-oriented inventory parsers (dpkg status, apk installed, rpm -qa).
 * Everything here is linear in the input: lines are found with indexOf, never with a regex over
 * the whole text, and no regex used on a line can backtrack.
 */

/** At most this many warnings are kept; the rest are counted in one closing line. */
export const MAX_WARNINGS = 200;

/** Collects warnings up to MAX_WARNINGS, so a hostile file cannot make the answer huge. */
export class Warnings {
  readonly list: string[] = [];
  private dropped = 0;

  add(message: string): void {
    if (this.list.length < MAX_WARNINGS) this.list.push(message);
    else this.dropped++;
  }

  done(): string[] {
    if (this.dropped > 0) this.list.push(`${this.dropped} further warnings not shown`);
    return this.list;
  }
}

// C0 controls other than TAB, LF, CR, and DEL: never in a text package database.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we look for
const BINARY = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Throws InventoryParseError when the text holds control characters (NUL and friends), which
 * means binary data (a Berkeley DB / sqlite rpm database, a gzip file…) rather than the text
 * format `what` names.
 */
export function rejectBinary(text: string, file: string, what: string): void {
  const match = BINARY.exec(text);
  if (match) {
    const code = match[0].charCodeAt(0).toString(16).padStart(2, '0');
    throw new InventoryParseError(file, `binary data (control character U+00${code} at offset ${match.index}), not ${what}`);
  }
}

/**
 * Calls `onLine(line, lineNumber)` for each line, without its LF or CRLF terminator; a leading
 * byte order mark is dropped. Lines are numbered from 1.
 */
export function forEachLine(text: string, onLine: (line: string, lineNumber: number) => void): void {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNumber = 0;
  const length = text.length;
  while (start <= length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = length;
    lineNumber++;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    // A final newline does not open one more (empty) line.
    if (!(end === length && line === '' && start === length)) onLine(line, lineNumber);
    start = end + 1;
  }
}

/** True for a line made only of spaces and tabs (deb822 and apk treat it as a separator). */
export function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** Shortens a possibly huge line for a warning message. */
export function excerpt(line: string, max = 60): string {
  return JSON.stringify(line.length > max ? `${line.slice(0, max)}…` : line);
}
