import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import yauzl, { type Options, type ZipFile } from 'yauzl';

/**
 * yauzl reads through a RandomAccessReader. Its file reader asks the thread pool for every local
 * header and every entry separately, which for an archive of thousands of small records costs far
 * more than the records themselves. This one reads the file in blocks, synchronously, and serves
 * small reads from the blocks it holds. yauzl alternates between the central directory (at the end
 * of the file) and the entries (from the start), so a few blocks are kept, least recently used
 * dropped first: memory stays at BLOCKS_KEPT blocks (plus an entry larger than a block, read on
 * its own), and each part of the archive is read about once.
 */
const BLOCK_BYTES = 1024 * 1024;
const BLOCKS_KEPT = 4;

class BlockFileReader extends yauzl.RandomAccessReader {
  /** Most recently used last. */
  private readonly blocks: { start: number; bytes: Buffer }[] = [];

  constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {
    super();
  }

  /** Bytes [start, end) of the file; the returned buffer is never overwritten later. */
  slice(start: number, end: number): Buffer {
    for (let i = this.blocks.length - 1; i >= 0; i--) {
      const block = this.blocks[i] as { start: number; bytes: Buffer };
      if (start >= block.start && end <= block.start + block.bytes.length) {
        if (i !== this.blocks.length - 1) this.blocks.push(...this.blocks.splice(i, 1));
        return block.bytes.subarray(start - block.start, end - block.start);
      }
    }
    const length = end - start;
    if (length > BLOCK_BYTES) return this.readAt(start, length);
    const block = { start, bytes: this.readAt(start, Math.min(BLOCK_BYTES, this.size - start)) };
    this.blocks.push(block);
    if (this.blocks.length > BLOCKS_KEPT) this.blocks.shift();
    return block.bytes.subarray(0, length);
  }

  private readAt(position: number, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buffer, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? buffer : buffer.subarray(0, done);
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from([this.slice(start, end)], { objectMode: false });
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    try {
      const bytes = this.slice(position, position + length);
      if (bytes.length < length) throw new Error(`unexpected end of file at ${position + bytes.length}`);
      bytes.copy(buffer, offset);
    } catch (error) {
      process.nextTick(callback, error as Error);
      return;
    }
    process.nextTick(callback, null);
  }

  /**
   * The raw (still compressed) data of an entry, located through its local file header as yauzl
   * would, without yauzl's three streams per entry.
   */
  rawEntryData(localHeaderOffset: number, compressedSize: number): Buffer {
    const header = this.slice(localHeaderOffset, localHeaderOffset + 30);
    if (header.length < 30 || header.readUInt32LE(0) !== 0x04034b50) {
      throw new Error(`no local file header at offset ${localHeaderOffset}`);
    }
    const dataStart = localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const dataEnd = dataStart + compressedSize;
    if (dataEnd > this.size) throw new Error(`entry data runs past the end of the file (${dataEnd} > ${this.size})`);
    return this.slice(dataStart, dataEnd);
  }

  override close(callback: (err: Error | null) => void): void {
    try {
      closeSync(this.fd);
      process.nextTick(callback, null);
    } catch (error) {
      process.nextTick(callback, error as Error);
    }
  }
}

/** Opens `path` with yauzl over the block reader. Errors are yauzl's (not a zip, truncated) or the file system's. */
export interface OpenedZip {
  zip: ZipFile;
  reader: Pick<BlockFileReader, 'rawEntryData'>;
}

export async function openZipFile(path: string, options: Options): Promise<OpenedZip> {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  const reader = new BlockFileReader(fd, size);
  try {
    return { zip: await yauzl.fromRandomAccessReaderPromise(reader, size, options), reader };
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // yauzl may have closed it already.
    }
    throw error;
  }
}
