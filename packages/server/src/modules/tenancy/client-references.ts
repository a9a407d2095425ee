import { PG, pgError } from '../../db/pg-errors.ts';

/** The foreign keys (0001_foundation.sql) by which rows name the client they belong to. */
export type ClientReference = 'memberships_client_fkey' | 'assets_client_fkey';

/**
 * Whether a write failed because the client it references was deleted by a concurrent
 * transaction after this one had checked that it exists: the foreign key notices, and the service
 * answers as if the client had never been there instead of with a bare 500. Another constraint
 * (a vanished user or organization) is not this, and stays an internal error.
 */
export function clientVanished(error: unknown, constraint: ClientReference): boolean {
  const e = pgError(error);
  // 23001: PostgreSQL 18 (PGlite) reports ON DELETE RESTRICT apart from 23503.
  return (e?.code === PG.FOREIGN_KEY_VIOLATION || e?.code === PG.RESTRICT_VIOLATION) && e.constraint === constraint;
}
