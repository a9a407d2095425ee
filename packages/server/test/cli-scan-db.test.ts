import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_SLA_DAYS } from '@vigil/vulndb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractFinding, ScanDocument } from '../src/cli/scan-report/contract.ts';
import { type Database, type DatabaseConfig, openDatabase } from '../src/db/database.ts';
import { importFeed } from '../src/modules/intel/feed-import.service.ts';
import { identifySource } from '../src/modules/intel/feed-source.ts';
import { childEnv, SERVER_DIR, start, VIGIL_BIN } from './helpers/processes.ts';
import { FIXTURES } from './helpers/scan-fixtures.ts';
import { createEmptyPostgresDatabase, onPostgres } from './helpers/test-database.ts';

/**
 * `vigil scan` against the feed store: advisories from the database when no --advisories is
 * given, and KEV, EPSS and NVD enrichment with a priority for every finding. The feeds are real
 * fixture files imported in-process (the database is closed again before any scan: an embedded
 * one is locked while open); the scans run as child processes, as users run them.
 */

const KEV_FILE = `${FIXTURES}kev/known_exploited_vulnerabilities.json`;
const EPSS_FILE = `${FIXTURES}epss/epss_scores-2026-08-16-derived.csv.gz`;
const NVD_FILE = `${FIXTURES}nvd/nvd-api2-cves-2023.json.gz`;
const GO_FILE = `${FIXTURES}osv/go-vulndb-osv-GO-2020-to-2025.zip`;
const USN_DIR = `${FIXTURES}osv/ubuntu-usn`;
/** An Ubuntu 18.04 status file: USN-4705-1 (sudo) folds CVE-2021-3156, which is in KEV, with CVE-2021-23239. */
const BIONIC = `${FIXTURES}inventories/ubuntu-18.04-bionic.dpkg-status`;
/** GO-2025-3459 (CVE-2025-24016, in the KEV fixture) affects wazuh 4.4.0 up to 4.9.1. */
const KEV_MODULE = 'github.com/wazuh/wazuh';
/** An NVD CVE of the fixture page with exactly one CVSS metric, so its preferred CVSS is plain. */
const NVD_CVE = 'CVE-2022-42960';
/** Unreachable on purpose: port 1 refuses connections at once. */
const UNREACHABLE_URL = 'postgres://vigil@127.0.0.1:1/vigil';
const NO_ADVISORIES = /no advisories: pass --advisories or import feeds with `vigil feeds import`/;

interface KevJson {
  cveID: string;
  dateAdded: string;
  dueDate: string;
  knownRansomwareCampaignUse: string;
}

/** A database for child processes: an embedded data directory, or a fresh PostgreSQL database on CI. */
interface Store {
  env: Record<string, string>;
  config: DatabaseConfig;
  drop(): Promise<void>;
}

async function createStore(dataDir: string): Promise<Store> {
  const postgres = await createEmptyPostgresDatabase();
  if (!postgres) return { env: { VIGIL_DATA_DIR: dataDir }, config: { kind: 'pglite', dataDir }, drop: async () => {} };
  return {
    env: { DATABASE_URL: postgres.url, DATABASE_MIGRATION_URL: postgres.migrationUrl, VIGIL_DATA_DIR: dataDir },
    config: { kind: 'postgres', url: postgres.url, migrationUrl: postgres.migrationUrl, poolMax: 2, dataDir },
    drop: postgres.drop,
  };
}

async function importInto(store: Store, files: readonly string[]): Promise<void> {
  const database = await openDatabase(store.config);
  try {
    for (const file of files) await importFeed(database, await identifySource(file));
  } finally {
    await database.close();
  }
}

async function scan(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = start(process.execPath, [VIGIL_BIN, 'scan', ...args], childEnv(env), SERVER_DIR, 'pipe');
  run.child.stdin?.end();
  return run.exited;
}

const today = () => new Date().toISOString().slice(0, 10);
const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const byId = (doc: ScanDocument, id: string): ContractFinding | undefined => doc.findings.find((f) => f.id === id);

let work: string;
let store: Store;
let inventory: string;
let nvdOnlyAdvisory: string;
let kev: Map<string, KevJson>;
/** The scan against the database alone, and the days before and after it ran. */
let fromDb: ScanDocument;
let scanDays: string[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vigil-scan-db-'));
  // A Go module in KEV, one only an advisory without severity names, and the toolchain (stdlib).
  inventory = join(work, 'go.mod');
  await writeFile(
    inventory,
    `module example.com/app\n\ngo 1.21\n\nrequire (\n\t${KEV_MODULE} v4.5.0+incompatible\n\texample.com/nvd-only v1.0.0\n)\n`,
  );
  // An advisory with a CVE alias and no severity: its CVSS can only come from NVD.
  await mkdir(join(work, 'extra'));
  nvdOnlyAdvisory = join(work, 'extra', 'VIGIL-TEST-0001.json');
  await writeFile(
    nvdOnlyAdvisory,
    JSON.stringify({
      schema_version: '1.6.0',
      id: 'VIGIL-TEST-0001',
      modified: '2026-11-22T00:00:00Z',
      aliases: [NVD_CVE],
      summary: 'an advisory without severity',
      affected: [
        {
          package: { ecosystem: 'Go', name: 'example.com/nvd-only' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.1' }] }],
        },
      ],
    }),
  );
  kev = new Map((JSON.parse(await readFile(KEV_FILE, 'utf8')) as { vulnerabilities: KevJson[] }).vulnerabilities.map((v) => [v.cveID, v]));

  store = await createStore(join(work, 'data'));
  await importInto(store, [KEV_FILE, EPSS_FILE, NVD_FILE, GO_FILE, USN_DIR, nvdOnlyAdvisory]);
  const before = today();
  // At LOG_LEVEL info too, nothing but the report reaches standard output.
  const run = await scan([inventory, BIONIC, '--format', 'json'], { ...store.env, LOG_LEVEL: 'info' });
  scanDays = [before, today()];
  expect(run.stderr).toMatch(/^(vigil: note: [^\n]*\n)*$/);
  expect(run.code).toBe(0);
  fromDb = JSON.parse(run.stdout) as ScanDocument;
}, 300_000);

afterAll(async () => {
  await store?.drop();
  await rm(work, { recursive: true, force: true });
});

describe('vigil scan against the feed store', () => {
  it('without --advisories, finds what the same feed files give with --advisories', async () => {
    const advisories = [GO_FILE, USN_DIR, nvdOnlyAdvisory].flatMap((file) => ['--advisories', file]);
    const run = await scan([inventory, BIONIC, '--format', 'json', ...advisories], store.env);
    expect(run.code).toBe(0);
    const fromFiles = JSON.parse(run.stdout) as ScanDocument;
    for (const id of ['GO-2025-3459', 'VIGIL-TEST-0001', 'USN-4705-1']) expect(byId(fromDb, id)).toBeDefined();
    expect(fromDb.findings.map((f) => `${f.package} ${f.version} ${f.id}`)).toEqual(
      fromFiles.findings.map((f) => `${f.package} ${f.version} ${f.id}`),
    );
    // The database enriches a scan of files too, so the findings are equal in every field.
    expect(fromDb.findings).toEqual(fromFiles.findings);
    expect(fromDb.sources).toEqual(fromFiles.sources);
  });

  it('a finding whose CVE is in KEV carries its entry and EPSS score, and is due when KEV says', async () => {
    const epssRows = new Map(
      gunzipSync(await readFile(EPSS_FILE))
        .toString('utf8')
        .split('\n')
        .map((line) => line.split(','))
        .map(([cve, score, percentile]) => [cve as string, { cve: cve as string, score: Number(score), percentile: Number(percentile) }]),
    );
    const cvesOf = (f: ContractFinding) => [f.id, ...f.aliases].filter((id) => id.startsWith('CVE-'));
    const exploited = fromDb.findings.filter((f) => cvesOf(f).some((cve) => kev.has(cve)));
    expect(exploited.map((f) => f.id)).toEqual(expect.arrayContaining(['GO-2025-3459', 'USN-4705-1']));
    for (const finding of exploited) {
      // A finding known by several CVEs takes the earliest KEV due date and the highest EPSS score.
      const entry = cvesOf(finding)
        .flatMap((cve) => kev.get(cve) ?? [])
        .sort((a, b) => a.dueDate.localeCompare(b.dueDate))[0] as KevJson;
      expect(finding.kev).toEqual({
        cve: entry.cveID,
        date_added: entry.dateAdded,
        due_date: entry.dueDate,
        ransomware: entry.knownRansomwareCampaignUse,
      });
      const scores = cvesOf(finding).flatMap((cve) => epssRows.get(cve) ?? []);
      expect(finding.epss).toEqual(scores.sort((a, b) => b.score - a.score)[0]);
      expect(finding.priority).toMatchObject({ label: 'P1', due_date: entry.dueDate, due_by: 'kev' });
    }
    // Both sudo CVEs are scored: the folded finding shows the higher, the one in KEV.
    const sudo = byId(fromDb, 'USN-4705-1');
    expect(sudo?.aliases.filter((a) => epssRows.has(a))).toHaveLength(2);
    expect(sudo?.epss?.cve).toBe('CVE-2021-3156');

    const others = fromDb.findings.filter((f) => !exploited.includes(f));
    expect(others.length).toBeGreaterThan(0);
    for (const finding of others) {
      expect(finding.kev).toBeNull();
      expect(finding.priority.due_by).toBe('sla');
    }
  });

  it("NVD's CVSS fills a finding whose advisory has none and rates it; it is due after the severity's SLA", async () => {
    const nvd = JSON.parse(gunzipSync(await readFile(NVD_FILE)).toString('utf8')) as {
      vulnerabilities: {
        cve: { id: string; metrics: Record<string, { cvssData: { version: string; vectorString: string; baseScore: number } }[]> };
      }[];
    };
    const metrics = Object.values(nvd.vulnerabilities.find((v) => v.cve.id === NVD_CVE)?.cve.metrics ?? {}).flat();
    expect(metrics).toHaveLength(1);
    const { version, vectorString, baseScore } = (metrics[0] as (typeof metrics)[number]).cvssData;
    const finding = byId(fromDb, 'VIGIL-TEST-0001');
    expect(finding?.cvss).toEqual({ version, score: baseScore, vector: vectorString });
    // FIRST's CVSS 3.x rating scale.
    const severity = baseScore >= 9 ? 'CRITICAL' : baseScore >= 7 ? 'HIGH' : baseScore >= 4 ? 'MEDIUM' : 'LOW';
    expect(finding?.severity).toBe(severity);
    const sla = DEFAULT_SLA_DAYS[severity.toLowerCase() as keyof typeof DEFAULT_SLA_DAYS];
    expect(finding?.priority.due_by).toBe('sla');
    expect(scanDays.map((day) => addDays(day, sla))).toContain(finding?.priority.due_date);
  });

  it('the table marks KEV findings within 80 columns; SARIF results carry kev, epss and priority', async () => {
    const table = await scan([inventory], store.env);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    const due = kev.get('CVE-2025-24016')?.dueDate;
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ {2}\\S+ +GO-2025-3459 +KEV due ${due} +fix: `)));
    expect(lines).toContainEqual(expect.stringMatching(/; 1 known exploited \(KEV\)$/));

    const sarif = await scan([inventory, '--format', 'sarif'], store.env);
    expect(sarif.code).toBe(0);
    const results = JSON.parse(sarif.stdout).runs[0].results as { ruleId: string; properties: Record<string, unknown> }[];
    const finding = byId(fromDb, 'GO-2025-3459');
    expect(results.find((r) => r.ruleId === 'GO-2025-3459')?.properties).toEqual({
      kev: finding?.kev,
      epss: finding?.epss,
      priority: finding?.priority,
    });
  });
});

describe('vigil scan against a feed that withdrew an advisory', () => {
  it('reports the feed’s live advisories only', async () => {
    const withdrawing = await createStore(join(work, 'withdrawn'));
    try {
      await importInto(withdrawing, [nvdOnlyAdvisory]);
      // The feed's next copy no longer holds VIGIL-TEST-0001, only VIGIL-TEST-0002.
      const next = join(work, 'extra', 'next.json');
      await writeFile(
        next,
        JSON.stringify({
          schema_version: '1.6.0',
          id: 'VIGIL-TEST-0002',
          modified: '2026-11-22T00:00:00Z',
          affected: [{ package: { ecosystem: 'Go', name: 'example.com/nvd-only' }, versions: ['v1.0.0'] }],
        }),
      );
      const database = await openDatabase(withdrawing.config);
      try {
        await importFeed(database, await identifySource(next, { name: 'osv:VIGIL-TEST-0001' }));
      } finally {
        await database.close();
      }
      const run = await scan([inventory, '--format', 'json'], withdrawing.env);
      expect(run.code).toBe(0);
      expect((JSON.parse(run.stdout) as ScanDocument).findings.map((f) => f.id)).toEqual(['VIGIL-TEST-0002']);
    } finally {
      await withdrawing.drop();
    }
  }, 60_000);
});

describe('vigil scan without a usable database', () => {
  it('with --advisories and an unreachable database, reports as offline and says why on stderr', async () => {
    const run = await scan([inventory, '--format', 'json', '--advisories', GO_FILE], { DATABASE_URL: UNREACHABLE_URL });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/the database is not used, so findings carry no KEV, EPSS or NVD data: cannot open the database: /);
    const doc = JSON.parse(run.stdout) as ScanDocument;
    expect(byId(doc, 'GO-2025-3459')).toMatchObject({ kev: null, epss: null, priority: { due_by: 'sla' } });
  });

  it('a scan of files, and one with --no-db, leaves no database behind and connects to none', async () => {
    const dataDir = join(work, 'never-created');
    const files = await scan([inventory, '--format', 'json', '--advisories', GO_FILE], { VIGIL_DATA_DIR: dataDir });
    expect(files).toMatchObject({ code: 0, stderr: '' });
    expect(existsSync(dataDir)).toBe(false);
    // With --no-db even a configured (here unreachable) server is not tried: no warning about it.
    const noDb = await scan([inventory, '--format', 'json', '--no-db', '--advisories', GO_FILE], {
      VIGIL_DATA_DIR: dataDir,
      DATABASE_URL: UNREACHABLE_URL,
    });
    expect(noDb).toMatchObject({ code: 0, stderr: '' });
    expect(existsSync(dataDir)).toBe(false);
    expect(byId(JSON.parse(noDb.stdout) as ScanDocument, 'GO-2025-3459')?.kev).toBeNull();
  });

  it('without --advisories, no database or one without advisory feeds is exit 2 saying how to get advisories', async () => {
    const dataDir = join(work, 'no-database');
    const none = await scan([inventory], { VIGIL_DATA_DIR: dataDir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(NO_ADVISORIES);
    expect(existsSync(dataDir)).toBe(false);

    // KEV alone is intelligence, not advisories.
    const kevOnly = await createStore(join(work, 'kev-only'));
    try {
      await importInto(kevOnly, [KEV_FILE]);
      const run = await scan([inventory], kevOnly.env);
      expect(run).toMatchObject({ code: 2, stdout: '' });
      expect(run.stderr).toMatch(NO_ADVISORIES);
    } finally {
      await kevOnly.drop();
    }
  }, 60_000);

  it('without --advisories, a database that cannot be opened is exit 2 with the reason', async () => {
    const unreachable = await scan([inventory], { DATABASE_URL: UNREACHABLE_URL });
    expect(unreachable).toMatchObject({ code: 2, stdout: '' });
    expect(unreachable.stderr).toMatch(/cannot open the database: .*127\.0\.0\.1:1/);
    if (!onPostgres) {
      // An embedded database held open by another process (a running server) is locked.
      let holder: Database | undefined;
      try {
        holder = await openDatabase(store.config);
        const locked = await scan([inventory], store.env);
        expect(locked).toMatchObject({ code: 2, stdout: '' });
        expect(locked.stderr).toMatch(/cannot open the database: the data directory .* is in use by process \d+/);
      } finally {
        await holder?.close();
      }
    }
  }, 60_000);
});
