import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import type { Config } from '../config/config.ts';
import { AppError, errorFactory } from '../lib/app-error.ts';
import { DATA_DIR_ERRORS, type DataDirLock, lockDataDir } from './data-dir-lock.ts';
import { type MigrationResult, pendingMigrations, runMigrations, type SqlSession } from './migrate.ts';
import { isPgError, PG } from './pg-errors.ts';
import { assertUnprivilegedRole } from './role-check.ts';
import * as schema from './schema.ts';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** The role every runtime connection works as; created by the first migration. */
export const APP_ROLE = 'vigil_app';

export const DATABASE_ERRORS = {
  ...DATA_DIR_ERRORS,
  DATABASE_UNAVAILABLE: { status: 503, title: 'The database cannot be reached' },
  DATABASE_ROLE_PRIVILEGED: { status: 500, title: 'The database role is too powerful' },
} as const;
const fail = errorFactory(DATABASE_ERRORS);

export interface Database extends SqlSession {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Ids of bundled migrations not yet applied; `/readyz` is not ready while any remain. */
  pendingMigrations(): Promise<string[]>;
  /**
   * Runs `fn` in one transaction on one connection, with plain SQL: for bulk writes (arrays bound
   * as single parameters) that the query builder would expand. Commits when `fn` resolves, rolls
   * back when it throws.
   */
  sqlTransaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Apply pending migrations before serving (default true); `false` only checks. */
  migrate?: boolean;
  onMigrated?: (result: MigrationResult) => void;
  onPoolError?: (error: Error) => void;
}

export type DatabaseConfig = Config['database'] | { kind: 'pglite'; dataDir: 'memory://' };

export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  return config.kind === 'postgres' ? openPostgres(config, options) : openPglite(config.dataDir, options);
}

/** A URL with its password removed, for messages that a user or a log will read. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function prepareDataDir(dataDir: string): string {
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) {
    throw fail('DATA_DIR_UNUSABLE', `VIGIL_DATA_DIR ${dataDir} exists but is not a directory`);
  }
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw fail('DATA_DIR_UNUSABLE', `cannot create VIGIL_DATA_DIR ${dataDir}: ${(error as Error).message}`);
  }
  const pgDir = path.join(dataDir, 'pg');
  if (existsSync(pgDir)) {
    if (!statSync(pgDir).isDirectory()) throw fail('DATA_DIR_UNUSABLE', `${pgDir} exists but is not a directory`);
    const entries = readdirSync(pgDir);
    // Refuse to let PGlite initialise a fresh cluster over something that is not one: that
    // would hide a damaged or mistaken directory behind an empty database.
    if (entries.length > 0 && !entries.includes('PG_VERSION')) {
      throw fail(
        'DATA_DIR_UNUSABLE',
        `${pgDir} is not an embedded database directory (no PG_VERSION); move it aside or point VIGIL_DATA_DIR elsewhere`,
      );
    }
  }
  return pgDir;
}

async function openPglite(dataDir: string, options: OpenOptions): Promise<Database> {
  const inMemory = dataDir === 'memory://';
  let lock: DataDirLock | undefined;
  let pgDir: string | undefined;
  if (!inMemory) {
    pgDir = prepareDataDir(dataDir);
    lock = lockDataDir(dataDir);
  }
  let client: PGlite;
  try {
    // PostgreSQL's default 128 MB of shared buffers live inside PGlite's WebAssembly memory, on top
    // of the operating system's cache of the same files: 32 MB keeps the embedded server under
    // the memory budget of a small machine (docs/operations.md) at little cost in speed.
    client = new PGlite(pgDir, { postgresqlconf: ['shared_buffers=32MB'] });
    await client.waitReady;
  } catch (error) {
    lock?.release();
    throw fail(
      'DATA_DIR_UNUSABLE',
      `the embedded database in ${pgDir} cannot be opened; it is damaged or from an incompatible version (${(error as Error).message || 'no detail'}). Restore it from a backup or move it aside`,
    );
  }
  const guarded = guardReentry(client);
  const session: SqlSession = {
    query: async (text, params) => guarded.query(text, params),
    exec: async (text) => {
      await guarded.exec(text);
    },
  };
  try {
    await migrateOrCheck(session, options);
    // PGlite's only user is a superuser, which bypasses RLS: work as the app role instead.
    await client.exec(`SET ROLE ${APP_ROLE}`);
    // PGlite's session user is its built-in superuser by construction; only the role the
    // queries run as can be checked (docs/security.md says what that does and does not stop).
    await assertUnprivilegedRole(session, { sessionUser: false }, (detail) => fail('DATABASE_ROLE_PRIVILEGED', detail));
  } catch (error) {
    await client.close().catch(() => {});
    lock?.release();
    throw error;
  }
  const db = drizzlePglite({ client: guarded as unknown as PGlite, schema }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    ...session,
    pendingMigrations: () => pendingMigrations(session),
    sqlTransaction: (fn) =>
      guarded.transaction(async (tx) =>
        fn({
          query: async (text, params) => tx.query(text, params) as never,
          exec: async (text) => {
            await tx.exec(text);
          },
        }),
      ),
    async close() {
      try {
        if (!client.closed) await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}

const inTransaction = new AsyncLocalStorage<true>();

/**
 * PGlite has one connection: a query issued on the database (instead of the transaction) from
 * inside a transaction waits for that transaction, which waits for the query: a silent hang of the
 * whole embedded server. On PostgreSQL the same mistake runs on another connection, outside the
 * tenant context. Either way it is a bug, so it fails loudly here, where the tests run.
 */
/**
 * PGlite runs PostgreSQL as WebAssembly on the main thread, and queued queries would otherwise run
 * back to back in one microtask drain: fifty concurrent logins held the event loop for over
 * 100 ms, stalling every other request (/healthz included). Yielding to the event loop before each
 * query lets other requests in between, at the cost of one macrotask turn per query.
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

type PgliteTransaction = Parameters<Parameters<PGlite['transaction']>[0]>[0];

function yielding(tx: PgliteTransaction): PgliteTransaction {
  return new Proxy(tx, {
    get(target, property, receiver) {
      if (property === 'query' || property === 'exec' || property === 'sql') {
        const original = Reflect.get(target, property, receiver) as (...args: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]) => {
          await yieldToEventLoop();
          return original.apply(target, args);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function guardReentry(client: PGlite) {
  const refuse = () => {
    if (inTransaction.getStore()) {
      throw new Error('database used outside the open transaction from inside it; pass the transaction (tx) down instead');
    }
  };
  return {
    query: async <T>(text: string, params?: unknown[], options?: Parameters<PGlite['query']>[2]) => {
      refuse();
      await yieldToEventLoop();
      return client.query<T>(text, params, options);
    },
    exec: async (text: string, options?: Parameters<PGlite['exec']>[1]) => {
      refuse();
      await yieldToEventLoop();
      return client.exec(text, options);
    },
    transaction: <T>(fn: Parameters<PGlite['transaction']>[0] extends (tx: infer X) => unknown ? (tx: X) => Promise<T> : never) => {
      refuse();
      return client.transaction((tx) => inTransaction.run(true, () => fn(yielding(tx) as never)));
    },
  };
}

async function connectClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw fail('DATABASE_UNAVAILABLE', `cannot connect to PostgreSQL at ${redactUrl(url)}: ${(error as Error).message}`);
  }
  return client;
}

async function openPostgres(config: Extract<DatabaseConfig, { kind: 'postgres' }>, options: OpenOptions): Promise<Database> {
  if (options.migrate !== false) {
    const migrator = await connectClient(config.migrationUrl);
    try {
      await migrateOrCheck(
        {
          query: (text, params) => migrator.query(text, params) as never,
          exec: async (text) => {
            await migrator.query(text);
          },
        },
        options,
      );
      await grantAppRoleToRuntimeLogin(migrator, config.url);
    } finally {
      await migrator.end().catch(() => {});
    }
  }
  // The role is set as a startup parameter, so every pooled connection is the app role from its
  // first statement, and RESET ROLE returns to the app role rather than to the login.
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolMax,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    options: `-c role=${APP_ROLE}`,
  });
  pool.on('error', (error) => options.onPoolError?.(error));
  const session: SqlSession = {
    query: (text, params) => pool.query(text, params) as never,
    exec: async (text) => {
      await pool.query(text);
    },
  };
  try {
    const pending = await pendingMigrations(session);
    if (pending.length > 0) {
      throw fail(
        'DATABASE_UNAVAILABLE',
        `the database has ${pending.length} pending migration(s) (${pending.join(', ')}); run \`vigil migrate\` with DATABASE_MIGRATION_URL set to the owner's connection`,
      );
    }
    await assertUnprivilegedRole(session, { sessionUser: !config.allowPrivilegedLogin }, (detail) =>
      fail('DATABASE_ROLE_PRIVILEGED', detail),
    );
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof AppError) throw error;
    const message = (error as Error).message;
    if (isPgError(error, PG.INSUFFICIENT_PRIVILEGE)) {
      throw fail(
        'DATABASE_UNAVAILABLE',
        `the login of ${redactUrl(config.url)} cannot become ${APP_ROLE} (${message}); grant it: GRANT ${APP_ROLE} TO <login>`,
      );
    }
    throw fail('DATABASE_UNAVAILABLE', `cannot connect to PostgreSQL at ${redactUrl(config.url)}: ${message}`);
  }
  const db = drizzlePg({ client: pool, schema }) as unknown as Db;
  return {
    kind: 'postgres',
    db,
    ...session,
    pendingMigrations: () => pendingMigrations(session),
    async sqlTransaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: (text, params) => client.query(text, params) as never,
          exec: async (text) => {
            await client.query(text);
          },
        });
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        // A connection that cannot even roll back is broken: destroy it rather than pool it.
        const broken = await client.query('ROLLBACK').then(
          () => undefined,
          (rollbackError: Error) => rollbackError,
        );
        client.release(broken);
        throw error;
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/**
 * The runtime login must be able to become the app role. The first migration creates that role,
 * so an operator cannot grant it beforehand: the owner's connection does it here, once.
 */
async function grantAppRoleToRuntimeLogin(owner: pg.Client, runtimeUrl: string): Promise<void> {
  const login = decodeURIComponent(new URL(runtimeUrl).username) || null;
  if (!login) return;
  const { rows } = await owner.query<{ exists: boolean; member: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists,
            EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1 AND pg_has_role(rolname, $2, 'MEMBER')) AS member`,
    [login, APP_ROLE],
  );
  if (rows[0]?.exists && !rows[0].member) {
    try {
      await owner.query(`GRANT ${APP_ROLE} TO ${pg.escapeIdentifier(login)}`);
    } catch (error) {
      // Two processes starting at once may race to grant it; what matters is that it is granted.
      const { rows: after } = await owner.query<{ member: boolean }>("SELECT pg_has_role($1, $2, 'MEMBER') AS member", [login, APP_ROLE]);
      if (!after[0]?.member) throw error;
    }
  }
}

async function migrateOrCheck(session: SqlSession, options: OpenOptions): Promise<void> {
  if (options.migrate === false) return;
  const result = await runMigrations(session);
  options.onMigrated?.(result);
}
