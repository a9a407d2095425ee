import { inflateRawSync } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { type AdvisoryProblem, AdvisorySourceError, ProblemGate } from './model.ts';
import { type OpenedZip, openZipFile } from './zip-file-reader.ts';

/**
 * Reads the advisory documents out of a ZIP archive (osv.dev's `all.zip`, a repository export)
 * one entry at a time: the central directory is read lazily, one entry is inflated, handed to the
 * caller and dropped before the next is read, so memory stays flat however large the archive.
 * Nothing is ever written to disk.
 *
 * yauzl reads the central directory (options as its README documents them, yauzl 3.4):
 * - `lazyEntries: true`: an entry is read only when asked for (`readEntry()`), never ahead;
 * - `autoClose: true`: the file is closed at the end; we also `close()` on every early exit;
 * - `decodeStrings: false`: with it on, yauzl validates each file name itself and turns a bad one
 *   into an error of the whole archive; we want to skip and report that one entry, so names are
 *   decoded here with `getFileNameLowLevel` (CP437/UTF-8 and the Info-ZIP Unicode path field, as
 *   yauzl would) and checked by `unsafeEntryName`.
 * Entry data is read through zip-file-reader.ts (blocks, no stream per entry) and inflated here
 * in one call capped at the limits below, so the declared sizes are checked before inflating and
 * the real size can never run past them.
 */

/** More entries than this in the central directory: refused before anything is read (osv.dev's largest all.zip holds a few hundred thousand). */
export const ZIP_MAX_ENTRIES = 2_000_000;
/** One entry inflating to more than this: the archive is refused (the largest real OSV records are a few MB). */
export const ZIP_MAX_ENTRY_BYTES = 64 * 1024 * 1024;
/** All entries read inflating to more than this together: the archive is refused (osv.dev's whole all.zip inflates to a few GB). */
export const ZIP_MAX_TOTAL_BYTES = 8 * 1024 * 1024 * 1024;
/** Inflated/compressed ratio above which an entry is a zip bomb (JSON compresses 5–20×; a deflate bomb reaches ~1000×). */
export const ZIP_MAX_RATIO = 100;
/** The ratio rule only applies above this inflated size: a small entry of repeated text may compress very well, harmlessly. */
export const ZIP_RATIO_FLOOR_BYTES = 1024 * 1024;

export interface ZipLimits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
  maxRatio: number;
  ratioFloorBytes: number;
}

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxEntries: ZIP_MAX_ENTRIES,
  maxEntryBytes: ZIP_MAX_ENTRY_BYTES,
  maxTotalBytes: ZIP_MAX_TOTAL_BYTES,
  maxRatio: ZIP_MAX_RATIO,
  ratioFloorBytes: ZIP_RATIO_FLOOR_BYTES,
});

/** One advisory document out of an archive: the entry's path inside it and its UTF-8 text. */
export interface ZipTextEntry {
  name: string;
  text: string;
}

/** Names of advisory documents, by extension. */
export const ADVISORY_EXTENSIONS: readonly string[] = ['.json', '.yaml', '.yml'];

export const isAdvisoryFileName = (name: string): boolean => {
  const lower = name.toLowerCase();
  return ADVISORY_EXTENSIONS.some((ext) => lower.endsWith(ext));
};

/** `archive.zip!entry/path.json`, the origin of everything read from an entry. */
export const entryOrigin = (archive: string, name: string): string => `${archive}!${printable(name)}`;

// C0 controls and DEL: never in a sane file name; escaped when a hostile name is shown.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we look for
const CONTROL = /[\u0000-\u001f\u007f]/;

const printable = (name: string): string => (CONTROL.test(name) ? JSON.stringify(name).slice(1, -1) : name);

/**
 * Why an entry name is unsafe (zip-slip and friends), or null. We never extract, but an archive
 * carrying such names was not made by an advisory database export: each one is reported.
 */
export function unsafeEntryName(name: string): string | null {
  if (name === '') return 'empty file name';
  if (name.includes('\u0000')) return 'NUL character in the file name';
  if (CONTROL.test(name)) return 'control character in the file name';
  if (name.includes('\\')) return 'backslash in the file name';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[a-zA-Z]:/.test(name)) return 'drive letter (absolute path)';
  if (name.split('/').includes('..')) return '".." path segment (zip-slip)';
  return null;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Yields each `.json`/`.yaml`/`.yml` entry of the archive at `path` as text, in central-directory
 * order, one at a time (the next entry is read only when the consumer asks for it). Directories
 * and other members (LICENSE, README) are passed over silently. Skipped with a problem: an unsafe
 * name, an encrypted entry, an unsupported compression method, text that is not UTF-8 (at most
 * MAX_PROBLEMS_PER_DOCUMENT of them per archive, then one note with the count of the rest).
 *
 * Throws AdvisorySourceError (and stops reading the archive) when the file is not a ZIP archive
 * or is truncated or corrupt, when it has more than `maxEntries` entries, and on any zip-bomb
 * sign: a declared ratio above `maxRatio` (for entries declared above `ratioFloorBytes`), an entry
 * inflating beyond its declared size, beyond `maxRatio` × its compressed size (above the floor)
 * or beyond `maxEntryBytes`, or all entries together beyond `maxTotalBytes`.
 */
export async function* zipEntries(
  path: string,
  onProblem: (problem: AdvisoryProblem) => void,
  limits: Partial<ZipLimits> = {},
): AsyncGenerator<ZipTextEntry, void, undefined> {
  const lim: ZipLimits = { ...DEFAULT_ZIP_LIMITS, ...limits };
  let zip: ZipFile;
  let reader: OpenedZip['reader'];
  try {
    ({ zip, reader } = await openZipFile(path, {
      lazyEntries: true,
      autoClose: true,
      decodeStrings: false,
      validateEntrySizes: true,
      strictFileNames: true,
    }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code) throw new AdvisorySourceError(path, `cannot read: ${message(error)}`);
    throw new AdvisorySourceError(path, `not a ZIP archive or truncated: ${message(error)}`);
  }
  const entries = new EntryCursor(zip, path);
  const problems = new ProblemGate(onProblem, path);
  try {
    if (zip.entryCount > lim.maxEntries) {
      throw new AdvisorySourceError(path, `${zip.entryCount} entries, more than the ${lim.maxEntries} allowed`);
    }
    let total = 0;
    for (;;) {
      const entry = await entries.next();
      if (!entry) return;
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      const origin = entryOrigin(path, name);
      const unsafe = unsafeEntryName(name);
      if (unsafe) {
        problems.add({ origin, recordId: null, reason: `unsafe entry name skipped (${unsafe}); this archive is suspect` });
        continue;
      }
      if (name.endsWith('/') || !isAdvisoryFileName(name)) continue;
      if (entry.isEncrypted()) {
        problems.add({ origin, recordId: null, reason: 'encrypted entry skipped' });
        continue;
      }
      if (!entry.canDecodeFileData()) {
        problems.add({ origin, recordId: null, reason: `unsupported compression method ${entry.compressionMethod}, entry skipped` });
        continue;
      }
      checkDeclaredSizes(entry, path, name, lim);
      const bytes = readEntry(reader, entry, path, name, lim, lim.maxTotalBytes - total);
      total += bytes.length;
      let text: string;
      try {
        text = utf8.decode(bytes);
      } catch {
        problems.add({ origin, recordId: null, reason: 'not UTF-8 text, entry skipped' });
        continue;
      }
      yield { name, text };
    }
  } finally {
    problems.finish();
    zip.close();
  }
}

function checkDeclaredSizes(entry: Entry, archive: string, name: string, lim: ZipLimits): void {
  const declared = entry.uncompressedSize;
  const compressed = entry.compressedSize;
  if (declared > lim.ratioFloorBytes && declared > lim.maxRatio * compressed) {
    throw new AdvisorySourceError(
      archive,
      `entry ${name} declares ${declared} bytes from ${compressed} compressed (ratio above ${lim.maxRatio}): zip bomb, archive refused`,
    );
  }
  if (declared > lim.maxEntryBytes) {
    throw new AdvisorySourceError(
      archive,
      `entry ${name} declares ${declared} bytes, more than the ${lim.maxEntryBytes} allowed per entry`,
    );
  }
}

/**
 * Reads one entry's raw bytes and inflates them in one synchronous call whose output is capped at
 * the first limit that applies (declared size, ratio, per-entry and archive totals): a bomb stops
 * at the cap, never allocating what it claims. One call per entry is also what makes thousands of
 * small records fast; per-chunk streaming through the thread pool cost more than the parsing.
 */
function readEntry(reader: OpenedZip['reader'], entry: Entry, archive: string, name: string, lim: ZipLimits, totalLeft: number): Buffer {
  let raw: Buffer;
  try {
    raw = reader.rawEntryData(entry.relativeOffsetOfLocalHeader, entry.compressedSize);
  } catch (error) {
    throw new AdvisorySourceError(archive, `corrupt ZIP archive at entry ${name}: ${message(error)}`);
  }
  const declared = entry.uncompressedSize;
  const ratioCap = Math.max(lim.ratioFloorBytes, lim.maxRatio * entry.compressedSize);
  const cap = Math.min(declared, ratioCap, lim.maxEntryBytes, totalLeft);
  let bytes: Buffer | null = raw;
  if (entry.compressionMethod !== 0) {
    try {
      // One byte over the cap tells "exactly at the cap" from "beyond it".
      bytes = inflateRawSync(raw, { maxOutputLength: cap + 1 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') {
        throw new AdvisorySourceError(archive, `entry ${name}: corrupt data: ${message(error)}`);
      }
      bytes = null;
    }
  }
  const size = bytes === null ? cap + 1 : bytes.length;
  if (size > declared)
    throw new AdvisorySourceError(
      archive,
      `entry ${name}: inflates beyond its declared ${declared} bytes: zip bomb or corrupt archive, reading stopped`,
    );
  if (size > ratioCap) {
    throw new AdvisorySourceError(
      archive,
      `entry ${name}: inflates beyond ${lim.maxRatio}× its ${entry.compressedSize} compressed bytes: zip bomb, reading stopped`,
    );
  }
  if (size > lim.maxEntryBytes)
    throw new AdvisorySourceError(
      archive,
      `entry ${name}: inflates beyond the ${lim.maxEntryBytes} bytes allowed per entry, reading stopped`,
    );
  if (size > totalLeft)
    throw new AdvisorySourceError(archive, `entry ${name}: the archive inflates beyond the total allowed, reading stopped`);
  if (bytes === null || size < declared) {
    throw new AdvisorySourceError(archive, `entry ${name}: inflates to ${size} bytes, not the ${declared} declared: corrupt archive`);
  }
  return bytes;
}

/**
 * `readEntry()` as a promise, with one error listener for the zipfile's whole life: an error that
 * arrives while nobody waits is kept and thrown by the next `next()`, never left unhandled.
 */
class EntryCursor {
  private waiting: { resolve: (entry: Entry | null) => void; reject: (error: Error) => void } | null = null;
  private failed: Error | null = null;
  private ended = false;

  constructor(
    private readonly zip: ZipFile,
    archive: string,
  ) {
    zip.on('entry', (entry: Entry) => this.settle((w) => w.resolve(entry)));
    zip.on('end', () => {
      this.ended = true;
      this.settle((w) => w.resolve(null));
    });
    zip.on('error', (error: Error) => {
      this.failed ??= new AdvisorySourceError(archive, `corrupt ZIP archive: ${error.message}`);
      const failed = this.failed;
      this.settle((w) => w.reject(failed));
    });
  }

  private settle(action: (w: NonNullable<EntryCursor['waiting']>) => void): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) action(waiting);
  }

  next(): Promise<Entry | null> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.zip.readEntry();
    });
  }
}
