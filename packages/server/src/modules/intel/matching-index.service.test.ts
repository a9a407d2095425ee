import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InstalledPackage, StoredInventory } from '@vigil/vulndb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { type ImportReport, importFeed } from './feed-import.service.ts';
import { identifySource } from './feed-source.ts';
import { MatchingIndex } from './matching-index.service.ts';

const SLICE_SOURCE = path.resolve(import.meta.dirname, '../../../../../../shared/fixtures/osv/ghsa-npm');
const LODASH_PROTOTYPE = 'GHSA-35jh-r3h4-6jhm'; // lodash, lodash-es < 4.17.21
const MINIMIST = 'GHSA-xvch-5gv4-984h'; // minimist 1.0.0–1.2.6, < 0.2.4
const SEMVER = 'GHSA-c2qf-rxjj-qqgw'; // semver < 5.7.2, 6.0.0–6.3.1, 7.0.0–7.5.2

const npm = (name: string, version: string): InstalledPackage => ({ ecosystem: 'npm', name, version });
/** Synthetic stored inventories, each built to be hit (or missed) by specific records. */
const INVENTORIES: StoredInventory[] = [
  { id: 'inv-lodash-4.17.15', osEcosystem: null, packages: [npm('lodash', '4.17.15'), npm('express', '4.18.2')] },
  { id: 'inv-lodash-4.17.11', osEcosystem: null, packages: [npm('lodash', '4.17.11')] },
  { id: 'inv-lodash-fixed', osEcosystem: null, packages: [npm('lodash', '4.17.21')] },
  { id: 'inv-semver-7.5.1', osEcosystem: null, packages: [npm('semver', '7.5.1')] },
  { id: 'inv-semver-fixed', osEcosystem: null, packages: [npm('semver', '7.5.2')] },
  { id: 'inv-minimist-1.2.5', osEcosystem: null, packages: [npm('minimist', '1.2.5')] },
  { id: 'inv-pypi-lodash', osEcosystem: null, packages: [{ ecosystem: 'PyPI', name: 'lodash', version: '4.17.11' }] },
  { id: 'inv-debian', osEcosystem: 'Debian:12', packages: [{ ecosystem: 'Debian', name: 'node-lodash', version: '4.17.21+dfsg-1' }] },
];

let db: TestDatabase;
let work: string;
const index = new MatchingIndex();

function slice(name: string, edit: (records: Map<string, Record<string, unknown>>) => void): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  cpSync(SLICE_SOURCE, dir, { recursive: true });
  const records = new Map<string, Record<string, unknown>>();
  for (const file of ['GHSA-35jh-r3h4-6jhm', 'GHSA-c2qf-rxjj-qqgw', 'GHSA-jf85-cpcp-j695', 'GHSA-p6mc-m468-83gw', 'GHSA-xvch-5gv4-984h']) {
    records.set(file, JSON.parse(readFileSync(path.join(dir, `${file}.json`), 'utf8')));
  }
  edit(records);
  rmSync(dir, { recursive: true });
  mkdirSync(dir);
  for (const [id, record] of records) writeFileSync(path.join(dir, `${id}.json`), JSON.stringify(record, null, 2));
  return dir;
}

async function importSlice(dir: string): Promise<ImportReport> {
  return importFeed(db.database, await identifySource(dir, { name: 'osv:npm-slices' }));
}

const rowsOf = async () =>
  new Map(
    (
      await db.database.query<{ id: string; sha: string; import_id: string; withdrawn: boolean }>(
        "SELECT id, record_sha256 AS sha, import_id, withdrawn FROM vigil.advisories WHERE feed = 'osv:npm-slices'",
      )
    ).rows.map((row) => [row.id, row]),
  );

beforeAll(async () => {
  db = await createTestDatabase();
  work = mkdtempSync(path.join(tmpdir(), 'vigil-slices-'));
  await index.load({
    async *inventories() {
      yield* INVENTORIES;
    },
  });
});
afterAll(async () => {
  await db?.destroy();
  rmSync(work, { recursive: true, force: true });
});

describe('incremental import and matching', () => {
  let first: ImportReport;

  it('a first slice adds every record, and the index names the inventories each one hits', async () => {
    first = await importSlice(slice('a', () => {}));
    expect(first).toMatchObject({ status: 'imported', added: 5, modified: 0, withdrawn: 0, recordCount: 5 });
    const affected = await index.affectedByImport(db.database, first.importId as number);
    expect(Object.fromEntries(affected)).toEqual({
      [LODASH_PROTOTYPE]: ['inv-lodash-4.17.11', 'inv-lodash-4.17.15'],
      [SEMVER]: ['inv-semver-7.5.1'],
      'GHSA-jf85-cpcp-j695': ['inv-lodash-4.17.11'],
      'GHSA-p6mc-m468-83gw': ['inv-lodash-4.17.11', 'inv-lodash-4.17.15'],
      [MINIMIST]: ['inv-minimist-1.2.5'],
    });
  });

  it('a later slice with one record modified and one withdrawn changes exactly those, and the index names who they affected', async () => {
    const before = await rowsOf();
    const later = slice('b', (records) => {
      // Narrowed: the fix moves down to 4.17.13, so 4.17.15 is no longer affected (but was).
      const lodash = records.get(LODASH_PROTOTYPE) as { modified: string; affected: Array<{ ranges: Array<{ events: unknown[] }> }> };
      lodash.modified = '2026-11-01T00:00:00Z';
      for (const affected of lodash.affected)
        affected.ranges = [{ ...affected.ranges[0], events: [{ introduced: '0' }, { fixed: '4.17.13' }] }];
      const minimist = records.get(MINIMIST) as Record<string, unknown>;
      minimist.withdrawn = '2026-11-01T00:00:00Z';
      minimist.modified = '2026-11-01T00:00:00Z';
    });
    const report = await importSlice(later);
    expect(report).toMatchObject({ status: 'imported', records: 5, added: 0, modified: 1, withdrawn: 1, recordCount: 4 });
    expect(Object.fromEntries(report.changes)).toEqual({ [LODASH_PROTOTYPE]: 'modified', [MINIMIST]: 'withdrawn' });

    const after = await rowsOf();
    for (const [id, row] of after) {
      const changed = id === LODASH_PROTOTYPE || id === MINIMIST;
      expect(row.sha === before.get(id)?.sha, id).toBe(!changed);
      expect(Number(row.import_id), id).toBe(changed ? report.importId : first.importId);
    }
    expect(after.get(MINIMIST)?.withdrawn).toBe(true);
    const { rows: packages } = await db.database.query<{ advisory_id: string }>(
      "SELECT DISTINCT advisory_id FROM vigil.advisory_packages WHERE feed = 'osv:npm-slices' ORDER BY 1",
    );
    expect(packages.map((p) => p.advisory_id)).not.toContain(MINIMIST);

    const affected = await index.affectedByImport(db.database, report.importId as number);
    expect(Object.fromEntries(affected)).toEqual({
      [LODASH_PROTOTYPE]: ['inv-lodash-4.17.11', 'inv-lodash-4.17.15'],
      [MINIMIST]: ['inv-minimist-1.2.5'],
    });
  });

  it('a record missing from a later snapshot is withdrawn; a partial import withdraws nothing', async () => {
    const partial = slice('c', (records) => {
      for (const id of [...records.keys()]) if (id !== SEMVER) records.delete(id);
      const semver = records.get(SEMVER) as Record<string, unknown>;
      semver.summary = 'semver ReDoS (edited)';
    });
    const edited = await importFeed(db.database, await identifySource(partial, { name: 'osv:npm-slices' }), { partial: true });
    expect(edited).toMatchObject({ added: 0, modified: 1, withdrawn: 0, recordCount: 4 });
    expect(Object.fromEntries(await index.affectedByImport(db.database, edited.importId as number))).toEqual({
      [SEMVER]: ['inv-semver-7.5.1'],
    });

    const without = slice('d', (records) => {
      records.delete(SEMVER);
      (records.get(LODASH_PROTOTYPE) as { affected: Array<{ ranges: Array<{ events: unknown[] }> }> }).affected.forEach((a) => {
        a.ranges = [{ ...a.ranges[0], events: [{ introduced: '0' }, { fixed: '4.17.13' }] }];
      });
      (records.get(LODASH_PROTOTYPE) as Record<string, unknown>).modified = '2026-11-01T00:00:00Z';
      (records.get(MINIMIST) as Record<string, unknown>).withdrawn = '2026-11-01T00:00:00Z';
      (records.get(MINIMIST) as Record<string, unknown>).modified = '2026-11-01T00:00:00Z';
    });
    const report = await importSlice(without);
    expect(report).toMatchObject({ added: 0, modified: 0, withdrawn: 1, recordCount: 3 });
    expect(Object.fromEntries(report.changes)).toEqual({ [SEMVER]: 'withdrawn' });
    expect(Object.fromEntries(await index.affectedByImport(db.database, report.importId as number))).toEqual({
      [SEMVER]: ['inv-semver-7.5.1'],
    });
  });

  it('a new inventory put into the index is found by the next change', async () => {
    index.put({ id: 'inv-new-lodash', osEcosystem: null, packages: [npm('lodash', '4.17.12')] });
    // The publisher restores the original ranges in a newer revision of every record.
    const back = slice('e', (records) => {
      for (const record of records.values()) record.modified = '2026-12-01T00:00:00Z';
    });
    const report = await importSlice(back);
    expect(report).toMatchObject({ added: 0, modified: 5, withdrawn: 0 });
    const affected = await index.affectedByImport(db.database, report.importId as number);
    expect(affected.get(LODASH_PROTOTYPE)).toEqual(['inv-lodash-4.17.11', 'inv-lodash-4.17.15', 'inv-new-lodash']);
    expect(affected.get(MINIMIST)).toEqual(['inv-minimist-1.2.5']);
    expect(affected.get(SEMVER)).toEqual(['inv-semver-7.5.1']);
  });
});
