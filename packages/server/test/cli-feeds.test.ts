import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { childEnv, runVigil } from './helpers/processes.ts';
import { createEmptyPostgresDatabase } from './helpers/test-database.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../../../shared/fixtures');
const KEV = path.join(FIXTURES, 'kev/known_exploited_vulnerabilities.json');
const NPM = path.join(FIXTURES, 'osv/ghsa-npm');
const work = mkdtempSync(path.join(tmpdir(), 'vigil-cli-feeds-'));
const dataDir = path.join(work, 'data');
let env: NodeJS.ProcessEnv;
let pg: Awaited<ReturnType<typeof createEmptyPostgresDatabase>>;

const open = () =>
  pg
    ? openDatabase({ kind: 'postgres', url: pg.url, migrationUrl: pg.migrationUrl, poolMax: 1, dataDir })
    : openDatabase({ kind: 'pglite', dataDir });

beforeAll(async () => {
  pg = await createEmptyPostgresDatabase();
  env = childEnv(
    pg ? { DATABASE_URL: pg.url, DATABASE_MIGRATION_URL: pg.migrationUrl, VIGIL_DATA_DIR: dataDir } : { VIGIL_DATA_DIR: dataDir },
  );
});
afterAll(async () => {
  await pg?.drop();
  rmSync(work, { recursive: true, force: true });
});

describe('vigil feeds', () => {
  it('imports files and a directory, one summary line each, then says unchanged and writes nothing', async () => {
    const first = await runVigil(['feeds', 'import', KEV, NPM], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(
      'kev: 1404 records read: 1404 added, 0 modified, 0 withdrawn; 1404 in the feed\n' +
        'osv:ghsa-npm: 5 records read: 5 added, 0 modified, 0 withdrawn; 5 in the feed\n',
    );
    const again = await runVigil(['feeds', 'import', KEV, NPM, '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    const reports = JSON.parse(again.stdout) as Array<{ feed: string; status: string; importId: number | null }>;
    expect(reports.map((r) => [r.feed, r.status, r.importId])).toEqual([
      ['kev', 'unchanged', null],
      ['osv:ghsa-npm', 'unchanged', null],
    ]);
  });

  it('a bad source fails alone: exit 1 naming it, the other sources still import', async () => {
    const whole = readFileSync(path.join(FIXTURES, 'epss/epss_scores-2026-08-16-derived.csv.gz'));
    const truncated = path.join(work, 'epss-truncated.csv.gz');
    writeFileSync(truncated, whole.subarray(0, 50_000));
    const rocky = path.join(FIXTURES, 'osv/rocky/RLSA-2021_3891.json');
    const result = await runVigil(['feeds', 'import', truncated, rocky], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${truncated}: truncated gzip`);
    expect(result.stderr).toContain('1 of 2 source(s) not imported; their feeds are unchanged');
    expect(result.stdout).toContain('osv:RLSA-2021_3891: 1 records read: 1 added');
  });

  it('refuses --feed with several sources, and a feed name that is not one', async () => {
    const two = await runVigil(['feeds', 'import', KEV, NPM, '--feed', 'osv:x'], env);
    expect(two.code).toBe(64);
    expect(two.stderr).toContain('--feed names one feed');
    const bad = await runVigil(['feeds', 'import', NPM, '--feed', '../etc'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('feed name "../etc" must be');
  });

  it('status lists every feed, and warns about one older than FEED_MAX_AGE_HOURS', async () => {
    const database = await open();
    try {
      await database.query(
        `UPDATE vigil.feeds SET imported_at = now() - interval '100 hours', checked_at = now() - interval '100 hours' WHERE name = 'kev'`,
      );
    } finally {
      await database.close();
    }
    const status = await runVigil(['feeds', 'status'], env);
    expect(status.code, status.stderr).toBe(0);
    const lines = status.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^FEED\s+KIND\s+RECORDS\s+LAST IMPORT \(UTC\)\s+AGE\s+EDITION\s+SOURCE$/);
    expect(lines.find((l) => l.startsWith('kev '))).toMatch(
      /^kev\s+kev\s+1404\s+\S+ \S+\s+4 d\s+2025\.08\.25\s+\S+known_exploited_vulnerabilities\.json$/,
    );
    expect(lines.some((l) => l.startsWith('osv:ghsa-npm '))).toBe(true);
    expect(status.stderr).toContain('warning: feed kev was last confirmed 4 d ago, more than FEED_MAX_AGE_HOURS (48 h)');
    expect(status.stderr).not.toContain('osv:ghsa-npm');

    const json = await runVigil(['feeds', 'status', '--json'], { ...env, FEED_MAX_AGE_HOURS: '200' });
    const parsed = JSON.parse(json.stdout) as { maxAgeHours: number; feeds: Array<{ name: string; recordCount: number; stale: boolean }> };
    expect(parsed.maxAgeHours).toBe(200);
    expect(parsed.feeds.find((f) => f.name === 'kev')).toMatchObject({ recordCount: 1404, stale: false });
  });

  it('shows control characters from feed content escaped, never sends them to the terminal', async () => {
    const record = JSON.parse(readFileSync(path.join(NPM, 'GHSA-35jh-r3h4-6jhm.json'), 'utf8'));
    const hostile = { ...record, id: 'E\u001b[31mRED\u001b[0m-1', details: 'nul \u0000 here' };
    const file = path.join(work, 'hostile.json');
    writeFileSync(file, JSON.stringify([record, hostile]));
    const result = await runVigil(['feeds', 'import', file, '--feed', 'osv:hostile'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('E\\x1b[31mRED\\x1b[0m-1');
    expect(result.stderr + result.stdout).not.toContain('\u001b');
  });

  it('sync without mirrors says how to configure them (exit 78)', async () => {
    const result = await runVigil(['feeds', 'sync'], env);
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('FEED_MIRRORS');
  });
});
