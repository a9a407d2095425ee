import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { buildZip } from './zip-test-writer.ts';

async function list(bytes: Buffer) {
  const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, validateEntrySizes: false });
  const out: { name: string; method: number; crc: number; compressed: number; uncompressed: number; flags: number; text: string }[] = [];
  for await (const entry of zip.eachEntry()) {
    const stream = await zip.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    out.push({
      name: entry.fileName,
      method: entry.compressionMethod,
      crc: entry.crc32,
      compressed: entry.compressedSize,
      uncompressed: entry.uncompressedSize,
      flags: entry.generalPurposeBitFlag,
      text: Buffer.concat(chunks).toString('utf8'),
    });
  }
  return out;
}

describe('buildZip (test helper)', () => {
  it('writes stored and deflated entries yauzl reads back, with their CRC and sizes', async () => {
    const text = 'hello, world '.repeat(20);
    const bytes = buildZip([
      { name: 'a/stored.json', data: '{"a":1}', method: 'store' },
      { name: 'deflated.yaml', data: text },
    ]);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    const entries = await list(bytes);
    expect(entries.map((e) => [e.name, e.method, e.text])).toEqual([
      ['a/stored.json', 0, '{"a":1}'],
      ['deflated.yaml', 8, text],
    ]);
    expect(entries[0]?.crc).toBe(crc32('{"a":1}'));
    expect(entries[1]?.crc).toBe(crc32(text));
    expect(entries[1]?.uncompressed).toBe(text.length);
    expect(entries[1]?.compressed).toBeLessThan(text.length);
  });

  it('forges header fields', async () => {
    const bytes = buildZip([{ name: 'x.json', data: '{}', declaredUncompressedSize: 123_456, flags: 0x0801 }]);
    const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true });
    const entries = [];
    for await (const entry of zip.eachEntry()) entries.push(entry);
    expect(entries[0]?.uncompressedSize).toBe(123_456);
    expect(entries[0]?.isEncrypted()).toBe(true);
  });

  it('an empty archive is just the end record', () => {
    const bytes = buildZip([]);
    expect(bytes).toHaveLength(22);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PK\x05\x06');
  });
});
