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

/** True when JSON text holds an escaped NUL character (`\u0000` not itself escaped). */
export const holdsNul = (json: string): boolean => /(?<!\\)(?:\\\\)*\\u0000/.test(json);

/** PostgreSQL text and jsonb cannot hold NUL: such a record is skipped with this reason. */
export const NUL_REASON = 'holds a NUL character (\\u0000), which the database cannot store; skipped';
