import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createGunzip, createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { type EpssRow, type EpssSummary, readEpss } from './epss.ts';
import { FeedError, type FeedLimits, type FeedProblem } from './input.ts';

const EPSS_GZ = `${FIXTURES}epss/epss_scores-2026-08-16-derived.csv.gz`;
const EMBA_TGZ = `${FIXTURES}epss/emba-EPSS_CVE_data-2026-08-16.tar.gz`;
const FIXTURE_ROWS = 360_142;
const MODEL_LINE = '#model_version:v2025.03.14,score_date:2026-08-16T00:00:00+0000';

const dir = mkdtempSync(join(tmpdir(), 'vigil-feeds-epss-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const writeTemp = (data: string | Uint8Array, name = `t${counter++}.csv`): string => {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
};

interface ReadResult {
  summary: EpssSummary;
  rows: EpssRow[];
  problems: FeedProblem[];
}

async function readAll(path: string, limits?: Partial<FeedLimits>): Promise<ReadResult> {
  const rows: EpssRow[] = [];
  const problems: FeedProblem[] = [];
  const summary = await readEpss(
    path,
    (row) => void rows.push(row),
    (p) => problems.push(p),
    limits,
  );
  return { summary, rows, problems };
}

async function readError(path: string): Promise<{ rows: number; error: unknown }> {
  let rows = 0;
  try {
    await readEpss(path, () => {
      rows++;
    });
  } catch (error) {
    return { rows, error };
  }
  return { rows, error: null };
}

/** The fixture as the official daily file starts: the `#model_version` line first, gzipped, streamed. */
async function withModelLine(): Promise<string> {
  const path = join(dir, `with-model-${counter++}.csv.gz`);
  let first = true;
  const prepend = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (first) {
        first = false;
        this.push(`${MODEL_LINE}\n`);
      }
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(EPSS_GZ), createGunzip(), prepend, createGzip(), createWriteStream(path));
  return path;
}

/** One member of a tar.gz, read with a minimal ustar walk (test helper only). */
function tarMember(archive: string, name: string): Buffer {
  const tar = gunzipSync(readFileSync(archive));
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    const memberName = header.toString('latin1', 0, 100).replace(/\0.*$/s, '');
    if (memberName === '') break;
    const size = Number.parseInt(header.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim(), 8);
    if (memberName === name) return tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${name} not in ${archive}`);
}

describe('readEpss on the fixture', () => {
  let result: ReadResult;
  beforeAll(async () => {
    result = await readAll(EPSS_GZ);
  });

  it('reads every row, with no problem and no model line', () => {
    expect(result.summary).toEqual({ modelVersion: null, scoreDate: null, separator: ',', rows: FIXTURE_ROWS, problems: 0 });
    expect(result.rows).toHaveLength(FIXTURE_ROWS);
    expect(result.problems).toEqual([]);
  });

  it('gives exact values of rows, with the text as in the file', () => {
    expect(result.rows[0]).toEqual({
      cve: 'CVE-1999-0001',
      epss: 0.03351,
      percentile: 0.8765,
      epssText: '0.033510000',
      percentileText: '0.876500000',
      line: 2,
    });
    expect(result.rows[1]).toMatchObject({ cve: 'CVE-1999-0002', epss: 0.27858, percentile: 0.97929, line: 3 });
    expect(result.rows.at(-1)).toEqual({
      cve: 'CVE-2026-74439',
      epss: 0.00156,
      percentile: 0.05295,
      epssText: '0.001560000',
      percentileText: '0.052950000',
      line: FIXTURE_ROWS + 1,
    });
    // The example row of fixtures/README.md.
    const row = result.rows.find((r) => r.cve === 'CVE-2021-47987');
    expect(row).toEqual({
      cve: 'CVE-2021-47987',
      epss: 0.0012,
      percentile: 0.02168,
      epssText: '0.001200000',
      percentileText: '0.021680000',
      line: 177_181,
    });
  });

  it('matches the file line for line', () => {
    const text = gunzipSync(readFileSync(EPSS_GZ)).toString('utf8');
    const fileLines = text.split('\n');
    expect(fileLines[0]).toBe('cve,epss,percentile');
    for (const index of [0, 1, 1000, 123_456, 250_000, FIXTURE_ROWS - 1]) {
      const row = result.rows[index] as EpssRow;
      expect(`${row.cve},${row.epssText},${row.percentileText}`).toBe(fileLines[row.line - 1]);
      expect(row.epss).toBe(Number(row.epssText));
    }
  });

  it('keeps every score within 0..1', () => {
    const outside = result.rows.filter((r) => !(r.epss >= 0 && r.epss <= 1 && r.percentile >= 0 && r.percentile <= 1));
    expect(outside).toEqual([]);
  });
});

describe('readEpss', () => {
  it('reads the #model_version line of the official daily file', async () => {
    const { summary, rows, problems } = await readAll(await withModelLine());
    expect(summary).toEqual({
      modelVersion: 'v2025.03.14',
      scoreDate: '2026-08-16T00:00:00+0000',
      separator: ',',
      rows: FIXTURE_ROWS,
      problems: 0,
    });
    expect(problems).toEqual([]);
    expect(rows[0]).toMatchObject({ cve: 'CVE-1999-0001', epssText: '0.033510000', line: 3 });
    expect(rows.at(-1)).toMatchObject({ cve: 'CVE-2026-74439', line: FIXTURE_ROWS + 2 });
  });

  it('streams the fixture: memory stays flat', async () => {
    // Rows are counted, not kept; the heap is measured after a full GC every 50,000 rows, so it shows
    // what the reader retains, not garbage waiting for collection. Measured: streaming retains a few MB;
    // a reader holding every row retains ~90 MB, and the whole text alone ~27 MB. RSS (GC slack, zlib
    // buffers) gets the generous 200 MB bound.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    let count = 0;
    await readEpss(EPSS_GZ, () => {
      if (++count % 50_000 === 0) {
        gc();
        const now = process.memoryUsage();
        peakRss = Math.max(peakRss, now.rss);
        peakHeap = Math.max(peakHeap, now.heapUsed);
      }
    });
    expect(count).toBe(FIXTURE_ROWS);
    expect(peakRss - before.rss).toBeLessThan(200 * 1024 * 1024);
    expect(peakHeap - before.heapUsed).toBeLessThan(16 * 1024 * 1024);
  });

  it('awaits a promise returned by onRow before reading on', async () => {
    const path = writeTemp('cve,epss,percentile\nCVE-2024-0001,0.1,0.2\nCVE-2024-0002,0.3,0.4\nCVE-2024-0003,0.5,0.6\n');
    let inFlight = 0;
    let maxInFlight = 0;
    const seen: string[] = [];
    await readEpss(path, async (row) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(row.cve);
      inFlight--;
    });
    expect(seen).toEqual(['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003']);
    expect(maxInFlight).toBe(1);
  });

  it('skips broken rows with a problem naming the line, and reads the rest', async () => {
    const text = [
      'cve,epss,percentile',
      'CVE-2024-0001,0.1,0.2', // 2 ok
      'CVE-2024-0002,0.1', // 3 two fields
      'CVE-2024-0003,abc,0.2', // 4 not a number
      'CVE-2024-0004,1.5,0.2', // 5 out of range
      'CVE-2024-0005,0.1,-0.2', // 6 negative
      'CVE-99-1,0.1,0.2', // 7 bad id
      'CVE-2024-0007,0.1,0.2,extra', // 8 four fields
      '', // 9 blank: passed over
      'CVE-2024-0009,,0.2', // 10 empty score
      'CVE-2024-0010,1,0', // 11 ok, the bounds
      'CVE-2024-0011,1e-05,0.00001', // 12 ok, exponent
      'CVE-2024-0012, 0.1,0.2', // 13 space
      'CVE-2024-0013,NaN,0.2', // 14
      'CVE-2024-0014,0.5,0.7', // 15 ok
    ].join('\n');
    const { summary, rows, problems } = await readAll(writeTemp(text));
    expect(rows.map((r) => [r.line, r.cve, r.epss, r.percentile])).toEqual([
      [2, 'CVE-2024-0001', 0.1, 0.2],
      [11, 'CVE-2024-0010', 1, 0],
      [12, 'CVE-2024-0011', 0.00001, 0.00001],
      [15, 'CVE-2024-0014', 0.5, 0.7],
    ]);
    expect(problems.map((p) => [p.row, p.record])).toEqual([
      [3, null],
      [4, 'CVE-2024-0003'],
      [5, 'CVE-2024-0004'],
      [6, 'CVE-2024-0005'],
      [7, null],
      [8, null],
      [10, 'CVE-2024-0009'],
      [13, 'CVE-2024-0012'],
      [14, 'CVE-2024-0013'],
    ]);
    expect(problems[0]?.reason).toBe('expected 3 fields separated by ",", found 2: "CVE-2024-0002,0.1"');
    expect(problems[1]?.reason).toBe('epss "abc" is not a number from 0 to 1');
    expect(problems[3]?.reason).toBe('percentile "-0.2" is not a number from 0 to 1');
    expect(problems[4]?.reason).toBe('bad CVE id "CVE-99-1"');
    expect(problems.every((p) => p.file.endsWith('.csv'))).toBe(true);
    expect(summary.rows).toBe(4);
    expect(summary.problems).toBe(9);
  });

  it('caps the problems forwarded, counting all', async () => {
    const text = `cve,epss,percentile\n${'CVE-2024-0001,x,0.1\n'.repeat(300)}CVE-2024-0002,0.1,0.1\n`;
    const { summary, rows, problems } = await readAll(writeTemp(text));
    expect(rows).toHaveLength(1);
    expect(problems).toHaveLength(201);
    expect(problems.at(-1)?.reason).toBe('100 further problems not shown');
    expect(summary.problems).toBe(300);
  });

  it('reads CRLF line endings and a byte order mark', async () => {
    const text = `\ufeff${MODEL_LINE}\r\ncve,epss,percentile\r\nCVE-2024-0001,0.00383,0.72\r\nCVE-2024-0002,0.5,0.9\r\n`;
    for (const data of [text, gzipSync(text)]) {
      const { summary, rows, problems } = await readAll(writeTemp(data));
      expect(problems).toEqual([]);
      expect(summary.modelVersion).toBe('v2025.03.14');
      expect(rows.map((r) => [r.line, r.cve, r.epssText, r.percentileText])).toEqual([
        [3, 'CVE-2024-0001', '0.00383', '0.72'],
        [4, 'CVE-2024-0002', '0.5', '0.9'],
      ]);
    }
  });

  it('refuses a file without the header', async () => {
    for (const text of [
      'CVE-2024-0001,0.1,0.2\n',
      'cve,score,percentile\nCVE-2024-0001,0.1,0.2\n',
      `${MODEL_LINE}\nCVE-2024-0001,0.1,0.2\n`,
    ]) {
      const { rows, error } = await readError(writeTemp(text));
      expect(error).toBeInstanceOf(FeedError);
      expect((error as FeedError).reason).toMatch(/^missing header: expected "cve,epss,percentile", found "/);
      expect(rows).toBe(0);
    }
  });

  it('refuses an empty file and one with only the comment line', async () => {
    for (const text of ['', `${MODEL_LINE}\n`]) {
      const { error } = await readError(writeTemp(text));
      expect(error).toBeInstanceOf(FeedError);
      expect((error as FeedError).reason).toBe('no header and no rows: not an EPSS scores file');
    }
  });

  it('reads a header-only file as no rows', async () => {
    const { summary } = await readAll(writeTemp('cve,epss,percentile\n'));
    expect(summary.rows).toBe(0);
  });

  it('reads the headerless ;-separated form (a real EMBA per-year file)', async () => {
    const member = tarMember(EMBA_TGZ, 'EPSS_CVE_data/CVE_1999_EPSS.csv');
    const { summary, rows, problems } = await readAll(writeTemp(member));
    expect(problems).toEqual([]);
    expect(summary).toEqual({ modelVersion: null, scoreDate: null, separator: ';', rows: 1540, problems: 0 });
    expect(rows[0]).toEqual({
      cve: 'CVE-1999-1593',
      epss: 0.18126,
      percentile: 0.96946,
      epssText: '0.181260000',
      percentileText: '0.969460000',
      line: 1,
    });
    // Same scores as the derived bulk file.
    const bulk = new Map<string, string>();
    await readEpss(EPSS_GZ, (row) => {
      if (row.cve.startsWith('CVE-1999-')) bulk.set(row.cve, `${row.epssText} ${row.percentileText}`);
    });
    expect(bulk.size).toBe(1540);
    for (const row of rows) expect(`${row.cve} ${bulk.get(row.cve)}`).toBe(`${row.cve} ${row.epssText} ${row.percentileText}`);
  });

  it('reads a cve;epss;percentile header', async () => {
    const { summary, rows } = await readAll(writeTemp('cve;epss;percentile\nCVE-2024-0001;0.1;0.2\n'));
    expect(summary.separator).toBe(';');
    expect(rows.map((r) => r.cve)).toEqual(['CVE-2024-0001']);
  });

  it('stops at a truncated gzip file, after the rows before the cut', async () => {
    const whole = readFileSync(EPSS_GZ);
    const { rows, error } = await readError(writeTemp(whole.subarray(0, Math.floor(whole.length / 2)), `cut${counter++}.csv.gz`));
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toBe('truncated gzip');
    expect(rows).toBeGreaterThan(1000);
    expect(rows).toBeLessThan(FIXTURE_ROWS);
  });

  it('stops at a 10 MB single line, naming the line', async () => {
    const path = writeTemp(`cve,epss,percentile\nCVE-2024-0001,0.1,0.2\nCVE-2024-0002,0.1,${'9'.repeat(10 * 1024 * 1024)}\n`);
    const { rows, error } = await readError(path);
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).row).toBe(3);
    expect((error as FeedError).message).toBe(`${path}:3: line longer than the 1048576 characters allowed`);
    expect(rows).toBe(1);
  });

  it('refuses binary garbage', async () => {
    const garbage = Buffer.alloc(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) % 256;
    const { error } = await readError(writeTemp(garbage));
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toMatch(/^not UTF-8 text/);
    // NUL bytes are valid UTF-8, but no header.
    const zeros = await readError(writeTemp(Buffer.alloc(4096)));
    expect(zeros.error).toBeInstanceOf(FeedError);
    expect((zeros.error as FeedError).reason).toMatch(/^missing header/);
  });

  it('stops a gzip bomb at the byte cap', async () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x30));
    const capped = await readAll(writeTemp(bomb, `bomb${counter++}.csv.gz`), {
      maxBytes: 1024 * 1024,
      maxLineLength: 2 * 1024 * 1024,
    }).catch((e: unknown) => e);
    expect(capped).toBeInstanceOf(FeedError);
    expect((capped as FeedError).reason).toBe('more than the 1048576 bytes allowed decompressed');
  });
});
