import PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-database.ts';
import { createBossDb, installBossSchema } from './boss.adapter.ts';

/** pg-boss on our Database, as the app role, on whichever driver the suite runs on. */
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.destroy());

describe('pg-boss on the app role', () => {
  it('cannot use pg-boss’s own installer, because the app role may not create schemas', async () => {
    const { rows } = await t.database.query<{ role: string }>('SELECT current_user AS role');
    expect(rows[0]?.role).toBe('vigil_app');
    // PostgreSQL checks CREATE on the database before IF NOT EXISTS looks for the schema.
    await expect(t.database.exec('CREATE SCHEMA IF NOT EXISTS pgboss')).rejects.toThrow(/permission denied for database/);
  });

  it('installs pg-boss into the migrated schema once, even when two starters race', async () => {
    const outcomes = await Promise.all([installBossSchema(t.database), installBossSchema(t.database)]);
    expect(outcomes.sort()).toEqual(['installed', 'present']);
    expect(await installBossSchema(t.database)).toBe('present');

    const { rows: owners } = await t.database.query<{ owner: string }>(
      "SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'pgboss'",
    );
    // Owning its tables is what lets pg-boss add a partition per queue and migrate itself later.
    expect(owners).toEqual([{ owner: 'vigil_app' }]);
    const boss = new PgBoss({ db: createBossDb(t.database), schema: 'pgboss', supervise: false, schedule: false });
    await boss.start();
    expect(await boss.schemaVersion()).toBeGreaterThanOrEqual(24);
    await boss.stop({ graceful: false, close: false });
  });

  it('leaves the connection usable after a failing pg-boss script', async () => {
    const bossDb = createBossDb(t.database);
    await expect(bossDb.executeSql('BEGIN; SELECT 1/0; COMMIT;', [])).rejects.toThrow(/division by zero/);
    // On PGlite the one connection would otherwise stay in the aborted transaction.
    const { rows } = await t.database.query<{ ok: number }>('SELECT 1 AS ok');
    expect(rows).toEqual([{ ok: 1 }]);
  });
});

describe('statement routing', () => {
  it('sends parameterless scripts to exec and everything else to query', async () => {
    const calls: string[] = [];
    const fake = {
      kind: 'pglite' as const,
      async query<T>(text: string, params?: unknown[]) {
        calls.push(`query ${text} ${JSON.stringify(params ?? null)}`);
        return { rows: [] as T[] };
      },
      async exec(text: string) {
        calls.push(`exec ${text}`);
      },
    };
    const bossDb = createBossDb(fake);
    await bossDb.executeSql('SELECT $1::int', [1]);
    await bossDb.executeSql('SELECT version FROM pgboss.version', []);
    await bossDb.executeSql('\n  BEGIN;\n  SELECT 1;\n  COMMIT;\n', []);
    expect(await bossDb.executeSql('BEGIN; SELECT 2; COMMIT;', [])).toEqual({ rows: [] });
    expect(calls).toEqual([
      'query SELECT $1::int [1]',
      'query SELECT version FROM pgboss.version []',
      'exec \n  BEGIN;\n  SELECT 1;\n  COMMIT;\n',
      'exec BEGIN; SELECT 2; COMMIT;',
    ]);
  });
});
