import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Test-only: a small ZIP writer that can also lie. Each entry is stored or deflated, and any
 * header field can be forged (declared sizes, CRC, flags, method, the raw name bytes), so tests can
 * build zip-slip names, encrypted flags, zip bombs with honest or lying headers, and truncated
 * archives (slice the returned buffer). Not used by the product.
 */
export interface TestZipEntry {
  name: string | Buffer;
  /** The entry content; ignored when `rawData` is given. */
  data?: string | Buffer;
  method?: 'store' | 'deflate';
  /** Already-compressed bytes (e.g. a deflate bomb built in chunks); with `crc` and `uncompressedSize`. */
  rawData?: Buffer;
  crc?: number;
  uncompressedSize?: number;
  /** Forged header values. */
  declaredUncompressedSize?: number;
  declaredCompressedSize?: number;
  flags?: number;
  methodCode?: number;
}

interface Prepared {
  nameBytes: Buffer;
  payload: Buffer;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  flags: number;
  methodCode: number;
  offset: number;
}

const DOS_TIME = 0;
// 2026-01-01
const DOS_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1;

export function buildZip(entries: TestZipEntry[], options: { entryCountOverride?: number } = {}): Buffer {
  const parts: Buffer[] = [];
  const prepared: Prepared[] = [];
  let offset = 0;
  for (const e of entries) {
    const nameBytes = typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : e.name;
    let payload: Buffer;
    let crc: number;
    let size: number;
    let methodCode: number;
    if (e.rawData) {
      payload = e.rawData;
      crc = e.crc ?? 0;
      size = e.uncompressedSize ?? 0;
      methodCode = e.methodCode ?? 8;
    } else {
      const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : (e.data ?? Buffer.alloc(0));
      crc = crc32(data);
      size = data.length;
      const deflate = (e.method ?? 'deflate') === 'deflate';
      payload = deflate ? deflateRawSync(data) : data;
      methodCode = e.methodCode ?? (deflate ? 8 : 0);
    }
    const p: Prepared = {
      nameBytes,
      payload,
      crc,
      compressedSize: e.declaredCompressedSize ?? payload.length,
      uncompressedSize: e.declaredUncompressedSize ?? size,
      // bit 11: the name is UTF-8
      flags: e.flags ?? 0x0800,
      methodCode,
      offset,
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(p.flags, 6);
    local.writeUInt16LE(p.methodCode, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(p.crc >>> 0, 14);
    local.writeUInt32LE(p.compressedSize, 18);
    local.writeUInt32LE(p.uncompressedSize, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    parts.push(local, nameBytes, payload);
    offset += local.length + nameBytes.length + payload.length;
    prepared.push(p);
  }
  const cdStart = offset;
  for (const p of prepared) {
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(p.flags, 8);
    central.writeUInt16LE(p.methodCode, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(p.crc >>> 0, 16);
    central.writeUInt32LE(p.compressedSize, 20);
    central.writeUInt32LE(p.uncompressedSize, 24);
    central.writeUInt16LE(p.nameBytes.length, 28);
    // extra length, comment length, disk, internal attributes, external attributes: 0
    central.writeUInt32LE(p.offset, 42);
    parts.push(central, p.nameBytes);
    offset += central.length + p.nameBytes.length;
  }
  const eocd = Buffer.alloc(22);
  const count = options.entryCountOverride ?? prepared.length;
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(count, 8);
  eocd.writeUInt16LE(count, 10);
  eocd.writeUInt32LE(offset - cdStart, 12);
  eocd.writeUInt32LE(cdStart, 16);
  parts.push(eocd);
  return Buffer.concat(parts);
}
