import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, type OpenOptions, openDatabase } from '../../src/db/database.ts';

/**
 * A fresh, migrated database for one test file: an in-memory PGlite by default, or, when the
 * suite runs with DATABASE_URL (as `.ci/run`'s second pass does), a new database created on
 * that PostgreSQL server and dropped afterwards.
 */
export interface TestDatabase {
  database: Database;
  /** A connection URL for this database (PostgreSQL only), for child processes. */
  url: string | null;
  /** A raw, privileged session on the same database (PostgreSQL only: PGlite has one connection). */
  admin: pg.Client | null;
  destroy(): Promise<void>;
}

export const onPostgres = Boolean(process.env.DATABASE_URL);

export async function createTestDatabase(options: OpenOptions = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' }, options);
    return { database, url: null, admin: null, destroy: () => database.close() };
  }
  const name = `vigil_test_${randomBytes(6).toString('hex')}`;
  const maintenance = new pg.Client({ connectionString: serverUrl });
  await maintenance.connect();
  await maintenance.query(`CREATE DATABASE ${name}`);
  await maintenance.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase(
    { kind: 'postgres', url: url.toString(), migrationUrl: url.toString(), poolMax: 5, dataDir: '/nonexistent' },
    options,
  );
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  return {
    database,
    url: url.toString(),
    admin,
    async destroy() {
      await admin.end().catch(() => {});
      await database.close().catch(() => {});
      const m = new pg.Client({ connectionString: serverUrl });
      await m.connect();
      await m.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await m.end();
    },
  };
}

/** Creates an empty PostgreSQL database for tests that open it themselves; null on PGlite runs. */
export async function createEmptyPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | null> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return null;
  const name = `vigil_test_${randomBytes(6).toString('hex')}`;
  const m = new pg.Client({ connectionString: serverUrl });
  await m.connect();
  await m.query(`CREATE DATABASE ${name}`);
  await m.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
