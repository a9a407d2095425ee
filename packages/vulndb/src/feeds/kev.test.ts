import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { FeedError, type FeedProblem } from './input.ts';
import { KEV_MAX_BYTES, type KevCatalog, type KevEntry, type KevLimits, readKev } from './kev.ts';

const KEV_JSON = `${FIXTURES}kev/known_exploited_vulnerabilities.json`;
const KEV_CSV = `${FIXTURES}kev/known_exploited_vulnerabilities.csv`;
const FIXTURE_ENTRIES = 1404;

const dir = mkdtempSync(join(tmpdir(), 'vigil-feeds-kev-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const writeTemp = (data: string | Uint8Array, ext = 'json'): string => {
  const path = join(dir, `t${counter++}.${ext}`);
  writeFileSync(path, data);
  return path;
};

interface Catalog {
  catalogVersion: string;
  dateReleased: string;
  count: number;
  vulnerabilities: Array<Record<string, unknown>>;
}
const fixtureJson = (): Catalog => JSON.parse(readFileSync(KEV_JSON, 'utf8')) as Catalog;
const csvText = (): string => readFileSync(KEV_CSV, 'utf8');

async function readAll(path: string, limits?: Partial<KevLimits>): Promise<{ catalog: KevCatalog; problems: FeedProblem[] }> {
  const problems: FeedProblem[] = [];
  const catalog = await readKev(path, (p) => problems.push(p), limits);
  return { catalog, problems };
}

const failure = (path: string, limits?: Partial<KevLimits>): Promise<unknown> =>
  readKev(path, () => {}, limits).then(
    () => null,
    (error: unknown) => error,
  );

const GIT: KevEntry = {
  cveID: 'CVE-2025-48384',
  vendorProject: 'Git',
  product: 'Git',
  vulnerabilityName: 'Git Link Following Vulnerability',
  dateAdded: '2025-08-25',
  shortDescription:
    'Git contains a link following vulnerability that stems from Git\u2019s inconsistent handling of carriage return characters in configuration files.',
  requiredAction:
    'Apply mitigations per vendor instructions, follow applicable BOD 22-01 guidance for cloud services, or discontinue use of the product if mitigations are unavailable.',
  dueDate: '2025-09-15',
  knownRansomwareCampaignUse: 'Unknown',
  notes:
    'This vulnerability affects a common open-source component, third-party library, or a protocol used by different products. For more information, please see: https://github.com/git/git/security/advisories/GHSA-vwqx-4fm8-6qc9 ; https://access.redhat.com/errata/RHSA-2025:13933 ; https://alas.aws.amazon.com/AL2/ALAS2-2025-2941.html ; https://linux.oracle.com/errata/ELSA-2025-11534.html ; https://msrc.microsoft.com/update-guide/vulnerability/CVE-2025-48384 ; https://nvd.nist.gov/vuln/detail/CVE-2025-48384',
  cwes: ['CWE-59', 'CWE-436'],
};

describe('readKev on the fixtures', () => {
  let json: { catalog: KevCatalog; problems: FeedProblem[] };
  let csv: { catalog: KevCatalog; problems: FeedProblem[] };
  beforeAll(async () => {
    json = await readAll(KEV_JSON);
    csv = await readAll(KEV_CSV);
  });

  it('reads the JSON catalog: every entry, its version and date', () => {
    expect(json.problems).toEqual([]);
    const { entries, ...rest } = json.catalog;
    expect(rest).toEqual({
      format: 'json',
      catalogVersion: '2025.08.25',
      dateReleased: '2025-08-25T17:04:19.9796Z',
      count: 1404,
      skipped: 0,
      problems: 0,
    });
    expect(entries).toHaveLength(FIXTURE_ENTRIES);
  });

  it('reads the CSV catalog: every entry, no version nor date', () => {
    expect(csv.problems).toEqual([]);
    const { entries, ...rest } = csv.catalog;
    expect(rest).toEqual({ format: 'csv', catalogVersion: null, dateReleased: null, count: null, skipped: 0, problems: 0 });
    expect(entries).toHaveLength(FIXTURE_ENTRIES);
  });

  it('gives exact entries', () => {
    for (const { catalog } of [json, csv]) {
      expect(catalog.entries[0]).toEqual(GIT);
      const byId = new Map(catalog.entries.map((e) => [e.cveID, e]));
      expect(byId.get('CVE-2024-8068')).toMatchObject({ vendorProject: 'Citrix', product: 'Session Recording', cwes: ['CWE-269'] });
      expect(byId.get('CVE-2025-43300')).toMatchObject({
        product: 'iOS, iPadOS, and macOS', // a quoted comma in the CSV
        dateAdded: '2025-08-21',
        dueDate: '2025-09-11',
      });
      expect(catalog.entries.at(-1)).toMatchObject({
        cveID: 'CVE-2020-29583',
        vendorProject: 'Zyxel',
        dateAdded: '2021-11-03',
        dueDate: '2022-05-03',
        cwes: ['CWE-522'],
      });
      expect(catalog.entries.filter((e) => e.knownRansomwareCampaignUse === 'Known')).toHaveLength(293);
      expect(catalog.entries.filter((e) => e.cwes.length === 0)).toHaveLength(152);
    }
  });

  it('reads the same entries from the JSON and the CSV', () => {
    expect(csv.catalog.entries).toEqual(json.catalog.entries);
  });

  it('keeps the JSON fields as in the file', () => {
    expect(json.catalog.entries).toEqual(fixtureJson().vulnerabilities);
  });
});

describe('readKev', () => {
  it('reads gzip-compressed catalogs', async () => {
    const fromJson = await readAll(writeTemp(gzipSync(readFileSync(KEV_JSON)), 'json.gz'));
    expect(fromJson.catalog.entries).toHaveLength(FIXTURE_ENTRIES);
    expect(fromJson.catalog.catalogVersion).toBe('2025.08.25');
    const fromCsv = await readAll(writeTemp(gzipSync(readFileSync(KEV_CSV)), 'csv.gz'));
    expect(fromCsv.catalog.entries).toHaveLength(FIXTURE_ENTRIES);
    expect(fromCsv.catalog.format).toBe('csv');
  });

  it('reads a CSV with CRLF line endings and a byte order mark', async () => {
    const { catalog, problems } = await readAll(writeTemp(`\ufeff${csvText().replaceAll('\n', '\r\n')}`, 'csv'));
    expect(problems).toEqual([]);
    expect(catalog.entries).toHaveLength(FIXTURE_ENTRIES);
    expect(catalog.entries[0]).toEqual(GIT);
  });

  it('reads JSON with a byte order mark and leading blank space', async () => {
    const { catalog } = await readAll(writeTemp(`\ufeff\n  ${readFileSync(KEV_JSON, 'utf8')}`));
    expect(catalog.entries).toHaveLength(FIXTURE_ENTRIES);
  });

  it('refuses a JSON catalog with a duplicate CVE, naming both positions', async () => {
    const doc = fixtureJson();
    doc.vulnerabilities.splice(700, 0, { ...doc.vulnerabilities[3] });
    const error = await failure(writeTemp(JSON.stringify(doc)));
    expect(error).toBeInstanceOf(FeedError);
    const cve = doc.vulnerabilities[3]?.cveID as string;
    expect((error as FeedError).record).toBe(cve);
    expect((error as FeedError).reason).toBe('duplicate cveID at vulnerabilities[3] and vulnerabilities[700]: the catalog is corrupt');
  });

  it('refuses a CSV catalog with a duplicate CVE, naming both lines', async () => {
    const [header, first, ...rest] = csvText().split('\n');
    const text = [header, first, ...rest.slice(0, 10), first, ...rest.slice(10)].join('\n');
    const path = writeTemp(text, 'csv');
    const error = await failure(path);
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).message).toBe(`${path}:13: CVE-2025-48384: duplicate cveID on lines 2 and 13: the catalog is corrupt`);
  });

  it('refuses JSON of the wrong shape', async () => {
    const doc = fixtureJson();
    const shapes = [
      '[]',
      '{}',
      JSON.stringify({ ...doc, vulnerabilities: {} }),
      JSON.stringify({ ...doc, catalogVersion: undefined }),
      JSON.stringify({ ...doc, count: 'many' }),
      '{"vulnerabilities": null}',
    ];
    for (const text of shapes) {
      const error = await failure(writeTemp(text));
      expect(error).toBeInstanceOf(FeedError);
      expect((error as FeedError).reason).toMatch(/^not a KEV catalog \(/);
    }
  });

  it('refuses text that is not JSON', async () => {
    for (const text of ['{"catalogVersion": "1",', '{"a": 1} trailing', `${'['.repeat(100_000)}`]) {
      const error = await failure(writeTemp(text));
      expect(error).toBeInstanceOf(FeedError);
      expect((error as FeedError).reason).toMatch(/^not JSON: /);
    }
  });

  it('skips invalid entries with a problem naming index and CVE, keeping the others', async () => {
    const doc = fixtureJson();
    const v = doc.vulnerabilities;
    const id = (i: number): string => v[i]?.cveID as string;
    (v[5] as Record<string, unknown>).dateAdded = '2025-13-01';
    (v[6] as Record<string, unknown>).knownRansomwareCampaignUse = 'Maybe';
    delete (v[7] as Record<string, unknown>).vendorProject;
    (v[8] as Record<string, unknown>).cveID = 'CVE-25-1';
    (v[9] as Record<string, unknown>).dueDate = '15/09/2025';
    v.splice(10, 0, 'not an object' as unknown as Record<string, unknown>);
    const { catalog, problems } = await readAll(writeTemp(JSON.stringify(doc)));
    expect(catalog.entries).toHaveLength(FIXTURE_ENTRIES - 5);
    expect(catalog.skipped).toBe(6);
    expect(problems.map((p) => [p.row, p.record])).toEqual([
      [null, id(5)],
      [null, id(6)],
      [null, id(7)],
      [null, null],
      [null, id(9)],
      [null, null],
      [null, null], // the count no longer matches
    ]);
    expect(problems[0]?.reason).toBe('vulnerabilities[5]: invalid entry skipped (dateAdded: not a YYYY-MM-DD date)');
    expect(problems[1]?.reason).toBe(
      'vulnerabilities[6]: invalid entry skipped (knownRansomwareCampaignUse: neither "Known" nor "Unknown")',
    );
    expect(problems[2]?.reason).toMatch(/^vulnerabilities\[7\]: invalid entry skipped \(vendorProject: /);
    expect(problems[3]?.reason).toBe('vulnerabilities[8]: invalid entry skipped (cveID: not a CVE id (CVE-YYYY-NNNN))');
    expect(problems[5]?.reason).toMatch(/^vulnerabilities\[10\]: invalid entry skipped/);
    expect(problems[6]?.reason).toBe('count says 1404 but the catalog holds 1405 vulnerabilities');
    expect(catalog.problems).toBe(7);
    const ids = new Set(catalog.entries.map((e) => e.cveID));
    expect(ids.has(id(5))).toBe(false);
    expect(ids.has(id(4))).toBe(true);
    expect(ids.has(id(11))).toBe(true);
  });

  it('drops a malformed CWE but keeps its entry', async () => {
    const doc = fixtureJson();
    (doc.vulnerabilities[0] as Record<string, unknown>).cwes = ['CWE-59', 'NVD-CWE-noinfo'];
    const { catalog, problems } = await readAll(writeTemp(JSON.stringify(doc)));
    expect(catalog.entries).toHaveLength(FIXTURE_ENTRIES);
    expect(catalog.entries[0]?.cwes).toEqual(['CWE-59']);
    expect(problems).toEqual([
      {
        file: expect.any(String),
        row: null,
        record: 'CVE-2025-48384',
        reason: 'vulnerabilities[0]: CWE "NVD-CWE-noinfo" not of the form CWE-<digits>, dropped',
      },
    ]);
  });

  it('reads an older entry without ransomware, notes and cwes with defaults', async () => {
    const doc = fixtureJson();
    const old = doc.vulnerabilities[1] as Record<string, unknown>;
    delete old.knownRansomwareCampaignUse;
    delete old.notes;
    delete old.cwes;
    const { catalog, problems } = await readAll(writeTemp(JSON.stringify(doc)));
    expect(problems).toEqual([]);
    expect(catalog.entries[1]).toMatchObject({ cveID: 'CVE-2024-8068', knownRansomwareCampaignUse: 'Unknown', notes: '', cwes: [] });
  });

  it('skips a CSV row with the wrong field count, naming the line, and reads the rest', async () => {
    const rows = csvText().split('\n');
    rows[3] = 'CVE-2024-8069,Citrix,"Session Recording"'; // line 4
    rows[5] = `${rows[5]},extra`; // line 6
    const { catalog, problems } = await readAll(writeTemp(rows.join('\n'), 'csv'));
    expect(catalog.entries).toHaveLength(FIXTURE_ENTRIES - 2);
    expect(catalog.skipped).toBe(2);
    expect(problems.map((p) => [p.row, p.record, p.reason])).toEqual([
      [4, 'CVE-2024-8069', 'expected 11 fields as in the header, found 3; entry skipped'],
      [6, expect.stringMatching(/^CVE-/), 'expected 11 fields as in the header, found 12; entry skipped'],
    ]);
  });

  it('skips an invalid CSV entry, naming the line and the CVE', async () => {
    const rows = csvText().split('\n');
    rows[1] = (rows[1] as string).replace(',2025-09-15,Unknown,', ',2025-09-31,Unknown,');
    const { catalog, problems } = await readAll(writeTemp(rows.join('\n'), 'csv'));
    expect(catalog.entries).toHaveLength(FIXTURE_ENTRIES - 1);
    expect(problems).toEqual([
      {
        file: expect.any(String),
        row: 2,
        record: 'CVE-2025-48384',
        reason: 'line 2: invalid entry skipped (dueDate: not a YYYY-MM-DD date)',
      },
    ]);
  });

  it('numbers CSV lines past quoted newlines', async () => {
    const header = csvText().split('\n')[0];
    const text = `${header}\nCVE-2024-0001,V,P,"N",2024-01-01,"two\nlines",A,2024-01-22,Known,"",\nCVE-2024-0002,V,P,N,2024-01-01,D,A,2024-01-22,Nope,"",\n`;
    const { catalog, problems } = await readAll(writeTemp(text, 'csv'));
    expect(catalog.entries).toEqual([
      {
        cveID: 'CVE-2024-0001',
        vendorProject: 'V',
        product: 'P',
        vulnerabilityName: 'N',
        dateAdded: '2024-01-01',
        shortDescription: 'two\nlines',
        requiredAction: 'A',
        dueDate: '2024-01-22',
        knownRansomwareCampaignUse: 'Known',
        notes: '',
        cwes: [],
      },
    ]);
    expect(problems.map((p) => [p.row, p.record])).toEqual([[4, 'CVE-2024-0002']]);
  });

  it('refuses a CSV header without the required columns', async () => {
    const error = await failure(writeTemp('cve,epss,percentile\nCVE-2024-0001,0.1,0.2\n', 'csv'));
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toMatch(
      /^not a KEV catalog: the header lacks cveID, vendorProject, product, vulnerabilityName, dateAdded, shortDescription, requiredAction, dueDate/,
    );
    expect((error as FeedError).row).toBe(1);
  });

  it('refuses a CSV that ends inside quotes', async () => {
    const text = csvText();
    const error = await failure(writeTemp(`${text}CVE-2024-0001,"never closed\n`, 'csv'));
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toBe('malformed CSV: the file ends inside a quoted field');
    expect((error as FeedError).row).toBe(FIXTURE_ENTRIES + 2);
  });

  it('refuses a catalog over the size cap before parsing it', async () => {
    expect(KEV_MAX_BYTES).toBe(64 * 1024 * 1024);
    for (const path of [KEV_JSON, KEV_CSV]) {
      const error = await failure(path, { maxCatalogBytes: 512 * 1024 }); // the CSV is 705 KiB, the JSON 1.2 MiB
      expect(error).toBeInstanceOf(FeedError);
      expect((error as FeedError).reason).toBe('more than the 524288 bytes allowed');
    }
  });

  it('refuses empty files and binary garbage', async () => {
    for (const data of ['', '  \n\n', Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x80, 0x81])]) {
      const error = await failure(writeTemp(data));
      expect(error).toBeInstanceOf(FeedError);
      expect((error as FeedError).reason).toMatch(/^(empty file: not a KEV catalog|not UTF-8 text)/);
    }
    const zeros = await failure(writeTemp(Buffer.alloc(1000)));
    expect(zeros).toBeInstanceOf(FeedError);
    expect((zeros as FeedError).reason).toMatch(/^not a KEV catalog: the header lacks cveID/);
  });

  it('refuses a truncated gzip catalog', async () => {
    const gz = gzipSync(readFileSync(KEV_JSON));
    const error = await failure(writeTemp(gz.subarray(0, gz.length - 100), 'json.gz'));
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toBe('truncated gzip');
  });
});
