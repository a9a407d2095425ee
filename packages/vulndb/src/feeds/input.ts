import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Streaming input shared by the feed readers (KEV, EPSS, …): a plain or gzip-compressed text
 * file read as UTF-8 chunks, split into lines or into CSV records, with limits so that a hostile
 * or broken file stops the read with a FeedError instead of filling memory. Nothing here ever
 * holds the whole file: memory stays at a few chunks (64 KiB each) plus the longest line or record.
 * Everything is linear in the input: lines and fields are found with indexOf and one pass over
 * the characters, never with a regex over the text.
 */

/** A feed file that cannot be read at all or must not be read on (truncated gzip, bomb, not UTF-8, no header…). */
export class FeedError extends Error {
  readonly file: string;
  readonly reason: string;
  /** The 1-based line of a text file where the trouble is (the start of a CSV record), when there is one. */
  readonly row: number | undefined;
  /** The record concerned (a CVE id), when there is one. */
  readonly record: string | undefined;

  constructor(file: string, reason: string, where: { row?: number; record?: string } = {}) {
    const at = where.row === undefined ? '' : `:${where.row}`;
    const about = where.record === undefined ? '' : `${where.record}: `;
    super(`${file}${at}: ${about}${reason}`);
    this.name = 'FeedError';
    this.file = file;
    this.reason = reason;
    this.row = where.row;
    this.record = where.record;
  }
}

/**
 * One skipped row or entry. `row` is the 1-based line of a text file where the row (CSV record)
 * starts, or null (JSON: then `reason` names the array index); `record` is the CVE id when known.
 */
export interface FeedProblem {
  file: string;
  row: number | null;
  record: string | null;
  reason: string;
}

/** At most this many problems are forwarded per file; the rest are counted in one closing problem. */
export const MAX_FEED_PROBLEMS = 200;

/**
 * Forwards problems up to a cap and counts all of them, so a hostile file cannot make the answer
 * huge. Call `finish()` at the end (also on a fatal error) to forward the closing count.
 */
export class FeedProblemGate {
  /** Every problem seen, forwarded or not. */
  count = 0;
  private dropped = 0;

  constructor(
    private readonly file: string,
    private readonly forward: (problem: FeedProblem) => void,
    private readonly max = MAX_FEED_PROBLEMS,
  ) {}

  add(row: number | null, record: string | null, reason: string): void {
    this.count++;
    if (this.count <= this.max) this.forward({ file: this.file, row, record, reason });
    else this.dropped++;
  }

  finish(): void {
    if (this.dropped === 0) return;
    this.forward({ file: this.file, row: null, record: null, reason: `${this.dropped} further problems not shown` });
    this.dropped = 0;
  }
}

/** Decompressed (or, for a plain file, read) bytes beyond this: the read stops (real feeds are a few hundred MB at most). */
export const FEED_MAX_BYTES = 4 * 1024 * 1024 * 1024;
/** Decompressed/compressed ratio above which a gzip file is a bomb (text compresses 5–20×; deflate bottoms out near 1032×). */
export const FEED_MAX_RATIO = 1000;
/** The ratio rule only applies above this decompressed size: a small file of repeated text may compress very well, harmlessly. */
export const FEED_RATIO_FLOOR_BYTES = 16 * 1024 * 1024;
/** A line (or CSV record) longer than this many characters (UTF-16 code units; bytes for ASCII): the read stops. */
export const FEED_MAX_LINE_LENGTH = 1024 * 1024;

export interface FeedLimits {
  maxBytes: number;
  maxRatio: number;
  ratioFloorBytes: number;
  maxLineLength: number;
}

export const DEFAULT_FEED_LIMITS: Readonly<FeedLimits> = Object.freeze({
  maxBytes: FEED_MAX_BYTES,
  maxRatio: FEED_MAX_RATIO,
  ratioFloorBytes: FEED_RATIO_FLOOR_BYTES,
  maxLineLength: FEED_MAX_LINE_LENGTH,
});

const CHUNK_BYTES = 64 * 1024;

export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** True when the bytes start with the gzip magic number 1f 8b. */
export const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/**
 * Yields the text of the file at `path` as UTF-8 chunks, in order, reading on only as the consumer
 * asks. A gzip file (recognised by its magic bytes 1f 8b, whatever its name) is decompressed on the
 * fly, concatenated members included. A leading byte order mark is dropped.
 *
 * Throws FeedError when the file cannot be opened, when it holds more than `maxBytes` bytes
 * (decompressed), when a gzip file decompresses beyond `maxRatio` × the compressed bytes read so
 * far (once past `ratioFloorBytes`: a gzip bomb), when the gzip data is truncated ("truncated
 * gzip") or corrupt, and when the text is not valid UTF-8. Chunks yielded before the error stay
 * valid, so a caller must treat the whole read as failed.
 */
export async function* openFeedText(path: string, limits: Partial<FeedLimits> = {}): AsyncGenerator<string, void, undefined> {
  const lim: FeedLimits = { ...DEFAULT_FEED_LIMITS, ...limits };
  const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const rawChunks = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let gunzip: ReturnType<typeof createGunzip> | null = null;
  let source: Readable | null = null;
  try {
    let first: IteratorResult<Buffer>;
    try {
      first = await rawChunks.next();
    } catch (error) {
      throw new FeedError(path, `cannot read: ${errorMessage(error)}`);
    }
    if (first.done) return;
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let total = 0;
    const decode = (bytes: Buffer): string => {
      const start = total;
      total += bytes.length;
      if (total > lim.maxBytes) throw new FeedError(path, `more than the ${lim.maxBytes} bytes allowed${gunzip ? ' decompressed' : ''}`);
      try {
        return decoder.decode(bytes, { stream: true });
      } catch {
        throw new FeedError(path, `not UTF-8 text (invalid byte sequence in bytes ${start}–${total})`);
      }
    };
    if (!isGzip(first.value)) {
      const text = decode(first.value);
      if (text !== '') yield text;
      for (;;) {
        let next: IteratorResult<Buffer>;
        try {
          next = await rawChunks.next();
        } catch (error) {
          throw new FeedError(path, `cannot read: ${errorMessage(error)}`);
        }
        if (next.done) break;
        const chunk = decode(next.value);
        if (chunk !== '') yield chunk;
      }
    } else {
      let compressed = 0;
      let readFailure: FeedError | null = null;
      async function* counted(): AsyncGenerator<Buffer, void, undefined> {
        compressed += first.value.length;
        yield first.value;
        for (;;) {
          let next: IteratorResult<Buffer>;
          try {
            next = await rawChunks.next();
          } catch (error) {
            readFailure = new FeedError(path, `cannot read: ${errorMessage(error)}`);
            throw readFailure;
          }
          if (next.done) return;
          compressed += next.value.length;
          yield next.value;
        }
      }
      const inflater = createGunzip({ chunkSize: CHUNK_BYTES });
      gunzip = inflater;
      const from = Readable.from(counted(), { objectMode: false });
      source = from;
      from.on('error', (error) => inflater.destroy(error));
      from.pipe(inflater);
      const out = inflater[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      for (;;) {
        let next: IteratorResult<Buffer>;
        try {
          next = await out.next();
        } catch (error) {
          if (readFailure) throw readFailure;
          throw gzipError(path, error);
        }
        if (next.done) break;
        if (total + next.value.length > lim.ratioFloorBytes && total + next.value.length > lim.maxRatio * compressed) {
          throw new FeedError(
            path,
            `decompresses beyond ${lim.maxRatio}× its ${compressed} compressed bytes read so far: gzip bomb, reading stopped`,
          );
        }
        const chunk = decode(next.value);
        if (chunk !== '') yield chunk;
      }
    }
    let rest: string;
    try {
      rest = decoder.decode();
    } catch {
      throw new FeedError(path, 'not UTF-8 text (the file ends inside a multi-byte sequence)');
    }
    if (rest !== '') yield rest;
  } finally {
    source?.destroy();
    gunzip?.destroy();
    raw.destroy();
  }
}

function gzipError(path: string, error: unknown): FeedError {
  const text = errorMessage(error);
  if ((error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' || text.includes('unexpected end of file')) {
    return new FeedError(path, 'truncated gzip');
  }
  return new FeedError(path, `corrupt gzip data: ${text}`);
}

/** One line, without its LF or CRLF terminator; `number` counts from 1. */
export interface FeedLine {
  text: string;
  number: number;
}

/**
 * Splits text chunks into lines ending in LF or CRLF (a lone CR is kept as text). A final line
 * without a terminator is yielded; a final terminator does not open one more empty line. Throws
 * FeedError naming `file` and the line when a line runs past `maxLineLength` characters, as soon
 * as it does (the line is never held in full).
 */
export async function* lines(
  chunks: AsyncIterable<string>,
  file: string,
  maxLineLength: number = FEED_MAX_LINE_LENGTH,
): AsyncGenerator<FeedLine, void, undefined> {
  let parts: string[] = [];
  let pending = 0;
  let number = 1;
  const tooLong = (): FeedError => new FeedError(file, `line longer than the ${maxLineLength} characters allowed`, { row: number });
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf('\n', start);
      if (end < 0) {
        const piece = chunk.length - start;
        // A CR at the very end may be the first half of a CRLF: it is not counted yet.
        if (pending + piece > maxLineLength + (chunk.endsWith('\r') ? 1 : 0)) throw tooLong();
        if (piece > 0) parts.push(start === 0 ? chunk : chunk.slice(start));
        pending += piece;
        break;
      }
      let text = chunk.slice(start, end);
      if (parts.length > 0) {
        parts.push(text);
        text = parts.join('');
        parts = [];
      }
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (text.length > maxLineLength) throw tooLong();
      yield { text, number };
      number++;
      pending = 0;
      start = end + 1;
    }
  }
  if (pending > 0) {
    const text = parts.join('');
    if (text.length > maxLineLength) throw tooLong();
    yield { text, number };
  }
}

/** One CSV record: its fields and the 1-based line where it starts (a quoted field may span lines). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** A CSV record with more fields than this: the read stops. */
export const CSV_MAX_FIELDS = 1000;

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads RFC 4180 CSV records from text chunks: fields separated by `separator` (one character),
 * records by LF or CRLF; a field in double quotes may hold separators, CR and LF, and `""` for
 * one quote. A lone CR outside quotes is kept as text; a quote inside an unquoted field is kept as
 * text (lenient, as most writers produce it). An empty line is yielded as a record of one empty
 * field; a final terminator does not open one more record.
 *
 * One pass over the characters with a small state machine: linear, no regex. Throws FeedError
 * naming `file` and the record's first line when a closing quote is followed by anything but a
 * separator or a line end, when the file ends inside quotes, when a record is longer than
 * `maxLength` characters, or has more than CSV_MAX_FIELDS fields.
 */
export async function* csvRecords(
  chunks: AsyncIterable<string>,
  file: string,
  options: { separator?: string; maxLength?: number } = {},
): AsyncGenerator<CsvRecord, void, undefined> {
  const sep = (options.separator ?? ',').charCodeAt(0);
  const maxLength = options.maxLength ?? FEED_MAX_LINE_LENGTH;
  let fields: string[] = [];
  let field: string[] = []; // pieces of the current field
  let state: 'start' | 'unquoted' | 'quoted' | 'quote-in-quoted' | 'cr-after-quote' = 'start';
  let line = 1; // the current physical line
  let recordLine = 1;
  let length = 0; // characters of the current record
  let pendingCr = false; // an unquoted CR that may start a CRLF
  let any = false; // the current record has seen any character

  const endRecord = (): CsvRecord => {
    const record: CsvRecord = { fields, line: recordLine };
    fields = [];
    state = 'start';
    line++;
    recordLine = line;
    length = 0;
    any = false;
    return record;
  };
  const endField = (): void => {
    fields.push(field.length === 1 ? (field[0] as string) : field.join(''));
    field = [];
    if (fields.length > CSV_MAX_FIELDS) throw new FeedError(file, `more than ${CSV_MAX_FIELDS} fields in one record`, { row: recordLine });
  };

  for await (const chunk of chunks) {
    let i = 0;
    let runStart = 0; // start of a run of plain characters to copy into `field`
    const n = chunk.length;
    const flushRun = (to: number): void => {
      if (to > runStart) field.push(chunk.slice(runStart, to));
    };
    while (i < n) {
      const c = chunk.charCodeAt(i);
      if (pendingCr) {
        pendingCr = false;
        if (c !== LF) field.push('\r');
      }
      length++;
      // A line end that ends the record (outside quotes) is not part of its length.
      if (length > maxLength && ((c !== LF && c !== CR) || state === 'quoted')) {
        throw new FeedError(file, `record longer than the ${maxLength} characters allowed`, { row: recordLine });
      }
      any = true;
      switch (state) {
        case 'start':
        case 'unquoted':
          if (state === 'start' && c === QUOTE) {
            state = 'quoted';
            runStart = i + 1;
          } else if (c === sep) {
            flushRun(i);
            endField();
            state = 'start';
            runStart = i + 1;
          } else if (c === LF) {
            flushRun(i);
            endField();
            runStart = i + 1;
            yield endRecord();
          } else if (c === CR) {
            flushRun(i);
            pendingCr = true;
            state = 'unquoted';
            runStart = i + 1;
          } else {
            if (state === 'start') runStart = i;
            state = 'unquoted';
          }
          break;
        case 'quoted':
          if (c === QUOTE) {
            flushRun(i);
            state = 'quote-in-quoted';
          } else if (c === LF) line++;
          break;
        case 'quote-in-quoted':
          if (c === QUOTE) {
            // "" inside quotes: one quote, and the run goes on from here.
            state = 'quoted';
            runStart = i;
          } else if (c === sep) {
            endField();
            state = 'start';
            runStart = i + 1;
          } else if (c === LF) {
            endField();
            runStart = i + 1;
            yield endRecord();
          } else if (c === CR) {
            state = 'cr-after-quote';
          } else {
            throw new FeedError(file, 'malformed CSV: text after a closing quote', { row: recordLine });
          }
          break;
        case 'cr-after-quote':
          if (c !== LF) throw new FeedError(file, 'malformed CSV: text after a closing quote', { row: recordLine });
          endField();
          yield endRecord();
          runStart = i + 1;
          break;
      }
      i++;
    }
    if (state === 'quoted' || state === 'unquoted' || state === 'start') flushRun(n);
  }
  if (pendingCr) field.push('\r');
  if (state === 'quoted') throw new FeedError(file, 'malformed CSV: the file ends inside a quoted field', { row: recordLine });
  if (any) {
    endField();
    yield { fields, line: recordLine };
  }
}
