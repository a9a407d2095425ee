/** SQLSTATE codes the services act on. */
export const PG = {
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  /** ON DELETE RESTRICT; PostgreSQL 18 (PGlite) reports it apart from 23503. */
  RESTRICT_VIOLATION: '23001',
  CHECK_VIOLATION: '23514',
  INSUFFICIENT_PRIVILEGE: '42501',
} as const;

export interface PgErrorInfo {
  code: string;
  constraint?: string;
  message: string;
}

/**
 * Finds the PostgreSQL error under whatever wraps it (Drizzle wraps driver errors in its own,
 * with the original as `cause`); both pg and PGlite expose `code` and `constraint`.
 */
export function pgError(error: unknown): PgErrorInfo | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const e = current as { code?: unknown; constraint?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
      return {
        code: e.code,
        message: String(e.message ?? ''),
        ...(typeof e.constraint === 'string' ? { constraint: e.constraint } : {}),
      };
    }
    current = e.cause;
  }
  return null;
}

export function isPgError(error: unknown, code: string): boolean {
  return pgError(error)?.code === code;
}
