import PgBoss from 'pg-boss';
import type { Database } from '../db/database.ts';

/** Created by migration 0001 and owned by the app role, so pg-boss can add a partition per queue. */
export const BOSS_SCHEMA = 'pgboss';

type BossSession = Pick<Database, 'kind' | 'query' | 'exec'>;

/**
 * pg-boss's `db` option, built on our Database so that every statement runs as the app role on
 * both drivers. pg-boss sends two kinds of SQL: single parameterised statements, and
 * parameterless `BEGIN; …; COMMIT;` scripts (installation, migrations, maintenance). PGlite's
 * `query` takes one statement only, so scripts go to `exec`; their results are never read.
 */
export function createBossDb(database: BossSession): PgBoss.Db {
  return {
    async executeSql(text: string, values?: unknown[]) {
      if ((values === undefined || values.length === 0) && isScript(text)) {
        await runScript(database, text);
        return { rows: [] };
      }
      return database.query(text, values);
    },
  };
}

/** A semicolon followed by more SQL: pg-boss's single statements end without one. */
function isScript(text: string): boolean {
  return /;\s*\S/.test(text);
}

async function runScript(database: BossSession, text: string): Promise<void> {
  try {
    await database.exec(text);
  } catch (error) {
    // A script that fails after its BEGIN leaves the session in an aborted transaction. The pg
    // pool discards a connection whose query failed, but PGlite has only the one connection,
    // and every later statement of the whole application would fail until it is rolled back.
    if (database.kind === 'pglite') await database.exec('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * Installs pg-boss's tables as the app role. pg-boss's own installer starts with
 * `CREATE SCHEMA IF NOT EXISTS pgboss`, which PostgreSQL checks against the CREATE privilege on
 * the database before it looks for the schema, so it fails for a role that may not create
 * schemas. The schema already exists (migration 0001), so the same plan runs without that one
 * statement. Upgrades of an installed schema are left to pg-boss's start(), which needs no
 * database privilege because the app role owns everything in the schema.
 */
export async function installBossSchema(database: BossSession): Promise<'installed' | 'present'> {
  if (await isInstalled(database)) return 'present';
  const plan = PgBoss.getConstructionPlans(BOSS_SCHEMA);
  const createSchema = new RegExp(`CREATE SCHEMA IF NOT EXISTS ${BOSS_SCHEMA}\\s*;`);
  const withoutSchema = plan.replace(createSchema, '');
  if (withoutSchema === plan) {
    // A pg-boss release that installs differently must be looked at, not half-installed.
    throw new Error(`pg-boss's construction plan no longer starts with CREATE SCHEMA ${BOSS_SCHEMA}; review boss.adapter.ts`);
  }
  try {
    await createBossDb(database).executeSql(withoutSchema, []);
  } catch (error) {
    // Two processes starting on a fresh database: pg-boss's advisory lock serialises them and
    // the second finds the objects already there, which is success.
    if (!(await isInstalled(database))) throw error;
    return 'present';
  }
  return 'installed';
}

async function isInstalled(database: BossSession): Promise<boolean> {
  const { rows } = await database.query<{ name: string | null }>(`SELECT to_regclass('${BOSS_SCHEMA}.version')::text AS name`);
  return Boolean(rows[0]?.name);
}
