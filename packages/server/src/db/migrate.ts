import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorFactory } from '../lib/app-error.ts';
import { isPgError, PG } from './pg-errors.ts';

export interface Migration {
  id: string;
  sql: string;
  checksum: string;
}

/** The two things the runner needs from a connection: parameterised queries and multi-statement SQL. */
export interface SqlSession {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(text: string): Promise<void>;
}

export const MIGRATION_ERRORS = {
  MIGRATION_FAILED: { status: 500, title: 'A database migration failed' },
  MIGRATION_TAMPERED: { status: 500, title: 'An applied migration was changed' },
  SCHEMA_TOO_NEW: { status: 500, title: 'The database schema is newer than this Vigil' },
} as const;
const fail = errorFactory(MIGRATION_ERRORS);

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant works; it only has to be the same for every Vigil process on one database.
const MIGRATION_LOCK_KEY = 0x76_69_67_69;

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name))
    .sort()
    .map((name) => {
      const sql = readFileSync(`${dir}/${name}`, 'utf8');
      return { id: name.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies every pending migration in one transaction: either all of them land or the database
 * is left exactly as it was. A session-level advisory lock serialises concurrent starters on
 * PostgreSQL, so two processes booting at once do not race each other through the same DDL.
 */
export async function runMigrations(session: SqlSession, migrations: Migration[] = loadMigrations()): Promise<MigrationResult> {
  // Up to date: nothing to lock or create. This is also what lets a runtime login without any
  // DDL privilege start against a database its owner already migrated.
  const applied = await readApplied(session);
  if (applied && applied.length === migrations.length) {
    verifyApplied(applied, migrations);
    return { applied: [], alreadyApplied: applied.length };
  }
  await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await session.exec('BEGIN');
    try {
      await session.exec(`
        CREATE SCHEMA IF NOT EXISTS vigil_meta;
        CREATE TABLE IF NOT EXISTS vigil_meta.migrations (
          id text PRIMARY KEY,
          checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        );`);
      const { rows } = await session.query<{ id: string; checksum: string }>('SELECT id, checksum FROM vigil_meta.migrations ORDER BY id');
      verifyApplied(rows, migrations);
      const done = new Set(rows.map((r) => r.id));
      const pending = migrations.filter((m) => !done.has(m.id));
      for (const migration of pending) {
        try {
          await session.exec(migration.sql);
        } catch (error) {
          const hint = isPgError(error, PG.INSUFFICIENT_PRIVILEGE) ? ' (migrate as the database owner: set DATABASE_MIGRATION_URL)' : '';
          throw fail('MIGRATION_FAILED', `migration ${migration.id} failed: ${(error as Error).message}${hint}`);
        }
        await session.query('INSERT INTO vigil_meta.migrations (id, checksum) VALUES ($1, $2)', [migration.id, migration.checksum]);
      }
      await session.exec('COMMIT');
      return { applied: pending.map((m) => m.id), alreadyApplied: rows.length };
    } catch (error) {
      await session.exec('ROLLBACK');
      throw error;
    }
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}

async function readApplied(session: Pick<SqlSession, 'query'>): Promise<{ id: string; checksum: string }[] | null> {
  const { rows } = await session.query<{ name: string | null }>("SELECT to_regclass('vigil_meta.migrations')::text AS name");
  if (!rows[0]?.name) return null;
  return (await session.query<{ id: string; checksum: string }>('SELECT id, checksum FROM vigil_meta.migrations ORDER BY id')).rows;
}

function verifyApplied(rows: { id: string; checksum: string }[], migrations: Migration[]): void {
  const known = new Map(migrations.map((m) => [m.id, m]));
  for (const row of rows) {
    const migration = known.get(row.id);
    if (!migration) {
      throw fail('SCHEMA_TOO_NEW', `the database has migration ${row.id}, which this version of Vigil does not know; upgrade Vigil`);
    }
    if (migration.checksum !== row.checksum) {
      throw fail('MIGRATION_TAMPERED', `migration ${row.id} was changed after it was applied to this database`);
    }
  }
}

/** Ids of bundled migrations that the database has not applied (empty when up to date). */
export async function pendingMigrations(session: Pick<SqlSession, 'query'>, migrations: Migration[] = loadMigrations()): Promise<string[]> {
  const { rows } = await session.query<{ id: string }>('SELECT id FROM vigil_meta.migrations');
  const done = new Set(rows.map((r) => r.id));
  return migrations.filter((m) => !done.has(m.id)).map((m) => m.id);
}
