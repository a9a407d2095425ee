import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, createDeflateRaw } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { type AdvisoryProblem, AdvisorySourceError } from './model.ts';
import {
  DEFAULT_ZIP_LIMITS,
  unsafeEntryName,
  ZIP_MAX_ENTRIES,
  ZIP_MAX_ENTRY_BYTES,
  ZIP_MAX_RATIO,
  ZIP_MAX_TOTAL_BYTES,
  ZIP_RATIO_FLOOR_BYTES,
  type ZipLimits,
  type ZipTextEntry,
  zipEntries,
} from './zip.ts';
import { buildZip, type TestZipEntry } from './zip-test-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const writeZip = (bytes: Buffer): string => {
  const path = join(dir, `t${counter++}.zip`);
  writeFileSync(path, bytes);
  return path;
};

async function readAll(path: string, limits?: Partial<ZipLimits>): Promise<{ entries: ZipTextEntry[]; problems: AdvisoryProblem[] }> {
  const entries: ZipTextEntry[] = [];
  const problems: AdvisoryProblem[] = [];
  for await (const entry of zipEntries(path, (p) => problems.push(p), limits)) entries.push(entry);
  return { entries, problems };
}

/** Reads until the error, keeping what came before it. */
async function readUntilError(path: string, limits?: Partial<ZipLimits>): Promise<{ names: string[]; error: unknown }> {
  const names: string[] = [];
  try {
    for await (const entry of zipEntries(path, () => {}, limits)) names.push(entry.name);
  } catch (error) {
    return { names, error };
  }
  return { names, error: null };
}

/** Deflates `size` zero bytes in 1 MiB chunks, never holding the input: the compressed bytes and their CRC. */
async function deflatedZeros(size: number): Promise<{ data: Buffer; crc: number }> {
  const chunk = Buffer.alloc(1024 * 1024);
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  let crc = 0;
  for (let written = 0; written < size; written += chunk.length) {
    const part = size - written >= chunk.length ? chunk : chunk.subarray(0, size - written);
    crc = crc32(part, crc);
    if (!deflate.write(part)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  return { data: Buffer.concat(out), crc };
}

describe('limits', () => {
  it('are the documented constants', () => {
    expect(DEFAULT_ZIP_LIMITS).toEqual({
      maxEntries: ZIP_MAX_ENTRIES,
      maxEntryBytes: ZIP_MAX_ENTRY_BYTES,
      maxTotalBytes: ZIP_MAX_TOTAL_BYTES,
      maxRatio: ZIP_MAX_RATIO,
      ratioFloorBytes: ZIP_RATIO_FLOOR_BYTES,
    });
    expect([ZIP_MAX_ENTRIES, ZIP_MAX_ENTRY_BYTES, ZIP_MAX_TOTAL_BYTES, ZIP_MAX_RATIO, ZIP_RATIO_FLOOR_BYTES]).toEqual([
      2_000_000,
      64 * 1024 * 1024,
      8 * 1024 ** 3,
      100,
      1024 * 1024,
    ]);
  });
});

describe('zipEntries: ordinary archives', () => {
  it('yields .json/.yaml/.yml entries in order, stored or deflated; skips directories and other members silently', async () => {
    const path = writeZip(
      buildZip([
        { name: 'LICENSE', data: 'MIT' },
        { name: 'vulns/', data: '', method: 'store' },
        { name: 'vulns/a/A-1.yaml', data: 'id: A-1\n' },
        { name: 'B-2.json', data: '{"id":"B-2"}', method: 'store' },
        { name: 'README.md', data: '# readme' },
        { name: 'C.YML', data: 'x: 1' },
        { name: 'notes.txt', data: 'hello' },
      ]),
    );
    const { entries, problems } = await readAll(path);
    expect(entries).toEqual([
      { name: 'vulns/a/A-1.yaml', text: 'id: A-1\n' },
      { name: 'B-2.json', text: '{"id":"B-2"}' },
      { name: 'C.YML', text: 'x: 1' },
    ]);
    expect(problems).toEqual([]);
  });

  it('an empty archive yields nothing', async () => {
    expect(await readAll(writeZip(buildZip([])))).toEqual({ entries: [], problems: [] });
  });

  it('the Go vulndb fixture: 2494 GO-*.json entries', async () => {
    const { entries, problems } = await readAll(`${FIXTURES}osv/go-vulndb-osv-GO-2020-to-2025.zip`);
    expect(problems).toEqual([]);
    expect(entries).toHaveLength(2494);
    expect(entries.every((e) => /^GO-\d{4}-\d{4}\.json$/.test(e.name))).toBe(true);
    expect(JSON.parse(entries[0]?.text ?? '').id).toBe(entries[0]?.name.replace('.json', ''));
  });

  it('is lazy: breaking out after the first entry closes the archive without reading on', async () => {
    const path = writeZip(
      buildZip([
        { name: 'a.json', data: '{}' },
        // would be fatal if it were read
        { name: 'b.json', data: 'x', declaredUncompressedSize: 999_999_999 },
      ]),
    );
    const seen: string[] = [];
    for await (const entry of zipEntries(path, () => {})) {
      seen.push(entry.name);
      break;
    }
    expect(seen).toEqual(['a.json']);
  });

  it('an entry that is not UTF-8 is skipped with a problem', async () => {
    const path = writeZip(
      buildZip([
        { name: 'bad.json', data: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
        { name: 'ok.json', data: '[]' },
      ]),
    );
    const { entries, problems } = await readAll(path);
    expect(entries.map((e) => e.name)).toEqual(['ok.json']);
    expect(problems).toEqual([{ origin: `${path}!bad.json`, recordId: null, reason: 'not UTF-8 text, entry skipped' }]);
  });
});

describe('zipEntries: not a zip, truncated, corrupt', () => {
  const good = buildZip([
    { name: 'a.json', data: '{"id":"A"}'.repeat(50) },
    { name: 'b.json', data: '{"id":"B"}'.repeat(50) },
  ]);

  it.each([
    ['the last 10 bytes cut', good.subarray(0, good.length - 10)],
    ['cut in half', good.subarray(0, Math.floor(good.length / 2))],
    ['only the magic', good.subarray(0, 4)],
    ['empty file', Buffer.alloc(0)],
    ['text', Buffer.from('{"id": "not a zip"}')],
  ])('%s: AdvisorySourceError naming the file', async (_, bytes) => {
    const path = writeZip(bytes);
    const { error } = await readUntilError(path);
    expect(error).toBeInstanceOf(AdvisorySourceError);
    expect((error as AdvisorySourceError).file).toBe(path);
    expect((error as AdvisorySourceError).message).toMatch(/not a ZIP archive or truncated: /);
  });

  it('a missing file is an AdvisorySourceError too', async () => {
    const { error } = await readUntilError(join(dir, 'nope.zip'));
    expect(error).toBeInstanceOf(AdvisorySourceError);
    expect((error as Error).message).toMatch(/cannot read/);
  });

  it('a central directory pointing at garbage: AdvisorySourceError naming the entry, entries before it delivered', async () => {
    const bytes = Buffer.from(good);
    // Overwrite the second local header's signature.
    const second = bytes.indexOf(Buffer.from('PK\x03\x04', 'latin1'), 4);
    bytes.write('XXXX', second, 'latin1');
    const { names, error } = await readUntilError(writeZip(bytes));
    expect(names).toEqual(['a.json']);
    expect(error).toBeInstanceOf(AdvisorySourceError);
    expect((error as Error).message).toMatch(/b\.json/);
  });

  it('corrupt deflate data: AdvisorySourceError naming the entry', async () => {
    const bytes = Buffer.from(buildZip([{ name: 'a.json', data: 'abcdefgh'.repeat(100) }]));
    bytes.fill(0xff, 30 + 'a.json'.length, 30 + 'a.json'.length + 8);
    const { error } = await readUntilError(writeZip(bytes));
    expect(error).toBeInstanceOf(AdvisorySourceError);
    expect((error as Error).message).toMatch(/entry a\.json: corrupt data/);
  });
});

describe('zipEntries: hostile names', () => {
  it('unsafeEntryName', () => {
    expect(unsafeEntryName('vulns/a/PYSEC-1.yaml')).toBeNull();
    expect(unsafeEntryName('ALSA-2023:0016.json')).toBeNull();
    expect(unsafeEntryName('a..b.json')).toBeNull();
    expect(unsafeEntryName('../../etc/x.json')).toMatch(/zip-slip/);
    expect(unsafeEntryName('a/../../x.json')).toMatch(/zip-slip/);
    expect(unsafeEntryName('/etc/x.json')).toMatch(/absolute/);
    expect(unsafeEntryName('C:/x.json')).toMatch(/drive letter/);
    expect(unsafeEntryName('c:x.json')).toMatch(/drive letter/);
    expect(unsafeEntryName('a\\..\\x.json')).toMatch(/backslash/);
    expect(unsafeEntryName('a\u0000.json')).toMatch(/NUL/);
    expect(unsafeEntryName('a\u001b.json')).toMatch(/control/);
    expect(unsafeEntryName('')).toMatch(/empty/);
  });

  it('each hostile entry is skipped and reported naming archive and entry; the good ones load', async () => {
    const hostile = [
      '../../etc/x.json',
      '/abs.json',
      'C:/win.json',
      'dir\\..\\..\\bs.json',
      'nul\u0000.json',
      'ok/../../up.json',
      '../LICENSE',
    ];
    const entries: TestZipEntry[] = [
      { name: 'first.json', data: '{}' },
      ...hostile.map((name) => ({ name, data: '{}' })),
      { name: 'last.json', data: '[]' },
    ];
    const path = writeZip(buildZip(entries));
    const result = await readAll(path);
    expect(result.entries.map((e) => e.name)).toEqual(['first.json', 'last.json']);
    expect(result.problems).toHaveLength(hostile.length);
    expect(result.problems.map((p) => p.origin)).toEqual([
      `${path}!../../etc/x.json`,
      `${path}!/abs.json`,
      `${path}!C:/win.json`,
      `${path}!dir\\..\\..\\bs.json`,
      `${path}!nul\\u0000.json`,
      `${path}!ok/../../up.json`,
      `${path}!../LICENSE`,
    ]);
    for (const p of result.problems) expect(p.reason).toMatch(/unsafe entry name skipped .*suspect/);
  });

  it('problems are capped per archive: 200, then one note with the count of the rest', async () => {
    const path = writeZip(buildZip(Array.from({ length: 250 }, (_, i) => ({ name: `../x${i}.json`, data: '{}' }))));
    const { problems } = await readAll(path);
    expect(problems).toHaveLength(201);
    expect(problems[200]).toEqual({ origin: path, recordId: null, reason: '50 further problems not shown' });
  });

  it('an encrypted entry is skipped with a problem', async () => {
    const path = writeZip(
      buildZip([
        { name: 'secret.json', data: '{}', flags: 0x0801 },
        { name: 'open.json', data: '{}' },
      ]),
    );
    const result = await readAll(path);
    expect(result.entries.map((e) => e.name)).toEqual(['open.json']);
    expect(result.problems).toEqual([{ origin: `${path}!secret.json`, recordId: null, reason: 'encrypted entry skipped' }]);
  });

  it('an unknown compression method is skipped with a problem', async () => {
    const path = writeZip(buildZip([{ name: 'lzma.json', data: '{}', method: 'store', methodCode: 14 }]));
    const result = await readAll(path);
    expect(result.entries).toEqual([]);
    expect(result.problems[0]?.reason).toMatch(/unsupported compression method 14/);
  });
});

describe('zipEntries: bombs and caps', () => {
  it('declared ratio above 100 (honest header, 200 MB of zeros): refused before inflating, earlier entries delivered', async () => {
    const size = 200 * 1024 * 1024;
    const { data, crc } = await deflatedZeros(size);
    expect(data.length).toBeLessThan(size / 100);
    const path = writeZip(
      buildZip([
        { name: 'before.json', data: '{}' },
        { name: 'bomb.json', rawData: data, crc, uncompressedSize: size },
        { name: 'after.json', data: '{}' },
      ]),
    );
    const { names, error } = await readUntilError(path);
    expect(names).toEqual(['before.json']);
    expect(error).toBeInstanceOf(AdvisorySourceError);
    expect((error as AdvisorySourceError).file).toBe(path);
    expect((error as Error).message).toMatch(/entry bomb\.json declares 209715200 bytes from \d+ compressed \(ratio above 100\): zip bomb/);
  });

  it('real bomb behind a lying header (declares 150 KB): reading stops early, memory stays bounded', async () => {
    const size = 300 * 1024 * 1024;
    const { data, crc } = await deflatedZeros(size);
    const path = writeZip(
      buildZip([
        { name: 'bomb.json', rawData: data, crc, uncompressedSize: size, declaredUncompressedSize: 150_000 },
        { name: 'after.json', data: '{}' },
      ]),
    );
    const before = process.memoryUsage().rss;
    const { names, error } = await readUntilError(path);
    const grown = process.memoryUsage().rss - before;
    expect(names).toEqual([]);
    expect(error).toBeInstanceOf(AdvisorySourceError);
    expect((error as Error).message).toMatch(/entry bomb\.json: (inflates beyond its declared 150000 bytes|corrupt data: too many bytes)/);
    // Inflating it all would take 300 MB (twice that to concatenate); generous bound.
    expect(grown).toBeLessThan(100 * 1024 * 1024);
  });

  it('real inflation is counted while streaming: the total cap stops a bomb whose sizes pass the declared checks', async () => {
    const size = 200 * 1024 * 1024;
    const { data, crc } = await deflatedZeros(size);
    const path = writeZip(buildZip([{ name: 'big.json', rawData: data, crc, uncompressedSize: size }]));
    const before = process.memoryUsage().rss;
    const { error } = await readUntilError(path, { maxRatio: 1e9, maxEntryBytes: 1e12, maxTotalBytes: 20 * 1024 * 1024 });
    const grown = process.memoryUsage().rss - before;
    expect(error).toBeInstanceOf(AdvisorySourceError);
    expect((error as Error).message).toMatch(/entry big\.json: the archive inflates beyond the total allowed/);
    expect(grown).toBeLessThan(150 * 1024 * 1024);
  });

  it('the per-entry cap: declared above it, or inflating above it', async () => {
    const text = JSON.stringify({ id: 'X', details: 'y'.repeat(5000) });
    const declared = writeZip(buildZip([{ name: 'big.json', data: text }]));
    expect((await readUntilError(declared, { maxEntryBytes: 1000 })).error).toMatchObject({
      message: expect.stringMatching(/entry big\.json declares \d+ bytes, more than the 1000 allowed per entry/),
    });
    const streamed = await readUntilError(declared, { maxEntryBytes: 1e12, maxTotalBytes: 1000 });
    expect((streamed.error as Error).message).toMatch(/entry big\.json: the archive inflates beyond the total allowed/);
  });

  it('the ratio rule spares small entries (below the floor) and applies above a lowered floor', async () => {
    const text = ' '.repeat(500_000);
    const path = writeZip(buildZip([{ name: 'spaces.json', data: text }]));
    expect((await readAll(path)).entries[0]?.text.length).toBe(500_000);
    const { error } = await readUntilError(path, { ratioFloorBytes: 1000 });
    expect((error as Error).message).toMatch(/spaces\.json declares 500000 bytes .* zip bomb/);
  });

  it('the total cap over several entries: the first is delivered, the second stops the archive', async () => {
    const path = writeZip(
      buildZip([
        { name: 'a.json', data: 'a'.repeat(1000) },
        { name: 'b.json', data: 'b'.repeat(1000) },
      ]),
    );
    const { names, error } = await readUntilError(path, { maxTotalBytes: 1500 });
    expect(names).toEqual(['a.json']);
    expect((error as Error).message).toMatch(/b\.json: the archive inflates beyond the total allowed/);
  });

  it('too many entries: refused before anything is read', async () => {
    const path = writeZip(buildZip([1, 2, 3].map((n) => ({ name: `${n}.json`, data: '{}' }))));
    const { names, error } = await readUntilError(path, { maxEntries: 2 });
    expect(names).toEqual([]);
    expect((error as Error).message).toBe(`${path}: 3 entries, more than the 2 allowed`);
    expect((await readAll(path, { maxEntries: 3 })).entries).toHaveLength(3);
  });

  it('a stored entry whose header sizes disagree: AdvisorySourceError', async () => {
    const path = writeZip(buildZip([{ name: 'a.json', data: '{}', method: 'store', declaredUncompressedSize: 10 }]));
    const { error } = await readUntilError(path);
    expect(error).toBeInstanceOf(AdvisorySourceError);
  });
});
