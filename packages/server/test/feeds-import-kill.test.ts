import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.ts';
import { intelDigest } from './helpers/intel-digest.ts';
import { childEnv, killGroup, runVigil, start, VIGIL_BIN, waitFor } from './helpers/processes.ts';
import { createEmptyPostgresDatabase } from './helpers/test-database.ts';

/**
 * Atomicity of `vigil feeds import` against the real failure: the process killed with SIGKILL in
 * the middle of writing. The feed must keep its previous content, and importing again must leave
 * the database exactly as one clean run does (compared by a digest of every intelligence table).
 * Runs on the embedded database, and on PostgreSQL when the suite has DATABASE_URL.
 */

const FIXTURES = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
const KEV = path.join(FIXTURES, 'kev/known_exploited_vulnerabilities.json');
const GO = path.join(FIXTURES, 'osv/go-vulndb-osv-GO-2020-to-2025.zip');
const work = mkdtempSync(path.join(tmpdir(), 'vigil-kill-'));
const ROWS = 700_000;

/** A newer EPSS file than the one first imported, large enough to be mid-write after seconds. */
function epssFile(name: string, rows: number, scoreDate: string, seed: number): string {
  const lines = [`#model_version:v2026.03.01,score_date:${scoreDate}T00:00:00+0000`, 'cve,epss,percentile'];
  for (let i = 1; i <= rows; i++) {
    const score = ((i * seed) % 100_000) / 100_000;
    lines.push(`CVE-2030-${String(i).padStart(7, '0')},${score.toFixed(5)},${(i / rows).toFixed(5)}`);
  }
  const file = path.join(work, name);
  writeFileSync(file, gzipSync(`${lines.join('\n')}\n`));
  return file;
}

interface Target {
  env: NodeJS.ProcessEnv;
  open(): Promise<Database>;
  drop(): Promise<void>;
}

async function target(name: string): Promise<Target> {
  const pg = await createEmptyPostgresDatabase();
  if (pg) {
    return {
      env: childEnv({ DATABASE_URL: pg.url, DATABASE_MIGRATION_URL: pg.migrationUrl, VIGIL_DATA_DIR: path.join(work, name) }),
      open: () =>
        openDatabase({ kind: 'postgres', url: pg.url, migrationUrl: pg.migrationUrl, poolMax: 2, dataDir: path.join(work, name) }),
      drop: pg.drop,
    };
  }
  const dataDir = path.join(work, name);
  return { env: childEnv({ VIGIL_DATA_DIR: dataDir }), open: () => openDatabase({ kind: 'pglite', dataDir }), drop: async () => {} };
}

async function digestOf(t: Target): Promise<Record<string, string>> {
  const database = await t.open();
  try {
    return await intelDigest(database);
  } finally {
    await database.close();
  }
}

async function importOk(t: Target, ...files: string[]): Promise<void> {
  const result = await runVigil(['feeds', 'import', ...files], t.env, 180_000);
  expect(result.code, result.stderr).toBe(0);
}

let small: string;
let big: string;
const targets: Target[] = [];
beforeAll(() => {
  small = epssFile('epss-small.csv.gz', 5_000, '2026-08-16', 7);
  big = epssFile('epss-big.csv.gz', ROWS, '2026-08-17', 13);
});
afterAll(async () => {
  for (const t of targets) await t.drop().catch(() => {});
  rmSync(work, { recursive: true, force: true });
});

describe('vigil feeds import killed with SIGKILL mid-import', () => {
  it('leaves the previous data whole, and a re-run gives the same database as one clean run', async () => {
    const killed = await target('killed');
    const clean = await target('clean');
    targets.push(killed, clean);

    await importOk(killed, KEV, GO, small);
    const previous = await digestOf(killed);

    const doomed = start(process.execPath, [VIGIL_BIN, 'feeds', 'import', big], killed.env);
    // Progress lines come every few seconds of a running import: one means rows are being written.
    await waitFor(async () => doomed.output().stderr.includes('records'), 120_000, 'a progress line from the import');
    killGroup(doomed.child, 'SIGKILL');
    const end = await doomed.exited;
    expect(end.signal).toBe('SIGKILL');
    expect(end.stdout).not.toContain('epss:');
    expect(await digestOf(killed)).toEqual(previous);

    await importOk(killed, big);
    await importOk(clean, KEV, GO, small);
    await importOk(clean, big);
    const [afterKill, afterClean] = [await digestOf(killed), await digestOf(clean)];
    expect(afterKill).toEqual(afterClean);
    expect(afterKill.epss_scores).toMatch(new RegExp(`^${ROWS}:`));
    expect(afterKill).not.toEqual(previous);
  }, 600_000);
});
