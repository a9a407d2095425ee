import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level and no whitespace: the same data always gives the
 * same text, whatever order a publisher wrote its keys in, so hashes compare content.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

export const contentHash = (value: unknown): string => sha256Hex(canonicalJson(value));

/**
 * Why PostgreSQL would refuse JSON text as `jsonb` (or its strings as `text`), or null when it
 * would not: an escaped NUL (`\u0000`), or a lone surrogate, which JSON.stringify writes as an
 * escape (`\ud800`) since a well-formed pair is written as the character itself. Escapes that are
 * themselves escaped (`\\u0000`, a backslash and text) are not counted.
 */
export function unstorableJson(json: string): string | null {
  if (/(?<!\\)(?:\\\\)*\\u0000/.test(json)) return 'holds a NUL character (\\u0000), which the database cannot store';
  if (/(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/i.test(json)) return 'holds an unpaired UTF-16 surrogate, which is not valid Unicode text';
  return null;
}
