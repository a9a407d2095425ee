import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import type { OsvRecord } from '../osv/model.ts';
import { type AdvisoryProblem, AdvisorySourceError } from './model.ts';
import { isZipMagic, readAdvisories } from './reader.ts';
import { buildZip } from './zip-test-writer.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vigil-reader-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function read(path: string, options?: Parameters<typeof readAdvisories>[2]) {
  const records: { rec: OsvRecord; origin: string }[] = [];
  const problems: AdvisoryProblem[] = [];
  const result = await readAdvisories(
    path,
    { record: (rec, origin) => records.push({ rec, origin }), problem: (p) => problems.push(p) },
    options,
  );
  return { records, problems, result };
}

/** The real fixtures are read once per file and shared by the tests that look at them. */
const fixtureReads = new Map<string, ReturnType<typeof read>>();
const readFixture = (file: string): ReturnType<typeof read> => {
  let pending = fixtureReads.get(file);
  if (!pending) {
    pending = read(`${FIXTURES}${file}`);
    fixtureReads.set(file, pending);
  }
  return pending;
};

/** `GO-2020-0001.json` → `GO-2020-0001`; the zips name each file after its record. */
const stem = (origin: string) => basename(origin.slice(origin.indexOf('!') + 1)).replace(/\.(json|yaml)$/, '');

describe('readAdvisories on the real OSV fixtures', () => {
  it.each([
    ['osv/go-vulndb-osv-GO-2020-to-2025.zip', 2494, /^GO-\d{4}-\d{4}$/],
    ['osv/pypa-advisory-database-PYSEC-2005-to-2021.zip', 1894, /^PYSEC-\d{4}-\d+$/],
    ['osv/rustsec-osv-RUSTSEC-2016-to-2023.zip', 630, /^RUSTSEC-\d{4}-\d{4}$/],
    ['osv/ghsa-maven-zeppelin-slice-A.zip', 181, /^GHSA-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/],
    ['osv/almalinux/almalinux-osv-database-shared.zip', 2441, /^AL[SBE]A-\d{4}:[A-Z0-9]+$/],
  ])('%s: %i records, no problems, each named by its entry', async (file, count, idPattern) => {
    const path = `${FIXTURES}${file}`;
    const { records, problems, result } = await readFixture(file);
    expect(problems).toEqual([]);
    expect(result).toEqual({ records: count, problems: 0, documents: count, skipped: 0 });
    expect(records).toHaveLength(count);
    for (const { rec, origin } of records) {
      expect(origin.startsWith(`${path}!`)).toBe(true);
      expect(rec.id).toMatch(idPattern);
      expect(stem(origin)).toBe(rec.id);
    }
    expect(new Set(records.map((r) => r.rec.id)).size).toBe(count);
  });

  it('pypa YAML: PYSEC-2020-342 reads as the YAML says', async () => {
    const { records } = await readFixture('osv/pypa-advisory-database-PYSEC-2005-to-2021.zip');
    const found = records.find((r) => r.rec.id === 'PYSEC-2020-342');
    expect(found?.origin).toMatch(/!vulns\/apache-skywalking\/PYSEC-2020-342\.yaml$/);
    expect(found?.rec).toMatchObject({
      modified: '2023-11-07T20:24:23.946863Z',
      published: '2020-08-05T14:15:00Z',
      aliases: ['CVE-2020-13921'],
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'apache-skywalking', purl: 'pkg:pypi/apache-skywalking' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
          versions: ['0.1.0', '0.2.0', '0.3.0', '0.4.0', '0.5.0', '0.6.0', '0.7.0', '0.8.0', '1.0.0', '1.0.1'],
        },
      ],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    });
  });

  it('RustSec: withdrawn records are read (9), informational kept', async () => {
    const { records } = await readFixture('osv/rustsec-osv-RUSTSEC-2016-to-2023.zip');
    expect(records.filter((r) => r.rec.withdrawn !== undefined)).toHaveLength(9);
    expect(records.find((r) => r.rec.id === 'RUSTSEC-2016-0001')?.rec.summary).toBe('SSL/TLS MitM vulnerability due to insecure defaults');
  });

  it('AlmaLinux: LICENSE and README members are passed over; majors 8 and 10, and 9 from cross-release entries', async () => {
    const { records, result } = await readFixture('osv/almalinux/almalinux-osv-database-shared.zip');
    expect(result.documents).toBe(2441);
    expect(records.some((r) => r.origin.endsWith('LICENSE') || r.origin.endsWith('README.md'))).toBe(false);
    const ecosystems = new Set(records.flatMap((r) => (r.rec.affected ?? []).map((a) => a.package?.ecosystem)));
    expect(ecosystems).toEqual(new Set(['AlmaLinux:8', 'AlmaLinux:9', 'AlmaLinux:10']));
  });

  it('the ghsa-npm and ubuntu-usn directories, in sorted order', async () => {
    const npm = await read(`${FIXTURES}osv/ghsa-npm`);
    expect(npm.problems).toEqual([]);
    expect(npm.records.map((r) => r.rec.id)).toEqual([
      'GHSA-35jh-r3h4-6jhm',
      'GHSA-c2qf-rxjj-qqgw',
      'GHSA-jf85-cpcp-j695',
      'GHSA-p6mc-m468-83gw',
      'GHSA-xvch-5gv4-984h',
    ]);
    const usn = await read(`${FIXTURES}osv/ubuntu-usn`);
    expect(usn.problems).toEqual([]);
    expect(usn.result).toEqual({ records: 18, problems: 0, documents: 18, skipped: 0 });
    expect(usn.records[0]?.rec.id).toBe('USN-2232-1');
    expect(usn.records.map((r) => r.origin)).toEqual([...usn.records.map((r) => r.origin)].sort());
    const sudo = usn.records.find((r) => r.rec.id === 'USN-4705-1')?.rec;
    expect(sudo?.affected?.map((a) => [a.package?.ecosystem, a.ranges?.[0]?.events])).toEqual([
      ['Ubuntu:16.04:LTS', [{ introduced: '0' }, { fixed: '1.8.16-0ubuntu1.10' }]],
      ['Ubuntu:18.04:LTS', [{ introduced: '0' }, { fixed: '1.8.21p2-3ubuntu1.4' }]],
      ['Ubuntu:20.04:LTS', [{ introduced: '0' }, { fixed: '1.8.31-1ubuntu1.2' }]],
    ]);
  });

  it('the Rocky record, a single file', async () => {
    const path = `${FIXTURES}osv/rocky/RLSA-2021_3891.json`;
    const { records, result } = await read(path);
    expect(result).toEqual({ records: 1, problems: 0, documents: 1, skipped: 0 });
    expect(records[0]?.origin).toBe(path);
    expect(records[0]?.rec.id).toBe('RLSA-2021:3891');
    expect(records[0]?.rec.affected?.[0]).toMatchObject({
      package: { ecosystem: 'Rocky Linux:8', name: 'java-11-openjdk' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:11.0.13.0.8-1.el8_4' }] }],
    });
  });

  it('the secdb and Debian tracker folders convert (counts checked in their own tests)', async () => {
    const secdb = await read(`${FIXTURES}secdb/alpine`);
    expect(secdb.problems).toEqual([]);
    expect(secdb.result).toEqual({ records: 4147, problems: 0, documents: 9, skipped: 0 });
    const debian = await read(`${FIXTURES}debian-tracker`);
    expect(debian.result.documents).toBe(2);
    expect(debian.problems.map((p) => p.reason)).toEqual([
      'release entries without a Debian release number skipped (sid: 3)',
      'release entries without a Debian release number skipped (sid: 2)',
    ]);
  });
});

describe('readAdvisories: detection and walking', () => {
  it('isZipMagic: local header or empty-archive end record', () => {
    expect(isZipMagic(Buffer.from('PK\x03\x04', 'latin1'))).toBe(true);
    expect(isZipMagic(Buffer.from('PK\x05\x06', 'latin1'))).toBe(true);
    expect(isZipMagic(Buffer.from('PK\x07\x08', 'latin1'))).toBe(false);
    expect(isZipMagic(Buffer.from('{"id'))).toBe(false);
    expect(isZipMagic(Buffer.from('PK'))).toBe(false);
  });

  it('a zip is recognised by its bytes whatever its name; a JSON file named .zip is a document', async () => {
    const asDat = join(tmp, 'all.dat');
    copyFileSync(`${FIXTURES}osv/rustsec-osv-RUSTSEC-2016-to-2023.zip`, asDat);
    expect((await read(asDat)).result.records).toBe(630);
    const empty = join(tmp, 'empty.bin');
    writeFileSync(empty, buildZip([]));
    expect((await read(empty)).result).toEqual({ records: 0, problems: 0, documents: 0, skipped: 0 });
    const jsonZip = join(tmp, 'fake.zip');
    writeFileSync(jsonZip, JSON.stringify({ id: 'J-1', modified: 'm' }));
    expect((await read(jsonZip)).records.map((r) => r.rec.id)).toEqual(['J-1']);
  });

  it('a directory: recursive, sorted, advisory extensions only, no symlinks followed, zips inside not opened; bad files are problems', async () => {
    const root = join(tmp, 'tree');
    mkdirSync(join(root, 'b/nested'), { recursive: true });
    mkdirSync(join(root, 'a'));
    mkdirSync(join(tmp, 'outside'));
    writeFileSync(join(tmp, 'outside/O-1.json'), JSON.stringify({ id: 'O-1', modified: 'm' }));
    writeFileSync(join(root, 'b/nested/N-1.yml'), 'id: N-1\nmodified: m\n');
    writeFileSync(join(root, 'b/B-1.json'), JSON.stringify([{ id: 'B-1', modified: 'm' }]));
    writeFileSync(join(root, 'a/A-1.yaml'), 'id: A-1\nmodified: m\n');
    writeFileSync(join(root, 'a/notes.txt'), 'not read');
    writeFileSync(join(root, 'a/garbage.json'), Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256)));
    writeFileSync(join(root, 'a/latin1.json'), Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]));
    writeFileSync(join(root, 'a/broken.json'), '{"id": "X-1", ');
    writeFileSync(join(root, 'inner.zip'), buildZip([{ name: 'Z-1.json', data: '{"id":"Z-1","modified":"m"}' }]));
    symlinkSync(join(tmp, 'outside'), join(root, 'c-link-dir'));
    symlinkSync(join(tmp, 'outside/O-1.json'), join(root, 'c-link.json'));
    const { records, problems, result } = await read(root);
    expect(records.map((r) => [r.rec.id, r.origin.slice(root.length + 1)])).toEqual([
      ['A-1', 'a/A-1.yaml'],
      ['B-1', 'b/B-1.json'],
      ['N-1', 'b/nested/N-1.yml'],
    ]);
    expect(problems.map((p) => [p.origin.slice(root.length + 1), p.reason.slice(0, 14)])).toEqual([
      ['a/broken.json', 'invalid JSON: '],
      ['a/garbage.json', 'not UTF-8 text'],
      ['a/latin1.json', 'not UTF-8 text'],
    ]);
    expect(result).toEqual({ records: 3, problems: 3, documents: 4, skipped: 0 });
  });

  // A file named as the source on its own that cannot be read at all makes the source unusable:
  // a scan against it must not look clean. Inside a directory the same file is one problem.
  it('a file above the size cap: an AdvisorySourceError named as the source, a problem in a directory', async () => {
    const dir = join(tmp, 'big');
    mkdirSync(dir);
    const path = join(dir, 'big.json');
    writeFileSync(path, JSON.stringify({ id: 'BIG', modified: 'm', details: 'x'.repeat(2000) }));
    await expect(read(path, { maxFileBytes: 1000 })).rejects.toThrow(AdvisorySourceError);
    await expect(read(path, { maxFileBytes: 1000 })).rejects.toThrow(/big\.json: .*more than the 1000 allowed for one advisory file/);
    const inDir = await read(dir, { maxFileBytes: 1000 });
    expect(inDir.records).toEqual([]);
    expect(inDir.problems[0]?.reason).toMatch(/more than the 1000 allowed for one advisory file/);
  });

  it('binary garbage given as the advisory file: an AdvisorySourceError naming it', async () => {
    const path = join(tmp, 'garbage.yaml');
    writeFileSync(path, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 128)));
    await expect(read(path)).rejects.toThrow(/garbage\.yaml: binary data/);
  });

  it('a named file holding one record that breaks the schema is a problem, not a fatal error', async () => {
    const path = join(tmp, 'one-bad.json');
    writeFileSync(path, JSON.stringify({ id: 'BAD-1', modified: 7 }));
    const { records, problems } = await read(path);
    expect(records).toEqual([]);
    expect(problems).toEqual([{ origin: path, recordId: 'BAD-1', reason: expect.stringMatching(/does not follow the OSV schema/) }]);
  });

  it('a 10 MB single-line JSON file: an osv.dev answer with 10 000 records, all loaded', async () => {
    const path = join(tmp, 'answer.json');
    const vulns = Array.from({ length: 10_000 }, (_, i) => ({ id: `L-${i}`, modified: 'm', details: 'z'.repeat(1000) }));
    writeFileSync(path, JSON.stringify({ vulns }));
    const { records, problems, result } = await read(path);
    expect(problems).toEqual([]);
    expect(result).toEqual({ records: 10_000, problems: 0, documents: 1, skipped: 0 });
    expect(records[9_999]?.rec.id).toBe('L-9999');
  });

  it('a missing path: AdvisorySourceError', async () => {
    await expect(read(join(tmp, 'missing'))).rejects.toThrow(AdvisorySourceError);
  });
});

describe('readAdvisories: problems inside archives, fatal archives', () => {
  it('a record breaking the schema inside a zip: the problem names archive!entry and id, the others load', async () => {
    const path = join(tmp, 'mixed.zip');
    writeFileSync(
      path,
      buildZip([
        { name: 'osv/GOOD-1.json', data: JSON.stringify({ id: 'GOOD-1', modified: 'm' }) },
        { name: 'osv/BAD-1.json', data: JSON.stringify({ id: 'BAD-1', modified: 'm', affected: 'nope' }) },
        { name: 'osv/broken.yaml', data: 'id: [' },
        { name: '../evil.json', data: JSON.stringify({ id: 'EVIL', modified: 'm' }) },
        { name: 'osv/GOOD-2.json', data: JSON.stringify({ id: 'GOOD-2', modified: 'm' }) },
      ]),
    );
    const { records, problems, result } = await read(path);
    expect(records.map((r) => [r.rec.id, r.origin])).toEqual([
      ['GOOD-1', `${path}!osv/GOOD-1.json`],
      ['GOOD-2', `${path}!osv/GOOD-2.json`],
    ]);
    expect(problems.map((p) => [p.origin, p.recordId])).toEqual([
      [`${path}!osv/BAD-1.json`, 'BAD-1'],
      [`${path}!osv/broken.yaml`, null],
      [`${path}!../evil.json`, null],
    ]);
    expect(problems[0]?.reason).toMatch(/does not follow the OSV schema at affected/);
    expect(result).toEqual({ records: 2, problems: 3, documents: 4, skipped: 0 });
  });

  it('a truncated all.zip throws AdvisorySourceError naming it', async () => {
    const path = join(tmp, 'truncated.zip');
    const whole = readFileSync(`${FIXTURES}osv/ghsa-maven-zeppelin-slice-A.zip`);
    writeFileSync(path, whole.subarray(0, whole.length - 100));
    const error = await read(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdvisorySourceError);
    expect(error).toMatchObject({ file: path, reason: expect.stringMatching(/^not a ZIP archive or truncated/) });
  });

  it('a bomb stops the read: records before it were delivered, none after', async () => {
    const path = join(tmp, 'bomb.zip');
    writeFileSync(
      path,
      buildZip([
        { name: 'A.json', data: JSON.stringify({ id: 'A', modified: 'm' }) },
        { name: 'B.json', data: `[${'{"id":"B","modified":"m"},'.repeat(100_000)}{"id":"B","modified":"m"}]` },
        { name: 'C.json', data: JSON.stringify({ id: 'C', modified: 'm' }) },
      ]),
    );
    const records: string[] = [];
    const error = await readAdvisories(
      path,
      { record: (r) => records.push(r.id), problem: () => {} },
      { zipLimits: { ratioFloorBytes: 1000 } },
    ).catch((e: unknown) => e);
    expect(records).toEqual(['A']);
    expect(error).toBeInstanceOf(AdvisorySourceError);
    expect((error as Error).message).toMatch(/entry B\.json declares \d+ bytes from \d+ compressed/);
  });
});
