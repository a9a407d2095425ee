import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, type OpenOptions, openDatabase } from '../../src/db/database.ts';

/**
 * A fresh, migrated database for one test file: an in-memory PGlite by default, or, when the
 * suite runs with DATABASE_URL (as `.ci/run`'s second pass does), a new database created on
 * that PostgreSQL server and dropped afterwards. On PostgreSQL the set-up is the hardened one
 * from docs/configuration.md: migrations run as the server's superuser, the app connects as a
 * login that is only a member of vigil_app.
 */
export interface TestDatabase {
  database: Database;
  /** The runtime login's URL for this database (PostgreSQL only), for child processes. */
  url: string | null;
  /** The owner's (superuser's) URL for this database (PostgreSQL only). */
  migrationUrl: string | null;
  /** A raw, privileged session on the same database (PostgreSQL only: PGlite has one connection). */
  admin: pg.Client | null;
  destroy(): Promise<void>;
}

export const onPostgres = Boolean(process.env.DATABASE_URL);

/** The login tests connect as on PostgreSQL: LOGIN and nothing else until Vigil grants vigil_app. */
export const RUNTIME_LOGIN = 'vigil_test_runtime';

async function withServer<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty PostgreSQL database for tests that open it themselves; null on PGlite runs. */
export async function createEmptyPostgresDatabase(): Promise<{ url: string; migrationUrl: string; drop(): Promise<void> } | null> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return null;
  const name = `vigil_test_${randomBytes(6).toString('hex')}`;
  await withServer(async (c) => {
    await c.query(`CREATE DATABASE ${name}`);
    await c.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${RUNTIME_LOGIN}') THEN CREATE ROLE ${RUNTIME_LOGIN} LOGIN; END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
  });
  const owner = new URL(serverUrl);
  owner.pathname = `/${name}`;
  const runtime = new URL(owner);
  runtime.username = RUNTIME_LOGIN;
  runtime.password = '';
  return {
    url: runtime.toString(),
    migrationUrl: owner.toString(),
    drop: () => withServer(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}

export async function createTestDatabase(options: OpenOptions = {}): Promise<TestDatabase> {
  const empty = await createEmptyPostgresDatabase();
  if (!empty) {
    const database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' }, options);
    return { database, url: null, migrationUrl: null, admin: null, destroy: () => database.close() };
  }
  const database = await openDatabase(
    { kind: 'postgres', url: empty.url, migrationUrl: empty.migrationUrl, poolMax: 5, dataDir: '/nonexistent' },
    options,
  );
  const admin = new pg.Client({ connectionString: empty.migrationUrl });
  await admin.connect();
  return {
    database,
    url: empty.url,
    migrationUrl: empty.migrationUrl,
    admin,
    async destroy() {
      await admin.end().catch(() => {});
      await database.close().catch(() => {});
      await empty.drop();
    },
  };
}
