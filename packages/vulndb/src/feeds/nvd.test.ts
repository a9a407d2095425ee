import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { cvssBaseScore, type NvdCve, type NvdCvss, NvdError, type NvdLimits, type NvdProblem, preferredCvss, readNvd } from './nvd.ts';
import { JsonArrayMemberSplitter } from './nvd-split.ts';

const NVD = join(FIXTURES, 'nvd');
const fixture = (name: string) => join(NVD, name);
const tmp = mkdtempSync(join(tmpdir(), 'vigil-nvd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
function writeTmp(content: string | Uint8Array, name = `doc-${++counter}.json`): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

async function collect(path: string, limits?: Partial<NvdLimits>) {
  const cves: NvdCve[] = [];
  const problems: NvdProblem[] = [];
  const result = await readNvd(
    path,
    (cve) => cves.push(cve),
    (problem) => problems.push(problem),
    limits,
  );
  return { cves, problems, result };
}

async function refusal(path: string, limits?: Partial<NvdLimits>): Promise<{ error: NvdError; delivered: number }> {
  let delivered = 0;
  try {
    await readNvd(path, () => delivered++, undefined, limits);
  } catch (error) {
    if (!(error instanceof NvdError)) throw error;
    return { error, delivered };
  }
  throw new Error(`${path} was read without an error`);
}

/** The parsed fixture, for counts made without the reader. */
function parsedFixture(name: string): { vulnerabilities: { cve: Record<string, unknown> }[]; totalResults: number } {
  return JSON.parse(gunzipSync(readFileSync(fixture(name))).toString('utf8'));
}

const cveElement = (id: string, extra: Record<string, unknown> = {}) => ({
  cve: {
    id,
    published: '2024-01-01T00:00:00.000',
    lastModified: '2024-01-02T00:00:00.000',
    vulnStatus: 'Analyzed',
    descriptions: [{ lang: 'en', value: `about ${id}` }],
    references: [],
    ...extra,
  },
});

const header =
  '"resultsPerPage":1,"startIndex":0,"totalResults":1,"format":"NVD_CVE","version":"2.0","timestamp":"2024-01-01T00:00:00.000"';
/** A document whose vulnerabilities are given as raw element texts. */
const rawDocument = (elements: string[]) => `{${header},"vulnerabilities":[${elements.join(',')}]}`;
const documentOf = (elements: unknown[]) => rawDocument(elements.map((e) => JSON.stringify(e)));

const v31 = (vectorString: string, baseScore: number | undefined, extra: Record<string, unknown> = {}) => ({
  source: 'nvd@nist.gov',
  type: 'Primary',
  cvssData: { version: '3.1', vectorString, baseScore, baseSeverity: 'CRITICAL' },
  ...extra,
});

// ---------------------------------------------------------------------------------------------
// Independent CVSS formulas (FIRST specification documents), to check the calculator against.

/** CVSS v3.1 Appendix A Roundup. */
function roundup31(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

function metricsOf(vector: string): Record<string, string> {
  return Object.fromEntries(
    vector
      .replace(/^CVSS:\d\.\d\//, '')
      .split('/')
      .map((part) => part.split(':') as [string, string]),
  );
}

/** CVSS v3.1 specification section 7.1 (base equations). */
function specBase31(vector: string): number {
  const m = metricsOf(vector);
  const at = (table: Record<string, number>, key: string) => {
    const value = table[m[key] ?? ''];
    if (value === undefined) throw new Error(`${key} missing in ${vector}`);
    return value;
  };
  const changed = m.S === 'C';
  const cia = { H: 0.56, L: 0.22, N: 0 };
  const iss = 1 - (1 - at(cia, 'C')) * (1 - at(cia, 'I')) * (1 - at(cia, 'A'));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const pr = changed ? { N: 0.85, L: 0.68, H: 0.5 } : { N: 0.85, L: 0.62, H: 0.27 };
  const exploitability =
    8.22 * at({ N: 0.85, A: 0.62, L: 0.55, P: 0.2 }, 'AV') * at({ L: 0.77, H: 0.44 }, 'AC') * at(pr, 'PR') * at({ N: 0.85, R: 0.62 }, 'UI');
  if (impact <= 0) return 0;
  return roundup31(Math.min(changed ? 1.08 * (impact + exploitability) : impact + exploitability, 10));
}

/** CVSS v2 guide section 3.2.1 (base equation). */
function specBase2(vector: string): number {
  const m = metricsOf(vector);
  const at = (table: Record<string, number>, key: string) => {
    const value = table[m[key] ?? ''];
    if (value === undefined) throw new Error(`${key} missing in ${vector}`);
    return value;
  };
  const cia = { N: 0, P: 0.275, C: 0.66 };
  const impact = 10.41 * (1 - (1 - at(cia, 'C')) * (1 - at(cia, 'I')) * (1 - at(cia, 'A')));
  const exploitability =
    20 * at({ L: 0.395, A: 0.646, N: 1 }, 'AV') * at({ H: 0.35, M: 0.61, L: 0.71 }, 'AC') * at({ M: 0.45, S: 0.56, N: 0.704 }, 'Au');
  const f = impact === 0 ? 0 : 1.176;
  return Math.round((0.6 * impact + 0.4 * exploitability - 1.5) * f * 10) / 10;
}

// ---------------------------------------------------------------------------------------------

describe('readNvd: the fixtures', () => {
  it('nvd-api2-cves-2023: a real page of 200 CVEs, 199 with configurations (counted without the reader)', async () => {
    const parsed = parsedFixture('nvd-api2-cves-2023.json.gz');
    const withConfigurations = parsed.vulnerabilities.filter((v) => Array.isArray(v.cve.configurations) && v.cve.configurations.length > 0);
    expect(parsed.vulnerabilities).toHaveLength(200);
    expect(withConfigurations).toHaveLength(199);

    const { cves, problems, result } = await collect(fixture('nvd-api2-cves-2023.json.gz'));
    expect(problems).toEqual([]);
    expect(result).toEqual({ cves: 200, problems: 0, totalResults: 220499 });
    expect(cves.map((c) => c.id)).toEqual(parsed.vulnerabilities.map((v) => v.cve.id));
    expect(cves.filter((c) => Array.isArray(c.configurations) && c.configurations.length > 0)).toHaveLength(199);
    // Configurations are passed through untouched.
    expect(cves.map((c) => c.configurations ?? undefined)).toEqual(parsed.vulnerabilities.map((v) => v.cve.configurations));
    const missing = cves.find((c) => c.configurations === null);
    expect(missing?.id).toBe(parsed.vulnerabilities.find((v) => v.cve.configurations === undefined)?.cve.id);
  });

  it('nvd-api2-cves-2023: read one CVE at a time, never the whole text (elements capped far below the document size)', async () => {
    const text = gunzipSync(readFileSync(fixture('nvd-api2-cves-2023.json.gz'))).toString('utf8');
    const largest = Math.max(...parsedFixture('nvd-api2-cves-2023.json.gz').vulnerabilities.map((v) => JSON.stringify(v).length));
    expect(largest * 10).toBeLessThan(text.length);
    const { result } = await collect(fixture('nvd-api2-cves-2023.json.gz'), { maxElementChars: largest * 2 });
    expect(result).toEqual({ cves: 200, problems: 0, totalResults: 220499 });
  });

  it('nvd-api2-cves-2023: every computed score equals the stated one and the specification formula', async () => {
    const { cves } = await collect(fixture('nvd-api2-cves-2023.json.gz'));
    const all = cves.flatMap((c) => c.cvss);
    expect(all.length).toBeGreaterThanOrEqual(200);
    for (const entry of all) {
      expect(entry.problem, entry.vector).toBeUndefined();
      expect(entry.score, entry.vector).toBe(entry.statedScore);
      if (entry.version === '3.1') expect(entry.score, entry.vector).toBe(specBase31(entry.vector));
      if (entry.version === '2.0') expect(entry.score, entry.vector).toBe(specBase2(entry.vector));
    }
    expect(new Set(all.map((e) => e.version))).toEqual(new Set(['3.1', '3.0', '2.0']));
    // NVD-CWE-Other / NVD-CWE-noinfo are dropped, CWE ids kept.
    const cwes = cves.flatMap((c) => c.cwes);
    expect(cwes.length).toBeGreaterThan(150);
    expect(cwes.every((cwe) => /^CWE-\d+$/.test(cwe))).toBe(true);
  });

  it('nvd-api2-cves-CVE-2023-0001: the single-CVE answer, field by field', async () => {
    const { cves, problems, result } = await collect(fixture('nvd-api2-cves-CVE-2023-0001.json.gz'));
    expect(problems).toEqual([]);
    expect(result).toEqual({ cves: 1, problems: 0, totalResults: 1 });
    const [cve] = cves;
    expect(cve).toEqual({
      id: 'CVE-2023-0001',
      published: '2023-02-08T18:15:11.523',
      lastModified: '2023-02-18T20:41:02.460',
      vulnStatus: 'Analyzed',
      description:
        'An information exposure vulnerability in the Palo Alto Networks Cortex XDR agent on Windows devices allows a local system administrator to disclose the admin password for the agent in cleartext, which bad actors can then use to execute privileged cytool commands that disable or uninstall the agent.',
      cvss: [
        {
          version: '3.1',
          vector: 'CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H',
          source: 'nvd@nist.gov',
          type: 'Primary',
          statedScore: 6.7,
          statedSeverity: 'MEDIUM',
          score: 6.7,
        },
        {
          version: '3.1',
          vector: 'CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:N/A:H',
          source: 'psirt@paloaltonetworks.com',
          type: 'Secondary',
          statedScore: 6,
          statedSeverity: 'MEDIUM',
          score: 6,
        },
      ],
      cwes: ['CWE-319'],
      configurations: parsedFixture('nvd-api2-cves-CVE-2023-0001.json.gz').vulnerabilities[0]?.cve.configurations,
      references: ['https://security.paloaltonetworks.com/CVE-2023-0001'],
    });
    expect(specBase31('CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H')).toBe(6.7);
    expect(preferredCvss(cve as NvdCve)?.source).toBe('nvd@nist.gov');
  });

  it('nvd-api2-osvdev-13-cves-assembled: 13 CVEs, a CVSS 4.0 score computed, v2 severities, missing configurations', async () => {
    const { cves, problems, result } = await collect(fixture('nvd-api2-osvdev-13-cves-assembled.json.gz'));
    expect(problems).toEqual([]);
    expect(result).toEqual({ cves: 13, problems: 0, totalResults: 1 });
    expect(cves.map((c) => c.id)).toEqual(parsedFixture('nvd-api2-osvdev-13-cves-assembled.json.gz').vulnerabilities.map((v) => v.cve.id));

    const withV4 = cves.find((c) => c.id === 'CVE-2025-4565');
    const v4 = withV4?.cvss.find((e) => e.version === '4.0');
    expect(v4).toEqual({
      version: '4.0',
      vector:
        'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:X/R:X/V:X/RE:X/U:X',
      source: 'cve-coordination@google.com',
      type: 'Secondary',
      statedScore: 8.2,
      statedSeverity: 'HIGH',
      score: 8.2,
    });
    // Primary (NVD's 3.1) wins over a Secondary 4.0.
    expect(preferredCvss(withV4 as NvdCve)).toMatchObject({ version: '3.1', type: 'Primary', score: 5.3 });
    expect(withV4?.description).toMatch(/^Any project that uses Protobuf/);

    // v2 carries its severity beside cvssData.
    const old = cves.find((c) => c.id === 'CVE-2018-14618');
    expect(old?.cvss.map((e) => [e.version, e.type, e.score, e.statedSeverity])).toEqual([
      ['3.0', 'Secondary', 7.5, 'HIGH'],
      ['3.0', 'Primary', 9.8, 'CRITICAL'],
      ['2.0', 'Primary', 10, 'HIGH'],
    ]);
    expect(old?.cwes).toEqual(['CWE-122', 'CWE-131', 'CWE-190']);

    expect(cves.find((c) => c.id === 'CVE-2023-45803')?.cwes).toEqual(['CWE-200']); // NVD-CWE-noinfo dropped
    const awaiting = cves.find((c) => c.id === 'CVE-2026-23522');
    expect(awaiting?.vulnStatus).toBe('Awaiting Analysis');
    expect(awaiting?.configurations).toBeNull();
    expect(preferredCvss(awaiting as NvdCve)).toMatchObject({ type: 'Secondary', score: 3.7 });
    for (const entry of cves.flatMap((c) => c.cvss)) expect(entry.score, entry.vector).toBe(entry.statedScore);
  });

  it.each([
    ['nvd-api2-cpematch-CVE-2022-32223.json.gz', /format is "NVD_CPEMatchString", not "NVD_CVE": not an NVD CVE API 2\.0 document/],
    ['nvd-api2-cvehistory-CVE-2019-1010218.json.gz', /format is "NVD_CVEHistory", not "NVD_CVE": not an NVD CVE API 2\.0 document/],
    ['cve_api_json_2.0.schema.json', /no "format": not an NVD CVE API 2\.0 document/],
  ])('%s is refused with a clear NvdError', async (name, reason) => {
    const { error, delivered } = await refusal(fixture(name));
    expect(error.name).toBe('NvdError');
    expect(error.file).toBe(fixture(name));
    expect(error.message.startsWith(`${fixture(name)}: `)).toBe(true);
    expect(error.reason).toMatch(reason);
    expect(delivered).toBe(0);
  });
});

describe('cvssBaseScore: published FIRST examples and the strict vector check', () => {
  it.each([
    ['3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['3.1', 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
    ['3.1', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:L/I:L/A:N', 4.7],
    ['3.0', 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['4.0', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3],
    ['4.0', 'CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.5],
    ['2.0', 'AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5],
    ['2.0', 'CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5],
  ] as const)('CVSS %s %s = %d', (version, vector, expected) => {
    expect(cvssBaseScore(vector, version)).toEqual({ score: expected });
    if (version === '3.1') expect(specBase31(vector)).toBe(expected);
    if (version === '2.0') expect(specBase2(vector)).toBe(expected);
  });

  it('base score only: temporal metrics do not change it (the calculator reports them apart)', () => {
    expect(cvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C', '3.1')).toEqual({ score: 9.8 });
    expect(cvssBaseScore('AV:N/AC:L/Au:N/C:P/I:P/A:P/E:U/RL:OF/RC:C', '2.0')).toEqual({ score: 7.5 });
  });

  it.each([
    ['3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', /base metric A missing/],
    ['3.1', 'CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /metric AV given twice/],
    ['3.1', 'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /AV:X is not a valid value/],
    ['3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q', /A:Q is not a valid value/],
    ['3.1', 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /a CVSS 3\.0 vector where CVSS 3\.1 is expected/],
    ['3.1', 'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /no CVSS:3\.1\/ prefix/],
    ['3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1', /malformed metric/],
    ['3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:H', /unknown metric ZZ/],
    ['4.0', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N', /base metric SA missing/],
    ['2.0', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /a CVSS 3\.1 vector where CVSS 2\.0 is expected/],
    ['2.0', '(AV:N/AC:L/Au:N/C:P/I:P/A:P)', /malformed metric/],
    ['3.1', 'garbage', /no CVSS:3\.1\/ prefix/],
    ['3.1', `CVSS:3.1/${'AV:N/'.repeat(200)}`, /longer than 512/],
  ] as const)('CVSS %s %s: no score', (version, vector, reason) => {
    const result = cvssBaseScore(vector, version);
    expect(result).not.toHaveProperty('score');
    expect((result as { problem: string }).problem).toMatch(reason);
  });
});

describe('readNvd: CVEs inside a document', () => {
  it('a broken vector is a problem naming the file and CVE; the stated score and severity are kept, the CVE delivered', async () => {
    const path = writeTmp(
      documentOf([
        cveElement('CVE-2024-0001', {
          metrics: {
            cvssMetricV31: [
              v31('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q', 9.8),
              v31('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8),
            ],
          },
        }),
      ]),
    );
    const { cves, problems, result } = await collect(path);
    expect(result).toEqual({ cves: 1, problems: 1, totalResults: 1 });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.file).toBe(path);
    expect(problems[0]?.record).toBe('CVE-2024-0001');
    expect(problems[0]?.reason).toMatch(
      /metrics\.cvssMetricV31\[0\] \(nvd@nist\.gov\): CVSS 3\.1 vector .* does not parse: A:Q is not a valid value/,
    );
    const [broken, fine] = cves[0]?.cvss ?? [];
    expect(broken).toMatchObject({ score: null, statedScore: 9.8, statedSeverity: 'CRITICAL' });
    expect(broken?.problem).toMatch(/A:Q is not a valid value; the stated score is kept/);
    expect(fine).toMatchObject({ score: 9.8, statedScore: 9.8 });
    expect(fine?.problem).toBeUndefined();
  });

  it('a stated score that differs from the computed one is reported; the computed one is the score', async () => {
    const path = writeTmp(
      documentOf([cveElement('CVE-2024-0002', { metrics: { cvssMetricV31: [v31('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.9)] } })]),
    );
    const { cves, problems } = await collect(path);
    expect(cves[0]?.cvss[0]).toMatchObject({
      score: 9.8,
      statedScore: 9.9,
      problem: 'stated base score 9.9 differs from 9.8 computed from the vector',
    });
    expect(problems.map((p) => p.record)).toEqual(['CVE-2024-0002']);
  });

  it('a metric of the wrong shape, or a cvssData.version that contradicts its list, is a problem; the CVE stays', async () => {
    const path = writeTmp(
      documentOf([
        cveElement('CVE-2024-0003', {
          metrics: {
            cvssMetricV31: [{ source: 'x', type: 'Tertiary', cvssData: { vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' } }],
            cvssMetricV30: [
              {
                source: 'y',
                type: 'Secondary',
                cvssData: { version: '3.1', vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
              },
            ],
            cvssMetricV2: 'no',
          },
        }),
      ]),
    );
    const { cves, problems } = await collect(path);
    expect(cves.map((c) => c.id)).toEqual(['CVE-2024-0003']);
    expect(cves[0]?.cvss).toEqual([
      expect.objectContaining({ version: '3.0', score: null, problem: expect.stringMatching(/cvssData\.version is "3\.1", not 3\.0/) }),
    ]);
    expect(problems.map((p) => p.reason)).toEqual([
      expect.stringMatching(/^metrics\.cvssMetricV31\[0\] ignored: type/),
      expect.stringMatching(/^metrics\.cvssMetricV30\[0\] \(y\): /),
      'metrics.cvssMetricV2 ignored: not a list',
    ]);
  });

  it('elements that are not objects, lack a CVE id or are not valid JSON are problems naming the index; the rest continue', async () => {
    const good = (id: string) => JSON.stringify(cveElement(id));
    const path = writeTmp(
      rawDocument([
        '42',
        good('CVE-2024-1000'),
        '"CVE-2024-1001"',
        'null',
        '{"cve":{}}',
        '{"cve":{"id":"GHSA-xxxx"}}',
        '{"nocve":true}',
        '{"cve":{"id":"CVE-2024-1002"]}',
        '{"cve":{"id":"CVE-2024-1003"}}',
        good('CVE-2024-1004'),
      ]),
    );
    const { cves, problems, result } = await collect(path);
    expect(cves.map((c) => c.id)).toEqual(['CVE-2024-1000', 'CVE-2024-1004']);
    expect(result).toEqual({ cves: 2, problems: 8, totalResults: 1 });
    expect(problems.map((p) => [p.record, p.reason.replace(/ \(.*\)/, ' (…)')])).toEqual([
      [null, 'vulnerabilities[0] is not an object: skipped'],
      [null, 'vulnerabilities[2] is not an object: skipped'],
      [null, 'vulnerabilities[3] is not an object: skipped'],
      [null, 'vulnerabilities[4] has no CVE id: skipped'],
      [null, 'vulnerabilities[5] has no CVE id (…): skipped'],
      [null, 'vulnerabilities[6] has no "cve" object: skipped'],
      [null, 'vulnerabilities[7] is not valid JSON (…): skipped'],
      [
        'CVE-2024-1003',
        'vulnerabilities[8] does not follow the NVD schema at published: Invalid input: expected string, received undefined: skipped',
      ],
    ]);
    expect(problems.every((p) => p.file === path)).toBe(true);
  });

  it('descriptions: the English one; CWEs deduplicated without NVD-CWE-*; references as URLs', async () => {
    const path = writeTmp(
      documentOf([
        cveElement('CVE-2024-2000', {
          descriptions: [
            { lang: 'es', value: 'hola' },
            { lang: 'en', value: 'hello' },
          ],
          weaknesses: [
            { source: 'a', type: 'Primary', description: [{ lang: 'en', value: 'NVD-CWE-Other' }] },
            {
              source: 'b',
              type: 'Secondary',
              description: [
                { lang: 'en', value: 'CWE-79' },
                { lang: 'en', value: 'NVD-CWE-noinfo' },
              ],
            },
            {
              source: 'c',
              type: 'Secondary',
              description: [
                { lang: 'en', value: 'CWE-79' },
                { lang: 'en', value: 'CWE-89' },
              ],
            },
          ],
          references: [{ url: 'https://a.example/1', source: 'x' }, { url: 'https://b.example/2' }],
        }),
        cveElement('CVE-2024-2001', { descriptions: [{ lang: 'fr', value: 'bonjour' }] }),
      ]),
    );
    const { cves, problems } = await collect(path);
    expect(problems).toEqual([]);
    expect(cves[0]).toMatchObject({
      description: 'hello',
      cwes: ['CWE-79', 'CWE-89'],
      references: ['https://a.example/1', 'https://b.example/2'],
    });
    expect(cves[1]).toMatchObject({ description: null, cwes: [], cvss: [], configurations: null });
  });

  it('problems beyond maxProblems are counted and announced in one closing problem', async () => {
    const path = writeTmp(rawDocument(['1', '2', '3', '4', '5', JSON.stringify(cveElement('CVE-2024-3000'))]));
    const { cves, problems, result } = await collect(path, { maxProblems: 2 });
    expect(cves).toHaveLength(1);
    expect(result.problems).toBe(5);
    expect(problems.map((p) => p.reason)).toEqual([
      'vulnerabilities[0] is not an object: skipped',
      'vulnerabilities[1] is not an object: skipped',
      '3 further problems not shown',
    ]);
  });

  it('an element longer than maxElementChars is skipped with a problem', async () => {
    const big = cveElement('CVE-2024-4000', { descriptions: [{ lang: 'en', value: 'x'.repeat(5000) }] });
    const path = writeTmp(documentOf([big, cveElement('CVE-2024-4001')]));
    const { cves, problems } = await collect(path, { maxElementChars: 4000 });
    expect(cves.map((c) => c.id)).toEqual(['CVE-2024-4001']);
    expect(problems.map((p) => p.reason)).toEqual([
      expect.stringMatching(/^vulnerabilities\[0\]: \d+ characters, more than the 4000 allowed: skipped$/),
    ]);
  });

  it('an error thrown by onCve propagates as it is, and stops the read', async () => {
    const path = writeTmp(documentOf([cveElement('CVE-2024-5000'), cveElement('CVE-2024-5001')]));
    const mine = new Error('stop here');
    let seen = 0;
    await expect(
      readNvd(path, () => {
        seen++;
        throw mine;
      }),
    ).rejects.toBe(mine);
    expect(seen).toBe(1);
  });

  it('without onProblem, problems are still counted', async () => {
    const path = writeTmp(rawDocument(['1', JSON.stringify(cveElement('CVE-2024-5100'))]));
    const ids: string[] = [];
    expect(await readNvd(path, (c) => ids.push(c.id))).toEqual({ cves: 1, problems: 1, totalResults: 1 });
    expect(ids).toEqual(['CVE-2024-5100']);
  });

  it('plain and gzip copies of one document read the same (recognised by magic bytes, not by name)', async () => {
    const text = documentOf([cveElement('CVE-2024-6000'), cveElement('CVE-2024-6001')]);
    const plain = await collect(writeTmp(text, 'plain.json.gz'));
    const gzipped = await collect(writeTmp(gzipSync(text), 'compressed.json'));
    expect(plain.cves.map((c) => c.id)).toEqual(['CVE-2024-6000', 'CVE-2024-6001']);
    expect(gzipped.cves).toEqual(plain.cves);
  });

  it('a leading BOM, whitespace everywhere, escapes and brackets inside strings are read right', async () => {
    const element = cveElement('CVE-2024-7000', {
      descriptions: [{ lang: 'en', value: 'quote " backslash \\ brackets ]}[{ \u00e9 \u{1f600}' }],
    });
    const text = `\ufeff {\n "format" : "NVD_CVE" ,\n "version":"2.0",\t"odd\\"key":[1,{"a":"]"}],\r\n "vulnerabilities" : [ \n ${JSON.stringify(element, null, 2)} \n ] , "totalResults" : 1 }\n`;
    const { cves, problems, result } = await collect(writeTmp(text));
    expect(problems).toEqual([]);
    expect(result).toEqual({ cves: 1, problems: 0, totalResults: 1 });
    expect(cves[0]?.description).toBe('quote " backslash \\ brackets ]}[{ \u00e9 \u{1f600}');
  });

  it('an empty vulnerabilities array is a valid document with no CVEs', async () => {
    expect(await collect(writeTmp(rawDocument([])))).toEqual({ cves: [], problems: [], result: { cves: 0, problems: 0, totalResults: 1 } });
  });
});

describe('readNvd: documents that are refused', () => {
  it.each([
    ['a JSON array', '[]', /not a valid JSON document: not a JSON object at offset 0/],
    [
      'no vulnerabilities',
      '{"format":"NVD_CVE","version":"2.0","totalResults":0}',
      /no "vulnerabilities" array: not an NVD CVE API 2\.0 document/,
    ],
    ['vulnerabilities not an array', '{"format":"NVD_CVE","version":"2.0","vulnerabilities":{}}', /"vulnerabilities" is not an array/],
    ['version 1.0', '{"format":"NVD_CVE","version":"1.0","vulnerabilities":[]}', /version is "1\.0", not "2\.0"/],
    ['version as a number', '{"format":"NVD_CVE","version":2,"vulnerabilities":[]}', /version is 2, not "2\.0"/],
    ['format missing', '{"version":"2.0","vulnerabilities":[]}', /no "format" and "version" before "vulnerabilities"/],
    [
      'format after the CVEs',
      `{"version":"2.0","vulnerabilities":[${JSON.stringify(cveElement('CVE-2024-8000'))}],"format":"NVD_CVE"}`,
      /before "vulnerabilities"/,
    ],
    ['two vulnerabilities arrays', '{"format":"NVD_CVE","version":"2.0","vulnerabilities":[],"vulnerabilities":[]}', /given twice/],
    [
      'a truncated document',
      rawDocument([JSON.stringify(cveElement('CVE-2024-8001'))]).slice(0, -30),
      /the document ends early at offset \d+ \(truncated\?\)/,
    ],
    ['text after the document', `${rawDocument([])} {}`, /text after the document at offset/],
    ['a missing comma', '{"format":"NVD_CVE" "version":"2.0","vulnerabilities":[]}', /',' or '}' expected at offset 20/],
    ['a trailing comma in the array', '{"format":"NVD_CVE","version":"2.0","vulnerabilities":[1,]}', /array element expected/],
    ['whitespace only', '  \n', /empty document/],
  ])('%s', async (_, text, reason) => {
    const path = writeTmp(text);
    const { error, delivered } = await refusal(path);
    expect(error.message).toBe(`${path}: ${error.reason}`);
    expect(error.reason).toMatch(reason);
    expect(delivered).toBe(0);
  });

  it('binary garbage (not UTF-8) is refused', async () => {
    const bytes = new Uint8Array(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 151 + 17) % 256;
    bytes[0] = 0x7b; // even starting like an object
    const path = writeTmp(bytes, 'garbage.bin');
    const { error } = await refusal(path);
    expect(error.reason).toMatch(/not UTF-8 text \(binary data\?\)/);
  });

  it('binary garbage behind gzip magic bytes is refused as corrupt gzip', async () => {
    const bytes = new Uint8Array(512).map((_, i) => (i * 37 + 5) % 256);
    bytes[0] = 0x1f;
    bytes[1] = 0x8b;
    const path = writeTmp(bytes, 'garbage.gz');
    const { error } = await refusal(path);
    expect(error.reason).toMatch(/truncated or corrupt gzip data/);
  });

  it('a truncated gzip file is refused naming the file; CVEs before the cut were delivered', async () => {
    const whole = readFileSync(fixture('nvd-api2-cves-2023.json.gz'));
    const path = writeTmp(whole.subarray(0, Math.floor(whole.length * 0.6)), 'cut.json.gz');
    const { error, delivered } = await refusal(path);
    expect(error.file).toBe(path);
    expect(error.reason).toMatch(/^truncated or corrupt gzip data \(unexpected end of file\)/);
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThan(200);
  });

  it('a gzip bomb is refused by its ratio (lowered floor); the same data passes under a higher ratio', async () => {
    const text = rawDocument([
      JSON.stringify(cveElement('CVE-2024-9000')),
      `${' '.repeat(4_000_000)}${JSON.stringify(cveElement('CVE-2024-9001'))}`,
    ]);
    const path = writeTmp(gzipSync(text, { level: 9 }), 'bomb.json.gz');
    const compressed = readFileSync(path).length;
    expect(text.length / compressed).toBeGreaterThan(500);

    const { error, delivered } = await refusal(path, { maxRatio: 100, ratioFloorBytes: 10_000 });
    expect(error.reason).toMatch(new RegExp(`^gzip data inflates beyond 100× its ${compressed} compressed bytes: gzip bomb`));
    expect(delivered).toBe(1);

    const { cves } = await collect(path, { maxRatio: 100_000, ratioFloorBytes: 10_000 });
    expect(cves.map((c) => c.id)).toEqual(['CVE-2024-9000', 'CVE-2024-9001']);
    // Below the floor, the ratio is not looked at.
    expect((await collect(path, { maxRatio: 100, ratioFloorBytes: 8_000_000 })).cves).toHaveLength(2);
  });

  it('the default limits refuse a real deflate bomb (ratio above 1000)', async () => {
    const path = writeTmp(gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20), { level: 9 }), 'default-bomb.gz');
    const { error } = await refusal(path);
    expect(error.reason).toMatch(/inflates beyond 1000× .* gzip bomb/);
  });

  it('maxBytes caps the decompressed size of gzip data and the size of a plain file', async () => {
    const text = documentOf([cveElement('CVE-2024-9100'), cveElement('CVE-2024-9101')]);
    const gz = await refusal(writeTmp(gzipSync(text), 'capped.json.gz'), { maxBytes: 200 });
    expect(gz.error.reason).toMatch(/^decompresses to more than 200 bytes: refused/);
    const plain = await refusal(writeTmp(text), { maxBytes: 200 });
    expect(plain.error.reason).toMatch(new RegExp(`^${text.length} bytes, more than the 200 allowed`));
    expect((await collect(writeTmp(text), { maxBytes: text.length })).cves).toHaveLength(2);
  });

  it('a missing file, a directory and an empty file are refused naming the path', async () => {
    expect((await refusal(join(tmp, 'absent.json'))).error.reason).toMatch(/^cannot read: .*ENOENT/);
    expect((await refusal(tmp)).error.reason).toBe('not a regular file');
    expect((await refusal(writeTmp(''))).error.reason).toMatch(/^empty file/);
  });
});

describe('preferredCvss', () => {
  const entry = (version: NvdCvss['version'], type: NvdCvss['type'], source = 's'): NvdCvss => ({
    version,
    vector: '',
    source,
    type,
    statedScore: null,
    statedSeverity: null,
    score: null,
  });

  it('the Primary entry of the newest version, else the newest Secondary; the first of equals; null without any', () => {
    expect(
      preferredCvss({ cvss: [entry('2.0', 'Primary'), entry('3.1', 'Primary'), entry('3.0', 'Primary'), entry('4.0', 'Secondary')] }),
    ).toEqual(entry('3.1', 'Primary'));
    expect(
      preferredCvss({ cvss: [entry('3.1', 'Secondary', 'a'), entry('4.0', 'Secondary', 'b'), entry('4.0', 'Secondary', 'c')] })?.source,
    ).toBe('b');
    expect(preferredCvss({ cvss: [entry('2.0', 'Primary'), entry('4.0', 'Secondary')] })).toEqual(entry('2.0', 'Primary'));
    expect(preferredCvss({ cvss: [] })).toBeNull();
  });
});

describe('JsonArrayMemberSplitter', () => {
  it('gives the same elements whatever the chunk boundaries (one character at a time, odd sizes)', () => {
    const text = gunzipSync(readFileSync(fixture('nvd-api2-osvdev-13-cves-assembled.json.gz'))).toString('utf8');
    const expected = (JSON.parse(text) as { vulnerabilities: unknown[] }).vulnerabilities;
    for (const size of [1, 7, 4093]) {
      const elements: unknown[] = [];
      const members: string[] = [];
      const splitter = new JsonArrayMemberSplitter(
        'vulnerabilities',
        {
          member: (key, value) => members.push(`${key}=${value}`),
          arrayStart: () => members.push('['),
          element: (index, value) => {
            expect(index).toBe(elements.length);
            elements.push(JSON.parse(value ?? 'null'));
          },
        },
        { maxMemberChars: 1000, maxElementChars: 1_000_000 },
      );
      for (let i = 0; i < text.length; i += size) splitter.push(text.slice(i, i + size));
      splitter.end();
      expect(elements).toEqual(expected);
      expect(members).toEqual([
        'resultsPerPage=1',
        'startIndex=0',
        'totalResults=1',
        'format="NVD_CVE"',
        'version="2.0"',
        'timestamp="2026-01-29T23:19:29.408"',
        '[',
      ]);
      expect(splitter.offset).toBe(text.length);
    }
  });

  it('splits an escaped quote and backslash across chunks correctly', () => {
    const text = '{"v":["a\\\\","b\\"]",{"c":"\\\\\\""}]}';
    const expected = (JSON.parse(text) as { v: unknown[] }).v;
    for (let cut = 1; cut < text.length; cut++) {
      const got: unknown[] = [];
      const splitter = new JsonArrayMemberSplitter(
        'v',
        { member: () => {}, arrayStart: () => {}, element: (_, value) => got.push(JSON.parse(value ?? 'null')) },
        { maxMemberChars: 100, maxElementChars: 100 },
      );
      splitter.push(text.slice(0, cut));
      splitter.push(text.slice(cut));
      splitter.end();
      expect(got, `cut at ${cut}`).toEqual(expected);
    }
  });
});
