import { PGlite } from '@electric-sql/pglite';
import { is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmptyPostgresDatabase } from '../../test/helpers/test-database.ts';
import { loadMigrations, type Migration, runMigrations, type SqlSession } from './migrate.ts';
import * as schema from './schema.ts';

/** A raw superuser session on a fresh, empty database of the driver under test. */
async function freshSession(): Promise<{ session: SqlSession; close(): Promise<void> }> {
  const empty = await createEmptyPostgresDatabase();
  if (empty) {
    const client = new pg.Client({ connectionString: empty.migrationUrl });
    await client.connect();
    return {
      session: { query: (t, p) => client.query(t, p) as never, exec: async (t) => void (await client.query(t)) },
      close: async () => {
        await client.end();
        await empty.drop();
      },
    };
  }
  const db = new PGlite();
  return {
    session: { query: (t, p) => db.query(t, p), exec: async (t) => void (await db.exec(t)) },
    close: () => db.close(),
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function session() {
  const s = await freshSession();
  cleanups.push(s.close);
  return s.session;
}

async function tableNames(s: SqlSession): Promise<string[]> {
  const { rows } = await s.query<{ t: string }>(
    "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('vigil', 'vigil_meta') ORDER BY 1",
  );
  return rows.map((r) => r.t);
}

const extra = (id: string, sql: string): Migration => ({ id, sql, checksum: id });

/** How information_schema names the types Drizzle spells out. */
const UDT_NAMES: Record<string, string> = {
  'timestamp with time zone': 'timestamptz',
  integer: 'int4',
  bigint: 'int8',
  boolean: 'bool',
  'text[]': '_text',
};

describe('runMigrations', () => {
  it('applies the bundled migrations once, then has nothing to do', async () => {
    const s = await session();
    const first = await runMigrations(s);
    expect(first.applied).toEqual(loadMigrations().map((m) => m.id));
    const second = await runMigrations(s);
    expect(second).toEqual({ applied: [], alreadyApplied: first.applied.length });
  });

  it('leaves the database exactly as it was when a migration fails', async () => {
    const s = await session();
    await runMigrations(s);
    const before = await tableNames(s);
    const broken = [
      ...loadMigrations(),
      extra('9001_adds_a_table', 'CREATE TABLE vigil.should_vanish (id int);'),
      extra('9002_breaks', 'CREATE TABLE vigil.also_vanishes (id int); SELECT * FROM no_such_table;'),
    ];
    await expect(runMigrations(s, broken)).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
      message: expect.stringMatching(/9002_breaks failed/),
    });
    expect(await tableNames(s)).toEqual(before);
    const { rows } = await s.query<{ id: string }>('SELECT id FROM vigil_meta.migrations ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual(loadMigrations().map((m) => m.id));
  });

  it('leaves an empty database empty when the very first run fails', async () => {
    const s = await session();
    await expect(runMigrations(s, [...loadMigrations(), extra('9999_fails', 'SELEC 1;')])).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
    });
    expect(await tableNames(s)).toEqual([]);
  });

  it('refuses to run over a migration that was edited after it was applied', async () => {
    const s = await session();
    await runMigrations(s);
    const edited = loadMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'different' } : m));
    await expect(runMigrations(s, edited)).rejects.toMatchObject({ code: 'MIGRATION_TAMPERED' });
  });

  it('refuses a database migrated by a newer Vigil', async () => {
    const s = await session();
    await runMigrations(s, [...loadMigrations(), extra('9999_future', 'SELECT 1;')]);
    await expect(runMigrations(s)).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW', message: expect.stringMatching(/9999_future/) });
  });

  it('creates every column the typed schema declares, with a matching type', async () => {
    const s = await session();
    await runMigrations(s);
    const tables = (Object.values(schema) as unknown[]).filter((v): v is PgTable => is(v, PgTable));
    expect(tables.length).toBeGreaterThan(5);
    for (const table of tables) {
      const config = getTableConfig(table);
      const { rows } = await s.query<{ column_name: string; udt_name: string; is_nullable: string }>(
        'SELECT column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
        [config.schema, config.name],
      );
      const actual = new Map(rows.map((r) => [r.column_name, r]));
      for (const column of config.columns) {
        const found = actual.get(column.name);
        expect(found, `${config.schema}.${config.name}.${column.name}`).toBeDefined();
        expect(found?.is_nullable === 'NO', `${config.name}.${column.name} nullability`).toBe(column.notNull);
        const expectedType = UDT_NAMES[column.getSQLType()] ?? column.getSQLType();
        expect(found?.udt_name, `${config.name}.${column.name} type`).toBe(expectedType);
      }
    }
  });
});
