import { parse as parseToml, TomlError } from 'smol-toml';
import { InventoryParseError } from './model.ts';

/** One warning list for every parser: lockfiles share the line parsers' cap. */
import type { Warnings } from './text.ts';

export { MAX_WARNINGS, Warnings } from './text.ts';

/**
 * Rejects input that is not text: NUL or other C0 control characters (tab, newlines and form feed
 * aside) or U+FFFD (what a decoder writes for invalid UTF-8). A leading BOM is stripped.
 */
export function requireText(text: string, file: string): string {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting binary input is the point
  const bad = /[\u0000-\u0008\u000b\u000e-\u001f\ufffd]/.exec(body);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw new InventoryParseError(file, `not a text file (character U+${code} at offset ${bad.index})`);
  }
  return body;
}

/** Parses a JSON document after the text checks; an empty file or invalid JSON is an InventoryParseError. */
export function parseJsonText(text: string, file: string, what: string): unknown {
  const body = requireText(text, file);
  if (body.trim() === '') throw new InventoryParseError(file, `empty file, expected ${what}`);
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new InventoryParseError(file, `not valid JSON, expected ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads an own property only (never `__proto__` or anything inherited from Object.prototype). */
export function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** PEP 503 normalised name: lowercase, runs of `-`, `_` and `.` become one `-`. */
export function pep503(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Quotes a value for a warning, shortened so hostile input cannot blow up the message. */
export function show(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * Parses a TOML lockfile after the text checks: an empty file or invalid TOML is an
 * InventoryParseError naming `what`. Nesting is bounded so hostile input cannot exhaust the stack.
 */
export function parseTomlText(text: string, file: string, what: string): Record<string, unknown> {
  const body = requireText(text, file);
  if (body.trim() === '') throw new InventoryParseError(file, `empty file, expected ${what}`);
  try {
    return parseToml(body, { maxDepth: 100 }) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof TomlError ? error.message.split('\n')[0] : String(error);
    throw new InventoryParseError(file, `not valid TOML, expected ${what}: ${reason}`);
  }
}

/**
 * The `[[package]]` tables of a TOML lockfile (Cargo.lock, poetry.lock, uv.lock), each with its
 * location `package[i]`; an element that is not a table is a warning and is passed over.
 */
export function* packageTables(list: unknown[], warnings: Warnings): Generator<{ entry: Record<string, unknown>; location: string }> {
  for (let i = 0; i < list.length; i++) {
    const location = `package[${i}]`;
    const entry: unknown = list[i];
    if (isRecord(entry)) yield { entry, location };
    else warnings.add(`${location}: not a table, skipped`);
  }
}
