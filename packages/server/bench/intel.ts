/**
 * `npm run bench:intel`: the intelligence store's figures, one per line. Each fixture feed is
 * imported into an empty embedded database and an empty PostgreSQL database, in a process of its
 * own (its peak memory is the import's); then the advisory index is built from the store, and the
 * reverse index answers 100 new advisories across 10,000 stored inventories.
 * PostgreSQL: DATABASE_URL when set (a superuser, to create databases), else a throwaway cluster
 * from the machine's PostgreSQL packages. Targets (2 cores): >= 5,000 OSV records/s into
 * PostgreSQL, EPSS's 300,000 rows in <= 20 s, 100 advisories × 10,000 inventories in <= 1 s,
 * peak memory < 512 MB for every fixture.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdvisoryIndex, type OsvRecord, readAdvisories } from '@vigil/vulndb';
import pg from 'pg';
import { buildZip } from '../../vulndb/src/advisories/zip-test-writer.ts';
import { openDatabase } from '../src/db/database.ts';
import { importFeed } from '../src/modules/intel/feed-import.service.ts';
import { identifySource } from '../src/modules/intel/feed-source.ts';
import { startCluster } from './intel/pg-cluster.ts';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
const IMPORT_ONE = fileURLToPath(new URL('./intel/import-one.ts', import.meta.url));
const INVENTORY_BENCH = fileURLToPath(new URL('./intel/inventory-index.bench.ts', import.meta.url));
const FEEDS = [
  'kev/known_exploited_vulnerabilities.json',
  'epss/epss_scores-2026-08-16-derived.csv.gz',
  'nvd/nvd-api2-cves-2023.json.gz',
  'osv/go-vulndb-osv-GO-2020-to-2025.zip',
  'osv/pypa-advisory-database-PYSEC-2005-to-2021.zip',
  'osv/rustsec-osv-RUSTSEC-2016-to-2023.zip',
  'osv/almalinux/almalinux-osv-database-shared.zip',
  'osv/ghsa-maven-zeppelin-slice-A.zip',
  'secdb/alpine/alpine-secdb-v3.7-main.yaml',
  'debian-tracker/vulnerablecode-debian-tracker-subset.json',
  'wordpress/wpsecadv-wordfence-derived-31-files.zip',
];

const print = (name: string, value: string | number, unit: string): void => {
  process.stdout.write(`${name}: ${typeof value === 'number' ? value.toLocaleString('en-US') : value} ${unit}\n`);
};

interface Run {
  records: number;
  seconds: number;
  warmSeconds: number | null;
  peakMb: number;
}

function importInChild(kind: 'pglite' | 'postgres', where: string, file: string): Run {
  const out = execFileSync(process.execPath, ['--import', 'tsx', IMPORT_ONE, kind, where, file], {
    env: { ...process.env, LOG_LEVEL: 'silent' },
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(out.toString().trim().split('\n').at(-1) as string) as Run;
}

async function freshPostgres(serverUrl: string, n: number): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const name = `vigil_bench_${process.pid}_${n}`;
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * An embedded database created and migrated once, copied for each import: creating a cluster
 * (initdb inside PGlite) costs more memory than any import and happens once per installation, so
 * each import is measured as a running installation does it, on an existing database.
 */
let template: string | null = null;
async function embeddedTemplate(): Promise<void> {
  template = mkdtempSync(path.join(tmpdir(), 'vigil-bench-template-'));
  const database = await openDatabase({ kind: 'pglite', dataDir: template });
  await database.close();
  const baseline = importInChild('pglite', template, '-');
  print('embedded database opened, no import, peak memory', baseline.peakMb, 'MB');
}

/**
 * The fixtures are slices; real ecosystem feeds (osv.dev's `all.zip`) hold ten to a hundred times
 * more, where a process's start-up no longer counts. This one is the Go fixture eight times over,
 * each copy's ids suffixed: 19,952 records, the size of a mid-sized ecosystem's feed.
 */
async function largeOsvZip(dir: string): Promise<string> {
  const texts: string[] = [];
  await readAdvisories(path.join(FIXTURES, 'osv/go-vulndb-osv-GO-2020-to-2025.zip'), {
    record: (record) => texts.push(JSON.stringify(record)),
    problem: () => {},
  });
  const entries = [];
  for (let copy = 1; copy <= 8; copy++) {
    for (const text of texts) {
      const record = JSON.parse(text) as { id: string };
      record.id = `${record.id}-${copy}`;
      entries.push({ name: `${record.id}.json`, data: JSON.stringify(record), method: 'deflate' as const });
    }
  }
  const file = path.join(dir, 'osv-go-x8.zip');
  writeFileSync(file, buildZip(entries));
  return file;
}

async function importFigures(kind: 'pglite' | 'postgres', serverUrl: string | null): Promise<void> {
  let osvRecords = 0;
  let osvSeconds = 0;
  let warmRecords = 0;
  let warmSeconds = 0;
  let n = 0;
  for (const feed of [...FEEDS, LARGE]) {
    const file = path.isAbsolute(feed) ? feed : path.join(FIXTURES, feed);
    let run: Run;
    if (kind === 'pglite') {
      const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-'));
      try {
        cpSync(template as string, dir, { recursive: true });
        run = importInChild('pglite', dir, file);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else {
      run = importInChild('postgres', await freshPostgres(serverUrl as string, n++), file);
    }
    const label = path.basename(feed);
    print(`import ${label} (${kind}), rate`, Math.round(run.records / run.seconds), 'records/s');
    print(`import ${label} (${kind}), time`, Number(run.seconds.toFixed(2)), `s for ${run.records.toLocaleString('en-US')} records`);
    print(`import ${label} (${kind}), peak memory`, run.peakMb, 'MB');
    if (run.warmSeconds !== null) {
      print(`import ${label} (${kind}), rate in a warm process`, Math.round(run.records / run.warmSeconds), 'records/s');
      warmRecords += run.records;
      warmSeconds += run.warmSeconds;
    }
    if (feed !== LARGE && /^(osv|secdb|debian-tracker|wordpress)\//.test(feed)) {
      osvRecords += run.records;
      osvSeconds += run.seconds;
    }
  }
  print(`import of all advisory fixtures (${kind}), rate in a fresh process`, Math.round(osvRecords / osvSeconds), 'records/s');
  print(`import of all advisory fixtures (${kind}), rate in a warm process`, Math.round(warmRecords / warmSeconds), 'records/s');
}

/** The advisory index as the server builds it: every live advisory of the store. */
async function indexBuildFigure(): Promise<void> {
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  try {
    for (const feed of FEEDS.filter((f) => !/kev|epss|nvd/.test(f)))
      await importFeed(database, await identifySource(path.join(FIXTURES, feed)));
    const started = performance.now();
    const { rows } = await database.query<{ feed: string; record: OsvRecord }>(
      'SELECT feed, record FROM vigil.advisories WHERE NOT withdrawn',
    );
    const index = new AdvisoryIndex();
    for (const row of rows) index.add(row.record, `feed:${row.feed}`);
    print(
      'advisory index build from the store (embedded)',
      Math.round(performance.now() - started),
      `ms for ${index.stats.records.toLocaleString('en-US')} records`,
    );
  } finally {
    await database.close();
  }
}

print('cores', availableParallelism(), 'cores');
const scratch = mkdtempSync(path.join(tmpdir(), 'vigil-bench-large-'));
const LARGE = await largeOsvZip(scratch);
await embeddedTemplate();
await importFigures('pglite', null);
rmSync(template as unknown as string, { recursive: true, force: true });
const cluster = process.env.DATABASE_URL ? null : await startCluster();
const serverUrl = process.env.DATABASE_URL ?? cluster?.url ?? null;
try {
  if (serverUrl) await importFigures('postgres', serverUrl);
  else print('postgres', 'not measured', '(no DATABASE_URL and no PostgreSQL installed)');
} finally {
  cluster?.stop();
}
await indexBuildFigure();
rmSync(scratch, { recursive: true, force: true });
// In a process of its own, so its peak memory is the index's alone.
process.stdout.write(execFileSync(process.execPath, ['--import', 'tsx', INVENTORY_BENCH], { maxBuffer: 1024 * 1024 }).toString());
