import { createHash } from 'node:crypto';

/**
 * Keyset-pagination cursors: an opaque base64url token naming the sort it belongs to and the sort
 * key of the last row shown (its id last, so ties never repeat or skip a row across pages).
 *
 * The checksum is not a secret and authenticates nothing: a hand-made cursor only moves where the
 * caller's own, tenant-filtered query starts. It makes an edited or truncated cursor fail loudly
 * (400) instead of silently paging from somewhere else, and binds a cursor to its sort.
 */
export const CURSOR_MAX_LENGTH = 2048;
const KEY_MAX_LENGTH = 512;

function checksum(scope: string, keys: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([scope, ...keys]))
    .digest('base64url')
    .slice(0, 16);
}

export function encodeCursor(scope: string, keys: readonly string[]): string {
  return Buffer.from(JSON.stringify({ s: scope, k: keys, c: checksum(scope, keys) })).toString('base64url');
}

/** The keys a cursor holds when it was made for `scope` with `arity` keys; null for anything else. */
export function decodeCursor(cursor: string, scope: string, arity: number): string[] | null {
  if (cursor.length === 0 || cursor.length > CURSOR_MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const { s, k, c } = parsed as Record<string, unknown>;
  if (s !== scope || typeof c !== 'string' || !Array.isArray(k) || k.length !== arity) return null;
  // NUL cannot be bound as PostgreSQL text: refuse it here rather than fail the query.
  if (!k.every((key): key is string => typeof key === 'string' && key.length <= KEY_MAX_LENGTH && !key.includes('\u0000'))) return null;
  return c === checksum(scope, k) ? k : null;
}
