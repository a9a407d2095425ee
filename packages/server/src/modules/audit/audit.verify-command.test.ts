import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFactories, seedContext } from '../../../test/helpers/factories.ts';
import { createEmptyPostgresDatabase } from '../../../test/helpers/test-database.ts';
import { auditVerifyCommand } from '../../cli/commands/audit.ts';
import { CliExit } from '../../cli/exit-codes.ts';
import { type Database, openDatabase } from '../../db/database.ts';
import { withTenant } from '../../db/tenant.ts';
import type { AuditRow } from './audit.repo.ts';
import { recordAudit } from './audit.service.ts';

/**
 * `vigil audit verify` against a database of its own (a data directory on PGlite, a fresh
 * database under DATABASE_URL), configured through the environment as the CLI is.
 */
const work = mkdtempSync(path.join(tmpdir(), 'vigil-audit-verify-'));
const dataDir = path.join(work, 'data');
let server: Awaited<ReturnType<typeof createEmptyPostgresDatabase>>;

beforeAll(async () => {
  server = await createEmptyPostgresDatabase();
});
afterAll(async () => {
  await server?.drop();
  rmSync(work, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const open = (): Promise<Database> =>
  server
    ? openDatabase({ kind: 'postgres', url: server.url, migrationUrl: server.migrationUrl, poolMax: 2, dataDir })
    : openDatabase({ kind: 'pglite', dataDir });

async function asOwner(statements: string): Promise<void> {
  if (server) {
    const client = new pg.Client({ connectionString: server.migrationUrl });
    await client.connect();
    try {
      await client.query(statements);
    } finally {
      await client.end();
    }
    return;
  }
  const database = await open();
  try {
    await database.exec(`RESET ROLE; ${statements}`);
  } finally {
    await database.close();
  }
}

async function run(): Promise<{ code: number; stdout: string; message: string }> {
  vi.stubEnv('VIGIL_DATA_DIR', dataDir);
  vi.stubEnv('LOG_LEVEL', 'silent');
  if (server) {
    vi.stubEnv('DATABASE_URL', server.url);
    vi.stubEnv('DATABASE_MIGRATION_URL', server.migrationUrl);
  }
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    await auditVerifyCommand();
    return { code: 0, stdout, message: '' };
  } catch (error) {
    if (error instanceof CliExit) return { code: error.exitCode, stdout, message: error.message };
    throw error;
  } finally {
    vi.restoreAllMocks();
  }
}

describe('vigil audit verify', () => {
  let orgId: string;
  let rows: AuditRow[];

  it('verifies an empty log', async () => {
    expect(await run()).toEqual({ code: 0, stdout: 'audit chain verified: 0 entries in 0 organizations\n', message: '' });
  });

  it('verifies intact chains: exit 0 and the totals', async () => {
    const database = await open();
    try {
      const f = createFactories(database.db);
      const orgs = [await f.org(), await f.org()];
      rows = [];
      for (const [n, org] of orgs.entries()) {
        const ctx = seedContext(org.id);
        for (let i = 0; i < 3 - n; i++)
          rows.push(await withTenant(database.db, ctx, (tx) => recordAudit(tx, ctx, { action: 'test.step' })));
      }
      orgId = orgs[0]?.id as string;
    } finally {
      await database.close();
    }
    expect(await run()).toEqual({ code: 0, stdout: 'audit chain verified: 5 entries in 2 organizations\n', message: '' });
  });

  it('names the edited row: exit 1', async () => {
    const edited = rows[1] as AuditRow;
    await asOwner(`ALTER TABLE vigil.audit_log DISABLE TRIGGER audit_log_immutable;
      UPDATE vigil.audit_log SET action = 'test.innocent' WHERE id = ${edited.id};
      ALTER TABLE vigil.audit_log ENABLE TRIGGER audit_log_immutable;`);
    const result = await run();
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.message).toBe(
      `audit chain broken: org ${orgId} entry 2 (id ${edited.id}): hash mismatch: the entry was changed after it was written`,
    );
  });
});
