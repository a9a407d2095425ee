import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intelDigest } from '../../../test/helpers/intel-digest.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { AppError } from '../../lib/app-error.ts';
import { importFeed } from './feed-import.service.ts';
import { identifySource } from './feed-source.ts';
import { feedStatus } from './feed-status.service.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../../../../../shared/fixtures');
const fixture = (relative: string) => path.join(FIXTURES, relative);
const tmp = mkdtempSync(path.join(tmpdir(), 'vigil-feeds-'));
let counter = 0;
const temp = (name: string, content: string | Buffer): string => {
  const file = path.join(tmp, `${counter++}-${name}`);
  writeFileSync(file, content);
  return file;
};

/**
 * What each fixture holds, counted from the files themselves (entries in the zips, elements of the
 * JSON arrays, lines of the CSV): `read` records, of which `live` are not withdrawn by their
 * publisher (or, for WordPress, distinct ids: the feed lists a vulnerability once per theme).
 */
const FIXTURE_FEEDS = [
  { file: 'kev/known_exploited_vulnerabilities.json', kind: 'kev', feed: 'kev', read: 1404, live: 1404 },
  { file: 'epss/epss_scores-2026-08-16-derived.csv.gz', kind: 'epss', feed: 'epss', read: 360_142, live: 360_142 },
  { file: 'nvd/nvd-api2-cves-2023.json.gz', kind: 'nvd', feed: 'nvd', read: 200, live: 200 },
  { file: 'nvd/nvd-api2-osvdev-13-cves-assembled.json.gz', kind: 'nvd', feed: 'nvd', read: 13, live: 213 },
  { file: 'nvd/nvd-api2-cves-CVE-2023-0001.json.gz', kind: 'nvd', feed: 'nvd', read: 1, live: 214 },
  { file: 'osv/go-vulndb-osv-GO-2020-to-2025.zip', kind: 'osv', feed: 'osv:go-vulndb-osv-GO-2020-to-2025', read: 2494, live: 2486 },
  {
    file: 'osv/pypa-advisory-database-PYSEC-2005-to-2021.zip',
    kind: 'osv',
    feed: 'osv:pypa-advisory-database-PYSEC-2005-to-2021',
    read: 1894,
    live: 1890,
  },
  { file: 'osv/rustsec-osv-RUSTSEC-2016-to-2023.zip', kind: 'osv', feed: 'osv:rustsec-osv-RUSTSEC-2016-to-2023', read: 630, live: 621 },
  {
    file: 'osv/almalinux/almalinux-osv-database-shared.zip',
    kind: 'osv',
    feed: 'osv:almalinux-osv-database-shared',
    read: 2441,
    live: 2441,
  },
  { file: 'osv/ghsa-maven-zeppelin-slice-A.zip', kind: 'osv', feed: 'osv:ghsa-maven-zeppelin-slice-A', read: 181, live: 181 },
  { file: 'osv/ghsa-npm', kind: 'osv', feed: 'osv:ghsa-npm', read: 5, live: 5 },
  { file: 'osv/ubuntu-usn', kind: 'osv', feed: 'osv:ubuntu-usn', read: 18, live: 18 },
  { file: 'osv/rocky/RLSA-2021_3891.json', kind: 'osv', feed: 'osv:RLSA-2021_3891', read: 1, live: 1 },
  { file: 'secdb/alpine/alpine-secdb-v3.7-main.yaml', kind: 'osv', feed: 'osv:alpine-secdb-v3.7-main', read: 1129, live: 1129 },
  { file: 'secdb/alpine/alpine-secdb-v3.3-community.yaml', kind: 'osv', feed: 'osv:alpine-secdb-v3.3-community', read: 0, live: 0 },
  {
    file: 'debian-tracker/vulnerablecode-debian-tracker-subset.json',
    kind: 'osv',
    feed: 'osv:vulnerablecode-debian-tracker-subset',
    read: 6,
    live: 6,
  },
  {
    file: 'wordpress/wpsecadv-wordfence-derived-31-files.zip',
    kind: 'osv',
    feed: 'osv:wpsecadv-wordfence-derived-31-files',
    read: 1005,
    live: 1003,
  },
] as const;

async function importFile(file: string, options: Parameters<typeof importFeed>[2] = {}, name?: string) {
  return importFeed(db.database, await identifySource(file, name ? { name } : {}), options);
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const count = async (sql: string, params: unknown[] = []): Promise<number> =>
  Number((await db.database.query<{ n: string }>(sql, params)).rows[0]?.n);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

describe('importing the fixture feeds', () => {
  beforeAll(async () => {
    for (const f of FIXTURE_FEEDS) await importFile(fixture(f.file));
  }, 240_000);

  it('holds, for every fixture, the records its file holds', async () => {
    // NVD accumulates pages: its count is the last page's `live`, the CVEs of all three files.
    const expected = new Map(FIXTURE_FEEDS.map((f) => [f.feed, f]));
    const feeds = await feedStatus(db.database, 48);
    expect(feeds.map((f) => f.name).sort()).toEqual([...expected.keys()].sort());
    for (const f of expected.values()) {
      expect(
        feeds.find((row) => row.name === f.feed),
        f.file,
      ).toMatchObject({ kind: f.kind, recordCount: f.live });
    }
    const reads = await db.database.query<{ source: string; records: number }>('SELECT source, records FROM vigil.feed_imports');
    for (const f of FIXTURE_FEEDS) {
      expect(reads.rows.find((row) => row.source === fixture(f.file))?.records, f.file).toBe(f.read);
    }
    expect(await count('SELECT count(*) AS n FROM vigil.kev_entries')).toBe(1404);
    expect(await count('SELECT count(*) AS n FROM vigil.epss_scores')).toBe(360_142);
    expect(await count('SELECT count(*) AS n FROM vigil.nvd_cves')).toBe(214);
    expect(await count("SELECT count(*) AS n FROM vigil.advisories WHERE feed = 'osv:go-vulndb-osv-GO-2020-to-2025' AND withdrawn")).toBe(
      8,
    );
  });

  it('stores what the files say: a KEV entry, an EPSS score, an NVD CVSS vector, an advisory and its packages', async () => {
    const kev = JSON.parse(readFileSync(fixture('kev/known_exploited_vulnerabilities.json'), 'utf8')).vulnerabilities[0];
    const { rows: kevRows } = await db.database.query<{ due: string; ransomware: string }>(
      `SELECT due_date::text AS due, known_ransomware AS ransomware FROM vigil.kev_entries WHERE cve_id = $1`,
      [kev.cveID],
    );
    expect(kevRows[0]).toEqual({ due: kev.dueDate, ransomware: kev.knownRansomwareCampaignUse });

    const line =
      gunzipSync(readFileSync(fixture('epss/epss_scores-2026-08-16-derived.csv.gz')))
        .toString('utf8')
        .split('\n')[1] ?? '';
    const [cve, epss, percentile] = line.split(',');
    const { rows: epssRows } = await db.database.query<{ epss: string; percentile: string }>(
      'SELECT epss::text AS epss, percentile::text AS percentile FROM vigil.epss_scores WHERE cve_id = $1',
      [cve],
    );
    expect(Number(epssRows[0]?.epss)).toBe(Number(epss));
    expect(Number(epssRows[0]?.percentile)).toBe(Number(percentile));

    const { rows: nvdRows } = await db.database.query<{ cvss: Array<{ vector: string; score: number | null }> }>(
      "SELECT cvss FROM vigil.nvd_cves WHERE cve_id = 'CVE-2023-0001'",
    );
    expect(nvdRows[0]?.cvss.some((c) => c.vector.startsWith('CVSS:3.1/') && typeof c.score === 'number')).toBe(true);

    const { rows: packages } = await db.database.query<{ ecosystem: string; name: string }>(
      "SELECT ecosystem, name FROM vigil.advisory_packages WHERE feed = 'osv:ubuntu-usn' AND advisory_id = 'USN-4038-1'",
    );
    expect(packages.length).toBeGreaterThan(0);
    expect(packages.every((p) => p.ecosystem.startsWith('ubuntu:'))).toBe(true);
  });

  it('a second import of the same files reports no change and writes nothing', async () => {
    const before = await intelDigest(db.database);
    for (const f of FIXTURE_FEEDS) {
      const report = await importFile(fixture(f.file));
      expect(report.status, f.file).toBe('unchanged');
      expect(report.importId).toBeNull();
    }
    expect(await intelDigest(db.database)).toEqual(before);
  });

  it('refuses an older KEV catalog after a newer one, changing nothing, and imports it when told to', async () => {
    const catalog = JSON.parse(readFileSync(fixture('kev/known_exploited_vulnerabilities.json'), 'utf8'));
    const dropped = catalog.vulnerabilities.pop();
    const older = temp(
      'older-kev.json',
      JSON.stringify({
        ...catalog,
        catalogVersion: '2025.08.01',
        dateReleased: '2025-08-01T12:00:00Z',
        count: catalog.vulnerabilities.length,
      }),
    );
    const before = await intelDigest(db.database);
    const error = await failure(importFile(older));
    expect(error.code).toBe('FEED_OLDER_EDITION');
    expect(error.message).toContain('2025.08.01');
    expect(error.message).toContain('--allow-older');
    expect(await intelDigest(db.database)).toEqual(before);

    const forced = await importFile(older, { allowOlder: true });
    expect(forced).toMatchObject({ status: 'imported', added: 0, modified: 0, withdrawn: 1, recordCount: 1403 });
    expect([...forced.changes]).toEqual([[dropped.cveID, 'withdrawn']]);
    const back = await importFile(fixture('kev/known_exploited_vulnerabilities.json'));
    expect(back).toMatchObject({ added: 1, modified: 0, withdrawn: 0, recordCount: 1404 });
  });

  it('takes the CSV form of the same day’s KEV catalog as current, with nothing to change', async () => {
    const report = await importFile(fixture('kev/known_exploited_vulnerabilities.csv'));
    expect(report).toMatchObject({ status: 'imported', added: 0, modified: 0, withdrawn: 0, recordCount: 1404 });
  });
});

describe('bad input leaves the feed as it was, with an error naming the file and the row or record', () => {
  beforeAll(async () => {
    await importFile(fixture('kev/known_exploited_vulnerabilities.json'));
    const lines = gunzipSync(readFileSync(fixture('epss/epss_scores-2026-08-16-derived.csv.gz')))
      .toString('utf8')
      .split('\n');
    await importFile(temp('epss-small.csv', `${lines.slice(0, 2001).join('\n')}\n`));
  }, 120_000);

  async function refused(file: string, code: string, ...fragments: string[]): Promise<void> {
    const before = await intelDigest(db.database);
    const error = await failure(importFile(file));
    expect(error.code).toBe(code);
    for (const fragment of fragments) expect(error.message).toContain(fragment);
    expect(await intelDigest(db.database)).toEqual(before);
  }

  it('a truncated gzip', async () => {
    const whole = readFileSync(fixture('epss/epss_scores-2026-08-16-derived.csv.gz'));
    const file = temp('truncated.csv.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    await refused(file, 'FEED_SOURCE_INVALID', file, 'truncated gzip');
  });

  it('a gzip bomb', async () => {
    // 8 MiB of blank lines deflate ~1000×; the ratio rule is set to apply from 1 MiB (16 by
    // default) so the test need not inflate tens of MiB to show it.
    const bomb = gzipSync(Buffer.concat([Buffer.from('cve,epss,percentile\n'), Buffer.alloc(8 * 1024 * 1024, 0x0a)]), { level: 9 });
    const file = temp('bomb.csv.gz', bomb);
    const before = await intelDigest(db.database);
    const error = await failure(importFile(file, { limits: { ratioFloorBytes: 1024 * 1024, maxRatio: 500 } }));
    expect(error.code).toBe('FEED_SOURCE_INVALID');
    expect(error.message).toContain(file);
    expect(error.message).toContain('gzip bomb');
    expect(await intelDigest(db.database)).toEqual(before);
  });

  it('an EPSS CSV with a broken row', async () => {
    const file = temp('broken.csv', 'cve,epss,percentile\nCVE-2020-0001,0.1,0.5\nCVE-2020-0002,zero,0.5\nCVE-2020-0003,0.2,0.6\n');
    await refused(file, 'FEED_SOURCE_INVALID', `${file}:3`);
  });

  it('a KEV CSV with a broken row', async () => {
    const csv = readFileSync(fixture('kev/known_exploited_vulnerabilities.csv'), 'utf8').split('\n');
    csv[5] = 'CVE-2024-0001,only,three';
    const file = temp('broken-kev.csv', csv.join('\n'));
    await refused(file, 'FEED_SOURCE_INVALID', `${file}:6`);
  });

  it('NVD JSON of the wrong shape', async () => {
    const file = temp(
      'nvd-wrong.json',
      JSON.stringify({ format: 'NVD_CVE', version: '2.0', vulnerabilities: { cve: { id: 'CVE-2020-0001' } } }),
    );
    await refused(file, 'FEED_SOURCE_INVALID', file);
  });

  it('a KEV catalog listing one CVE twice', async () => {
    const catalog = JSON.parse(readFileSync(fixture('kev/known_exploited_vulnerabilities.json'), 'utf8'));
    const twice = catalog.vulnerabilities[3];
    catalog.vulnerabilities.push(twice);
    catalog.count++;
    const file = temp('duplicate-kev.json', JSON.stringify(catalog));
    await refused(file, 'FEED_SOURCE_INVALID', file, twice.cveID, 'duplicate');
  });

  it('an advisory source that yields nothing where the feed had records', async () => {
    await importFile(fixture('osv/ghsa-npm'), {}, 'osv:npm-test');
    const empty = temp('empty.json', '[]');
    const before = await intelDigest(db.database);
    const error = await failure(importFile(empty, {}, 'osv:npm-test'));
    expect(error.code).toBe('FEED_EMPTY');
    expect(error.message).toContain('withdraw them all');
    expect(await intelDigest(db.database)).toEqual(before);
  });

  it('a source of another kind than the feed it names', async () => {
    const error = await failure(identifySource(fixture('kev/known_exploited_vulnerabilities.json'), { name: 'epss' }));
    expect(error.code).toBe('FEED_KIND_MISMATCH');
  });

  it('an advisory holding a NUL character is skipped with a problem, the rest imported', async () => {
    const record = JSON.parse(readFileSync(fixture('osv/ghsa-npm/GHSA-35jh-r3h4-6jhm.json'), 'utf8'));
    const poisoned = { ...record, id: 'GHSA-nul0-nul0-nul0', details: 'a\u0000b' };
    const file = temp('with-nul.json', JSON.stringify([record, poisoned]));
    const report = await importFile(file, {}, 'osv:nul-test');
    expect(report).toMatchObject({ added: 1, problems: 1 });
    expect(report.problemSamples[0]).toMatchObject({ record: 'GHSA-nul0-nul0-nul0' });
  });
});

describe('feed status', () => {
  it('warns about a feed older than the maximum age', async () => {
    await importFile(fixture('osv/rocky/RLSA-2021_3891.json'), {}, 'osv:rocky-age');
    const now = await feedStatus(db.database, 48);
    expect(now.find((f) => f.name === 'osv:rocky-age')).toMatchObject({ stale: false, recordCount: 1 });
    const later = await feedStatus(db.database, 48, new Date(Date.now() + 49 * 3_600_000));
    expect(later.find((f) => f.name === 'osv:rocky-age')?.stale).toBe(true);
  });
});

describe('stale, partial and broken copies do not undo newer data', () => {
  const template = JSON.parse(readFileSync(fixture('osv/ghsa-npm/GHSA-35jh-r3h4-6jhm.json'), 'utf8'));
  const record = (id: string, modified: string, extra: Record<string, unknown> = {}) => ({
    ...template,
    id,
    aliases: [],
    modified,
    ...extra,
  });
  const osvFile = (name: string, records: unknown[]) => temp(`${name}.json`, JSON.stringify(records));
  const live = async (feed: string) =>
    (
      await db.database.query<{ id: string; withdrawn: boolean; modified: string }>(
        'SELECT id, withdrawn, modified FROM vigil.advisories WHERE feed = $1 ORDER BY id',
        [feed],
      )
    ).rows;

  it('an advisory holding an unpaired surrogate is skipped with a problem; the rest import', async () => {
    const file = osvFile('surrogate', [
      record('S-1', '2024-01-01T00:00:00Z'),
      record('S-2', '2024-01-01T00:00:00Z', { summary: 'bad \ud800 text' }),
    ]);
    const report = await importFile(file, {}, 'osv:surrogate');
    expect(report).toMatchObject({ added: 1, problems: 1 });
    expect(report.problemSamples[0]).toMatchObject({ record: 'S-2', reason: expect.stringContaining('surrogate') });
  });

  it('a record older than the stored one is kept as stored; a stale snapshot does not withdraw newer records', async () => {
    await importFile(osvFile('fresh', [record('O-1', '2024-05-01T00:00:00Z'), record('O-2', '2024-05-01T00:00:00Z')]), {}, 'osv:stale');
    await importFile(
      osvFile('newer', [
        record('O-1', '2024-06-01T00:00:00Z', { summary: 'v2' }),
        record('O-2', '2024-05-01T00:00:00Z'),
        record('O-3', '2024-07-01T00:00:00Z'),
      ]),
      {},
      'osv:stale',
    );
    // A mirror's old copy: O-1 at its first version, without O-3 (published after the copy was made).
    const stale = await importFile(
      osvFile('stale', [record('O-1', '2024-05-01T00:00:00Z'), record('O-2', '2024-05-01T00:00:00Z')]),
      {},
      'osv:stale',
    );
    expect(stale).toMatchObject({ added: 0, modified: 0, withdrawn: 0, problems: 1 });
    expect(stale.problemSamples[0]?.reason).toContain('older than the stored copy');
    expect(await live('osv:stale')).toEqual([
      { id: 'O-1', withdrawn: false, modified: '2024-06-01T00:00:00Z' },
      { id: 'O-2', withdrawn: false, modified: '2024-05-01T00:00:00Z' },
      { id: 'O-3', withdrawn: false, modified: '2024-07-01T00:00:00Z' },
    ]);
  });

  it('a record this copy names but cannot read is not withdrawn', async () => {
    await importFile(osvFile('whole', [record('W-1', '2024-01-01T00:00:00Z'), record('W-2', '2024-01-01T00:00:00Z')]), {}, 'osv:unread');
    const broken = await importFile(
      osvFile('broken', [record('W-1', '2024-01-01T00:00:00Z'), record('W-2', '2024-01-02T00:00:00Z', { affected: 'oops' })]),
      {},
      'osv:unread',
    );
    expect(broken).toMatchObject({ withdrawn: 0, problems: 1 });
    expect((await live('osv:unread')).map((r) => [r.id, r.withdrawn])).toEqual([
      ['W-1', false],
      ['W-2', false],
    ]);
  });

  it('the file last imported as a partial slice, imported again as a snapshot, withdraws what it lacks', async () => {
    await importFile(osvFile('full', [record('P-1', '2024-01-01T00:00:00Z'), record('P-2', '2024-01-01T00:00:00Z')]), {}, 'osv:partial');
    const slice = osvFile('slice', [record('P-1', '2024-02-01T00:00:00Z')]);
    expect(await importFile(slice, { partial: true }, 'osv:partial')).toMatchObject({ modified: 1, withdrawn: 0 });
    expect(await importFile(slice, { partial: true }, 'osv:partial')).toMatchObject({ status: 'unchanged' });
    expect(await importFile(slice, {}, 'osv:partial')).toMatchObject({ status: 'imported', withdrawn: 1 });
  });

  it('an NVD copy older than the stored CVE keeps the stored one', async () => {
    const page = JSON.parse(gunzipSync(readFileSync(fixture('nvd/nvd-api2-cves-CVE-2023-0001.json.gz'))).toString('utf8'));
    const newer = structuredClone(page);
    newer.vulnerabilities[0].cve.lastModified = '2024-06-01T00:00:00.000';
    newer.vulnerabilities[0].cve.descriptions[0].value = 'updated description';
    expect(await importFile(temp('nvd-newer.json', JSON.stringify(newer)))).toMatchObject({ modified: 1 });
    const older = await importFile(temp('nvd-older.json', JSON.stringify(page, null, 1)));
    expect(older).toMatchObject({ modified: 0, problems: 1 });
    const { rows } = await db.database.query<{ description: string }>(
      "SELECT description FROM vigil.nvd_cves WHERE cve_id = 'CVE-2023-0001'",
    );
    expect(rows[0]?.description).toBe('updated description');
  });

  it('an undated EPSS file after a dated one is refused', async () => {
    const dated = temp(
      'epss-dated.csv',
      '#model_version:v2025.03.14,score_date:2025-08-16T00:00:00+0000\ncve,epss,percentile\nCVE-2020-0001,0.1,0.5\n',
    );
    expect(await importFile(dated)).toMatchObject({ status: 'imported' });
    const before = await intelDigest(db.database);
    const error = await failure(importFile(temp('epss-undated.csv', 'cve,epss,percentile\nCVE-2020-0001,0.2,0.6\n')));
    expect(error.code).toBe('FEED_OLDER_EDITION');
    expect(error.message).toContain('no score date');
    expect(await intelDigest(db.database)).toEqual(before);
  });

  it('the KEV CSV is current after a JSON re-release that added no CVE', async () => {
    const catalog = JSON.parse(readFileSync(fixture('kev/known_exploited_vulnerabilities.json'), 'utf8'));
    catalog.dateReleased = '2025-08-27T10:00:00.000Z';
    catalog.catalogVersion = '2025.08.27';
    catalog.vulnerabilities[0].notes = `${catalog.vulnerabilities[0].notes} (updated)`;
    expect(await importFile(temp('kev-rereleased.json', JSON.stringify(catalog)))).toMatchObject({ modified: 1 });
    const csv = await importFile(fixture('kev/known_exploited_vulnerabilities.csv'));
    expect(csv).toMatchObject({ status: 'imported', added: 0, withdrawn: 0 });
  });
});
