import type { Stats } from 'node:fs';
import { lstat, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type AdvisoryProblem, AdvisorySourceError } from './model.ts';
import { type AdvisorySink, type DocumentCounts, type PackageFilter, readAdvisoryDocument } from './osv-json.ts';
import { type DocumentFilter, documentFilterFor } from './relevance.ts';
import { entryOrigin, isAdvisoryFileName, type ZipLimits, zipEntries } from './zip.ts';

/**
 * A loose advisory file larger than this is skipped with a problem. Larger than one zip entry may
 * be: the Debian tracker's JSON is one document of tens of MB, and grows every year.
 */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

export interface ReadAdvisoriesOptions {
  zipLimits?: Partial<ZipLimits>;
  maxFileBytes?: number;
  /** Only documents that may concern these ecosystems are parsed (see relevance.ts); all when absent. */
  ecosystems?: Iterable<string>;
  /** Only these source packages of distribution feeds (the Debian tracker) are converted; all when absent. */
  wantPackage?: PackageFilter;
  /**
   * Awaited after each document: a consumer writing records somewhere slower than they are read
   * (a database) holds reading here, so what waits in memory stays one document's worth.
   */
  afterDocument?: () => Promise<void>;
}

/** What of the input a scan needs: documents (by ecosystem) and distribution-feed packages. */
interface Selection {
  filter: DocumentFilter | undefined;
  wantPackage: PackageFilter | undefined;
  afterDocument: (() => Promise<void>) | undefined;
}

export interface ReadAdvisoriesResult {
  /** Records handed to the sink. */
  records: number;
  /** Problems handed to the sink. */
  problems: number;
  /** Documents (files and zip entries) read. */
  documents: number;
  /** Documents passed over unparsed because they cannot concern the ecosystems asked for. */
  skipped: number;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `PK\x03\x04` (a local file header) or `PK\x05\x06` (the end record of an empty archive). */
export function isZipMagic(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 0x03 && head[3] === 0x04) || (head[2] === 0x05 && head[3] === 0x06));
}

/**
 * Reads every advisory under `path` into the sink, one document at a time:
 * - a ZIP archive (an OSV `all.zip`), recognised by its first bytes whatever its name: its
 *   `.json`/`.yaml`/`.yml` entries, origins `archive.zip!entry/path.json`;
 * - a directory, walked recursively in sorted (code unit) order: its `.json`/`.yaml`/`.yml`
 *   files; symbolic links are not followed (neither to files nor to directories) and archives
 *   inside a directory are not opened;
 * - any other file: one document.
 * Each document may be an OSV record, a list of them, an osv.dev answer, OSV as YAML, a Debian
 * tracker JSON or an Alpine secdb (see readAdvisoryDocument). A bad record, a file that does not
 * parse, an unsafe or encrypted zip entry: a problem, and reading goes on. A source that cannot be
 * trusted (missing path, truncated or corrupt archive, zip bomb, too many entries) throws
 * AdvisorySourceError, after the records read before it were delivered; the caller exits 2.
 */
export async function readAdvisories(path: string, sink: AdvisorySink, options: ReadAdvisoriesOptions = {}): Promise<ReadAdvisoriesResult> {
  const result: ReadAdvisoriesResult = { records: 0, problems: 0, documents: 0, skipped: 0 };
  const select: Selection = {
    filter: options.ecosystems ? documentFilterFor(options.ecosystems) : undefined,
    wantPackage: options.wantPackage,
    afterDocument: options.afterDocument,
  };
  const counting: AdvisorySink = {
    record(rec, origin) {
      result.records++;
      sink.record(rec, origin);
    },
    problem(p: AdvisoryProblem) {
      result.problems++;
      sink.problem(p);
    },
  };
  const maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    throw new AdvisorySourceError(path, `cannot read: ${message(error)}`);
  }
  if (info.isDirectory()) {
    await readDirectory(path, counting, result, maxFileBytes, select);
  } else if (await startsLikeZip(path)) {
    for await (const entry of zipEntries(path, counting.problem, options.zipLimits)) {
      result.documents++;
      if (
        readAdvisoryDocument(entry.text, entryOrigin(path, entry.name), entry.name, counting, select.filter, select.wantPackage).skipped
      ) {
        result.skipped++;
      }
      if (select.afterDocument) await select.afterDocument();
    }
  } else {
    await readNamedFile(path, info.size, counting, result, maxFileBytes, select);
  }
  return result;
}

async function startsLikeZip(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const head = new Uint8Array(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && isZipMagic(head);
  } catch (error) {
    throw new AdvisorySourceError(path, `cannot read: ${message(error)}`);
  } finally {
    await handle?.close();
  }
}

async function readDirectory(
  dir: string,
  sink: AdvisorySink,
  result: ReadAdvisoriesResult,
  maxFileBytes: number,
  select: Selection,
): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    sink.problem({ origin: dir, recordId: null, reason: `cannot read the directory: ${message(error)}` });
    return;
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const path = join(dir, name);
    let info: Stats;
    try {
      info = await lstat(path);
    } catch (error) {
      sink.problem({ origin: path, recordId: null, reason: `cannot read: ${message(error)}` });
      continue;
    }
    if (info.isSymbolicLink()) continue;
    if (info.isDirectory()) await readDirectory(path, sink, result, maxFileBytes, select);
    else if (info.isFile() && isAdvisoryFileName(name)) await readLooseFile(path, info.size, sink, result, maxFileBytes, select);
  }
}

/**
 * A file named as an advisory source on its own: if the file as a whole cannot be read (too large,
 * not UTF-8, not JSON or YAML, not a format we know), the source is unusable and that is an
 * AdvisorySourceError, not a skipped item: a scan against it would otherwise report "clean".
 */
async function readNamedFile(
  path: string,
  size: number,
  sink: AdvisorySink,
  result: ReadAdvisoriesResult,
  maxFileBytes: number,
  select: Selection,
): Promise<void> {
  let last: AdvisoryProblem | null = null;
  const watching: AdvisorySink = {
    record: sink.record,
    problem(p) {
      last = p;
      sink.problem(p);
    },
  };
  const counts = await readLooseFile(path, size, watching, result, maxFileBytes, select);
  if (counts === null || (counts.kind === null && !counts.skipped)) {
    throw new AdvisorySourceError(path, (last as AdvisoryProblem | null)?.reason ?? 'not an advisory document');
  }
}

async function readLooseFile(
  path: string,
  size: number,
  sink: AdvisorySink,
  result: ReadAdvisoriesResult,
  maxFileBytes: number,
  select: Selection,
): Promise<DocumentCounts | null> {
  if (size > maxFileBytes) {
    sink.problem({
      origin: path,
      recordId: null,
      reason: `${size} bytes, more than the ${maxFileBytes} allowed for one advisory file; skipped`,
    });
    return null;
  }
  let text: string;
  try {
    const bytes = await readFile(path);
    // The size checked above may have grown since.
    if (bytes.length > maxFileBytes) {
      sink.problem({ origin: path, recordId: null, reason: `more than the ${maxFileBytes} bytes allowed for one advisory file; skipped` });
      return null;
    }
    text = utf8.decode(bytes);
  } catch (error) {
    const reason = error instanceof TypeError ? 'not UTF-8 text' : `cannot read: ${message(error)}`;
    sink.problem({ origin: path, recordId: null, reason });
    return null;
  }
  result.documents++;
  const counts = readAdvisoryDocument(text, path, path, sink, select.filter, select.wantPackage);
  if (counts.skipped) result.skipped++;
  if (select.afterDocument) await select.afterDocument();
  return counts;
}
