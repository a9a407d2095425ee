import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import {
  type CsvRecord,
  csvRecords,
  DEFAULT_FEED_LIMITS,
  FEED_MAX_BYTES,
  FEED_MAX_LINE_LENGTH,
  FEED_MAX_RATIO,
  FEED_RATIO_FLOOR_BYTES,
  FeedError,
  type FeedLimits,
  type FeedProblem,
  FeedProblemGate,
  isGzip,
  lines,
  openFeedText,
} from './input.ts';

const EPSS_GZ = `${FIXTURES}epss/epss_scores-2026-08-16-derived.csv.gz`;
const MiB = 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'vigil-feeds-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const writeTemp = (data: string | Uint8Array, name = `t${counter++}`): string => {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
};

async function readText(path: string, limits?: Partial<FeedLimits>): Promise<string> {
  const parts: string[] = [];
  for await (const chunk of openFeedText(path, limits)) parts.push(chunk);
  return parts.join('');
}

/** Reads until the error: the characters read before it and the error (or null). */
async function readUntilError(path: string, limits?: Partial<FeedLimits>): Promise<{ chars: number; error: unknown }> {
  let chars = 0;
  try {
    for await (const chunk of openFeedText(path, limits)) chars += chunk.length;
  } catch (error) {
    return { chars, error };
  }
  return { chars, error: null };
}

async function* chunksOf(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield part;
}

async function collectLines(chunks: AsyncIterable<string>, max?: number): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const line of lines(chunks, 'f.txt', max)) out.push([line.number, line.text]);
  return out;
}

async function collectCsv(chunks: AsyncIterable<string>, options?: { separator?: string; maxLength?: number }): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const record of csvRecords(chunks, 'f.csv', options)) out.push(record);
  return out;
}

/** Gzips `size` zero bytes into a file, 1 MiB at a time, never holding the input. */
async function gzippedZeros(size: number): Promise<string> {
  const path = join(dir, `zeros${counter++}.gz`);
  const chunk = Buffer.alloc(MiB);
  async function* zeros(): AsyncGenerator<Buffer> {
    for (let written = 0; written < size; written += MiB) yield chunk;
  }
  await pipeline(Readable.from(zeros()), createGzip({ level: 9 }), createWriteStream(path));
  return path;
}

describe('limits', () => {
  it('has the documented defaults', () => {
    expect(FEED_MAX_BYTES).toBe(4 * 1024 * MiB);
    expect(FEED_MAX_RATIO).toBe(1000);
    expect(FEED_RATIO_FLOOR_BYTES).toBe(16 * MiB);
    expect(FEED_MAX_LINE_LENGTH).toBe(MiB);
    expect(DEFAULT_FEED_LIMITS).toEqual({ maxBytes: 4 * 1024 * MiB, maxRatio: 1000, ratioFloorBytes: 16 * MiB, maxLineLength: MiB });
    expect(Object.isFrozen(DEFAULT_FEED_LIMITS)).toBe(true);
  });
});

describe('FeedError', () => {
  it('names the file, the row and the record', () => {
    const error = new FeedError('a.csv', 'bad thing', { row: 12, record: 'CVE-2024-0001' });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('FeedError');
    expect(error.message).toBe('a.csv:12: CVE-2024-0001: bad thing');
    expect([error.file, error.reason, error.row, error.record]).toEqual(['a.csv', 'bad thing', 12, 'CVE-2024-0001']);
    const bare = new FeedError('b.json', 'broken');
    expect(bare.message).toBe('b.json: broken');
    expect(bare.row).toBeUndefined();
    expect(bare.record).toBeUndefined();
  });
});

describe('FeedProblemGate', () => {
  it('forwards up to the cap, then one closing count', () => {
    const seen: FeedProblem[] = [];
    const gate = new FeedProblemGate('f', (p) => seen.push(p), 3);
    for (let i = 1; i <= 5; i++) gate.add(i, null, `p${i}`);
    gate.finish();
    expect(seen.map((p) => p.reason)).toEqual(['p1', 'p2', 'p3', '2 further problems not shown']);
    expect(gate.count).toBe(5);
    expect(seen[0]).toEqual({ file: 'f', row: 1, record: null, reason: 'p1' });
  });
});

describe('openFeedText', () => {
  it('reads a plain file', async () => {
    const path = writeTemp('héllo\nworld\n');
    expect(await readText(path)).toBe('héllo\nworld\n');
  });

  it('reads an empty file as no text', async () => {
    expect(await readText(writeTemp(''))).toBe('');
  });

  it('decompresses gzip told by its magic bytes, whatever the name', async () => {
    const text = 'cve,epss,percentile\nCVE-2024-0001,0.1,0.2\n'.repeat(1000);
    const gz = gzipSync(Buffer.from(text));
    expect(isGzip(gz)).toBe(true);
    expect(await readText(writeTemp(gz, `noext${counter++}`))).toBe(text);
    expect(await readText(writeTemp(gz, `x${counter++}.csv`))).toBe(text);
    // A .gz name on plain text is still plain text.
    expect(await readText(writeTemp(text, `plain${counter++}.gz`))).toBe(text);
  });

  it('refuses data after the gzip stream, but not zero padding', async () => {
    const { error } = await readUntilError(writeTemp(Buffer.concat([gzipSync('abc\n'), Buffer.from('garbage!!')])));
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toMatch(/^corrupt gzip data/);
    expect(await readText(writeTemp(Buffer.concat([gzipSync('abc\n'), Buffer.alloc(100)])))).toBe('abc\n');
  });

  it('refuses a file holding only the gzip magic bytes', async () => {
    const { error } = await readUntilError(writeTemp(Buffer.from([0x1f, 0x8b])));
    expect((error as FeedError).reason).toBe('truncated gzip');
    expect(await readText(writeTemp(gzipSync('')))).toBe('');
  });

  it('reads concatenated gzip members as one text', async () => {
    const path = writeTemp(Buffer.concat([gzipSync('first\n'), gzipSync('second\n')]));
    expect(await readText(path)).toBe('first\nsecond\n');
  });

  it('reads the EPSS fixture in chunks to the same text as gunzipSync', async () => {
    let chunks = 0;
    const parts: string[] = [];
    for await (const chunk of openFeedText(EPSS_GZ)) {
      chunks++;
      parts.push(chunk);
    }
    expect(chunks).toBeGreaterThan(100); // streamed, not one big string
    expect(parts.join('')).toBe(gunzipSync(readFileSync(EPSS_GZ)).toString('utf8'));
  });

  it('drops a leading byte order mark, plain and gzipped', async () => {
    const text = '\ufeffcve,epss\n';
    expect(await readText(writeTemp(text))).toBe('cve,epss\n');
    expect(await readText(writeTemp(gzipSync(text)))).toBe('cve,epss\n');
  });

  it('refuses a missing file', async () => {
    const { error } = await readUntilError(join(dir, 'does-not-exist.csv'));
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toMatch(/^cannot read: .*ENOENT/);
  });

  it('refuses a directory', async () => {
    const { error } = await readUntilError(dir);
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toMatch(/^cannot read/);
  });

  it('refuses a truncated gzip file', async () => {
    const whole = readFileSync(EPSS_GZ);
    for (const size of [whole.length - 4, Math.floor(whole.length / 2), 20]) {
      const path = writeTemp(whole.subarray(0, size));
      const { error } = await readUntilError(path);
      expect(error).toBeInstanceOf(FeedError);
      expect((error as FeedError).reason).toBe('truncated gzip');
      expect((error as FeedError).file).toBe(path);
    }
  });

  it('refuses corrupt gzip data', async () => {
    const gz = gzipSync('some text\n'.repeat(100));
    const broken = Buffer.from(gz);
    broken.fill(0xff, 10, 30); // the deflate stream right after the header
    const { error } = await readUntilError(writeTemp(broken));
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toMatch(/^corrupt gzip data/);
  });

  it('refuses a gzip file whose checksum is wrong', async () => {
    const gz = Buffer.from(gzipSync('some text\n'.repeat(100)));
    const crcAt = gz.length - 8;
    gz.writeUInt32LE((gz.readUInt32LE(crcAt) ^ 1) >>> 0, crcAt);
    const { error } = await readUntilError(writeTemp(gz));
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toMatch(/^corrupt gzip data/);
  });

  it('stops a gzip bomb at the decompressed cap', async () => {
    const path = await gzippedZeros(50 * MiB);
    const { chars, error } = await readUntilError(path, { maxBytes: 10 * MiB });
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toBe(`more than the ${10 * MiB} bytes allowed decompressed`);
    expect(chars).toBeLessThanOrEqual(10 * MiB);
  });

  it('stops a gzip bomb by its ratio, above the floor', async () => {
    const path = await gzippedZeros(50 * MiB);
    const { chars, error } = await readUntilError(path, { ratioFloorBytes: MiB, maxRatio: 100 });
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toMatch(/^decompresses beyond 100× its \d+ compressed bytes read so far: gzip bomb/);
    // Stopped near 100 × the compressed size (the whole small file is read at once), far below 50 MiB.
    expect(chars).toBeLessThanOrEqual(100 * statSync(path).size + 64 * 1024);
    expect(chars).toBeGreaterThanOrEqual(MiB);
  });

  it('lets a real feed through the tightened ratio guard', async () => {
    // The EPSS fixture compresses about 5×: a floor of 1 MiB and a ratio of 20 still accept it.
    const { chars, error } = await readUntilError(EPSS_GZ, { ratioFloorBytes: MiB, maxRatio: 20 });
    expect(error).toBeNull();
    expect(chars).toBeGreaterThan(10 * MiB);
  });

  it('applies the byte cap to plain files too', async () => {
    const path = writeTemp('x'.repeat(200_000));
    const { error } = await readUntilError(path, { maxBytes: 100_000 });
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toBe('more than the 100000 bytes allowed');
    expect((await readUntilError(path, { maxBytes: 200_000 })).error).toBeNull();
  });

  it('refuses text that is not UTF-8, plain and gzipped', async () => {
    const bad = Buffer.from([0x61, 0x62, 0xff, 0x63, 0x0a]);
    for (const data of [bad, gzipSync(bad)]) {
      const { error } = await readUntilError(writeTemp(data));
      expect(error).toBeInstanceOf(FeedError);
      expect((error as FeedError).reason).toMatch(/^not UTF-8 text/);
    }
  });

  it('refuses a file that ends inside a multi-byte sequence', async () => {
    const { error } = await readUntilError(writeTemp(Buffer.from([0x61, 0xe2, 0x82])));
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toBe('not UTF-8 text (the file ends inside a multi-byte sequence)');
  });

  it('keeps a multi-byte character split across read chunks', async () => {
    const text = `${'a'.repeat(64 * 1024 - 1)}€${'b'.repeat(10)}`; // '€' is 3 bytes, straddling the first 64 KiB chunk
    expect(await readText(writeTemp(text))).toBe(text);
  });

  it('refuses binary garbage', async () => {
    const garbage = randomBytes(100_000);
    garbage[0] = 0x00; // never the gzip magic
    const { error } = await readUntilError(writeTemp(garbage));
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toMatch(/^not UTF-8 text/);
  });

  it('can be left early without hanging', async () => {
    let chunks = 0;
    for await (const _ of openFeedText(EPSS_GZ)) {
      if (++chunks === 3) break;
    }
    expect(chunks).toBe(3);
  });
});

describe('lines', () => {
  it('splits LF and CRLF lines, numbered from 1, across chunk boundaries', async () => {
    expect(await collectLines(chunksOf('ab\r', '\ncd\n\nef\r\n', 'g'))).toEqual([
      [1, 'ab'],
      [2, 'cd'],
      [3, ''],
      [4, 'ef'],
      [5, 'g'],
    ]);
  });

  it('gives the same lines whatever the chunking', async () => {
    const text = 'one\r\ntwo\n\nthree\rstill three\r\nfour';
    const whole = await collectLines(chunksOf(text));
    expect(whole).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, ''],
      [4, 'three\rstill three'],
      [5, 'four'],
    ]);
    for (let cut = 0; cut <= text.length; cut++) {
      expect(await collectLines(chunksOf(text.slice(0, cut), text.slice(cut)))).toEqual(whole);
    }
    expect(await collectLines(chunksOf(...text.split('')))).toEqual(whole);
  });

  it('does not open an empty line after the final terminator', async () => {
    expect(await collectLines(chunksOf('a\n'))).toEqual([[1, 'a']]);
    expect(await collectLines(chunksOf('a\r\n'))).toEqual([[1, 'a']]);
    expect(await collectLines(chunksOf(''))).toEqual([]);
    expect(await collectLines(chunksOf('\n'))).toEqual([[1, '']]);
  });

  it('allows a line of exactly the maximum length, CRLF included', async () => {
    expect(await collectLines(chunksOf('12345\r\nab'), 5)).toEqual([
      [1, '12345'],
      [2, 'ab'],
    ]);
    expect(await collectLines(chunksOf('123', '45\r', '\nab'), 5)).toEqual([
      [1, '12345'],
      [2, 'ab'],
    ]);
  });

  it('refuses a line one character too long, naming file and line', async () => {
    for (const chunks of [chunksOf('ok\n123456\n'), chunksOf('ok\n123', '456'), chunksOf('ok\n', '123456')]) {
      const error = await collectLines(chunks, 5).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FeedError);
      expect((error as FeedError).file).toBe('f.txt');
      expect((error as FeedError).row).toBe(2);
      expect((error as FeedError).reason).toBe('line longer than the 5 characters allowed');
    }
  });

  it('refuses a 10 MB single line from a file with the default limit, without holding it', async () => {
    const path = writeTemp(`first\n${'x'.repeat(10 * MiB)}\nlast\n`);
    let seen = 0;
    const error = await (async () => {
      for await (const line of lines(openFeedText(path), path)) seen = line.number;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).message).toBe(`${path}:2: line longer than the ${MiB} characters allowed`);
    expect(seen).toBe(1);
  });
});

describe('csvRecords', () => {
  const sample = 'a,b,c\r\n"x, y","multi\nline","say ""hi"""\n,,\n\nlast,"",z';
  const expected: CsvRecord[] = [
    { fields: ['a', 'b', 'c'], line: 1 },
    { fields: ['x, y', 'multi\nline', 'say "hi"'], line: 2 },
    { fields: ['', '', ''], line: 4 },
    { fields: [''], line: 5 },
    { fields: ['last', '', 'z'], line: 6 },
  ];

  it('reads quoted separators, newlines and doubled quotes (RFC 4180)', async () => {
    expect(await collectCsv(chunksOf(sample))).toEqual(expected);
  });

  it('gives the same records whatever the chunking', async () => {
    for (let cut = 0; cut <= sample.length; cut++) {
      expect(await collectCsv(chunksOf(sample.slice(0, cut), sample.slice(cut)))).toEqual(expected);
    }
    expect(await collectCsv(chunksOf(...sample.split('')))).toEqual(expected);
  });

  it('keeps CRLF inside quotes, ends records on CRLF after a closing quote', async () => {
    expect(await collectCsv(chunksOf('"a\r\nb"\r\n"c"\r', '\nd'))).toEqual([
      { fields: ['a\r\nb'], line: 1 },
      { fields: ['c'], line: 3 },
      { fields: ['d'], line: 4 },
    ]);
  });

  it('keeps a lone CR and a quote inside an unquoted field as text', async () => {
    expect(await collectCsv(chunksOf('a\rb,c"d\n'))).toEqual([{ fields: ['a\rb', 'c"d'], line: 1 }]);
  });

  it('takes another separator', async () => {
    expect(await collectCsv(chunksOf('CVE-2021-47987;0.001200000;0.021680000\n'), { separator: ';' })).toEqual([
      { fields: ['CVE-2021-47987', '0.001200000', '0.021680000'], line: 1 },
    ]);
  });

  it('refuses text after a closing quote', async () => {
    for (const text of ['ok\n"a"b,c\n', 'ok\n"a"\rb\n', 'ok\n"a" ,b\n']) {
      const error = await collectCsv(chunksOf(text)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FeedError);
      expect((error as FeedError).message).toBe('f.csv:2: malformed CSV: text after a closing quote');
    }
  });

  it('refuses a file ending inside quotes, naming the line where the record starts', async () => {
    const error = await collectCsv(chunksOf('a\n"open\n\nnever closed')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).row).toBe(2);
    expect((error as FeedError).reason).toBe('malformed CSV: the file ends inside a quoted field');
  });

  it('refuses a record longer than the limit', async () => {
    expect(await collectCsv(chunksOf('12345\n'), { maxLength: 5 })).toEqual([{ fields: ['12345'], line: 1 }]);
    const error = await collectCsv(chunksOf('ok\n"12', '34\n56"\n'), { maxLength: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).row).toBe(2);
    expect((error as FeedError).reason).toBe('record longer than the 5 characters allowed');
  });

  it('refuses a record with too many fields', async () => {
    const error = await collectCsv(chunksOf(','.repeat(1000))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).reason).toBe('more than 1000 fields in one record');
    expect((await collectCsv(chunksOf(','.repeat(999))))[0]?.fields).toHaveLength(1000);
  });
});
