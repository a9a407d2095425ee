import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { AdvisorySourceError, isPlainObject, quote } from '../advisories/model.ts';
import { type CvssVersion, cvssBaseScore } from '../match/cvss.ts';
import { JsonArrayMemberSplitter, type SplitEvents } from './nvd-split.ts';

export { cvssBaseScore };

/**
 * NVD CVE API 2.0 documents: pages of `/rest/json/cves/2.0` (`{resultsPerPage, startIndex,
 * totalResults, format: "NVD_CVE", version: "2.0", timestamp, vulnerabilities: [{cve}]}`), a
 * single-CVE answer (same shape) or a larger export of the same shape, plain or gzip (recognised
 * by its first bytes, whatever the name).
 *
 * Memory stays flat: the file is streamed (through gunzip when compressed), decoded as UTF-8, and
 * the `vulnerabilities` array is split into its elements as the text goes by (nvd-split.ts); one
 * CVE is parsed at a time and handed to the caller. What is held at once: one read chunk and one
 * element's text (at most `maxElementChars`). Bounds: the decompressed (or plain) size is capped at
 * `maxBytes`, and gzip data inflating more than `maxRatio` times its compressed size (above
 * `ratioFloorBytes`) is a gzip bomb and stops the read.
 *
 * `format` and `version` must come before `vulnerabilities` (NVD writes them first, and so does
 * any key-sorting serializer), so a document of another kind is refused before any CVE of it is
 * delivered.
 */

export type NvdCvssVersion = CvssVersion;

export interface NvdCvss {
  version: NvdCvssVersion;
  vector: string;
  /** Who scored it: `nvd@nist.gov`, a CNA's address or UUID. */
  source: string;
  type: 'Primary' | 'Secondary';
  /** `cvssData.baseScore` as written. */
  statedScore: number | null;
  /** `cvssData.baseSeverity` (3.x, 4.0), or the metric's `baseSeverity` (2.0), as written. */
  statedSeverity: string | null;
  /**
   * The base score computed from the vector with ae-cvss-calculator (for 4.0: the score of the
   * vector as written, CVSS-B or, with threat/environmental metrics, CVSS-BT/BE/BTE); null when
   * the vector is not a valid vector of its version (then `problem` says why).
   */
  score: number | null;
  /** Why `score` is null, or how it disagrees with `statedScore`. */
  problem?: string;
}

export interface NvdCve {
  id: string;
  published: string;
  lastModified: string;
  vulnStatus: string | null;
  /** The first English description; null when there is none. */
  description: string | null;
  /** In document order: cvssMetricV40, V31, V30, V2, each as listed. */
  cvss: NvdCvss[];
  /** `CWE-<n>` ids of all weaknesses (any source), deduplicated; NVD-CWE-Other / NVD-CWE-noinfo are dropped. */
  cwes: string[];
  /** `configurations` exactly as given (for CPE matching); null when absent. */
  configurations: unknown;
  /** Reference URLs, in order. */
  references: string[];
}

export interface NvdProblem {
  file: string;
  /** The CVE id, when known. */
  record: string | null;
  reason: string;
}

export interface NvdReadResult {
  /** CVEs handed to `onCve`. */
  cves: number;
  /** Problems found (at most `maxProblems` of them, plus one closing count, reach `onProblem`). */
  problems: number;
  /** The document's `totalResults`; null when absent or not a count. */
  totalResults: number | null;
}

export interface NvdLimits {
  /** Decompressed (or plain) bytes read at most. */
  maxBytes: number;
  /** Decompressed/compressed ratio above which gzip data is a bomb (JSON compresses 5–20×; deflate tops out near 1032×). */
  maxRatio: number;
  /** The ratio rule applies only once this many bytes were decompressed. */
  ratioFloorBytes: number;
  /** One `vulnerabilities` element longer than this (UTF-16 code units) is skipped with a problem. */
  maxElementChars: number;
  /** At most this many problems are forwarded; the rest are counted in one closing problem. */
  maxProblems: number;
}

/**
 * Four GiB: the whole NVD (some 300,000 CVEs at 2–10 KB each in API 2.0 form) comes near two,
 * and memory does not grow with the size, so the cap only bounds the work.
 */
export const NVD_MAX_BYTES = 4 * 1024 * 1024 * 1024;

export const DEFAULT_NVD_LIMITS: Readonly<NvdLimits> = Object.freeze({
  maxBytes: NVD_MAX_BYTES,
  maxRatio: 1000,
  ratioFloorBytes: 1024 * 1024,
  maxElementChars: 32 * 1024 * 1024,
  maxProblems: 200,
});

export interface ReadNvdOptions {
  /**
   * Awaited after each chunk of input: a consumer that writes CVEs somewhere slower than they are
   * read (a database) holds reading here, so what waits in memory stays one chunk's worth.
   */
  drain?: () => Promise<void>;
}

/** A file that is not a readable NVD CVE API 2.0 document (wrong shape, truncated, a bomb): the whole read stops. */
export class NvdError extends AdvisorySourceError {
  constructor(file: string, reason: string) {
    super(file, reason);
    this.name = 'NvdError';
  }
}

/**
 * Reads one NVD CVE API 2.0 document at `path`, handing each CVE to `onCve` in document order. A
 * `vulnerabilities` element that cannot be used (not an object, no CVE id, not valid JSON, too
 * large) is a problem and is skipped; an unusable part of a CVE (a bad CVSS vector, a malformed
 * metric) is a problem and the CVE is still delivered. A document of the wrong shape, a truncated
 * or corrupt gzip stream, a gzip bomb or a file over the caps throws NvdError naming the file,
 * after the CVEs before the fault were delivered. Errors thrown by the callbacks propagate as they are.
 */
export async function readNvd(
  path: string,
  onCve: (cve: NvdCve) => void,
  onProblem?: (problem: NvdProblem) => void,
  limits: Partial<NvdLimits> & ReadNvdOptions = {},
): Promise<NvdReadResult> {
  const lim: NvdLimits = { ...DEFAULT_NVD_LIMITS, ...limits };
  const { size, gzip } = await inspect(path);
  if (!gzip && size > lim.maxBytes) throw new NvdError(path, `${size} bytes, more than the ${lim.maxBytes} allowed`);

  const problems = new Problems(path, onProblem, lim.maxProblems);
  const document = new NvdDocument(path, onCve, problems, lim.maxElementChars);
  const splitter = new JsonArrayMemberSplitter('vulnerabilities', document, {
    maxMemberChars: 64 * 1024,
    maxElementChars: lim.maxElementChars,
  });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let total = 0;

  const feed = (bytes: Uint8Array | undefined): void => {
    let text: string;
    try {
      text = bytes ? decoder.decode(bytes, { stream: true }) : decoder.decode();
    } catch {
      throw new NvdError(path, `not UTF-8 text (binary data?) within its first ${total} bytes: not an NVD CVE API 2.0 document`);
    }
    try {
      splitter.push(text);
      if (!bytes) splitter.end();
    } catch (error) {
      if (error instanceof SyntaxError) throw new NvdError(path, `not a valid JSON document: ${error.message}`);
      throw error;
    }
  };

  // An error of this reader or of a callback, kept as it is: the pipeline may report its own
  // abort instead of the error that caused it.
  let stop: { error: unknown } | null = null;
  const guarded = (step: () => void): void => {
    try {
      step();
    } catch (error) {
      stop = { error };
      throw error;
    }
  };
  const consume = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) {
      guarded(() => {
        total += chunk.length;
        if (total > lim.maxBytes) {
          throw new NvdError(path, `${gzip ? 'decompresses to' : 'holds'} more than ${lim.maxBytes} bytes: refused, reading stopped`);
        }
        if (gzip && total > lim.ratioFloorBytes && total > lim.maxRatio * size) {
          throw new NvdError(path, `gzip data inflates beyond ${lim.maxRatio}× its ${size} compressed bytes: gzip bomb, reading stopped`);
        }
        feed(chunk);
      });
      if (limits.drain) await limits.drain();
    }
    guarded(() => {
      feed(undefined);
      document.finish();
    });
  };

  try {
    if (gzip) await pipeline(createReadStream(path), createGunzip(), consume);
    else await pipeline(createReadStream(path), consume);
  } catch (error) {
    if (stop !== null) throw (stop as { error: unknown }).error;
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new NvdError(path, `truncated or corrupt gzip data (${message(error)}): reading stopped`);
    }
    throw new NvdError(path, `cannot read: ${message(error)}`);
  } finally {
    problems.finish();
  }
  return { cves: document.cves, problems: problems.count, totalResults: document.totalResults };
}

/**
 * The CVSS entry to rate a CVE by: NVD's Primary assessment of the newest version (4.0 > 3.1 >
 * 3.0 > 2.0); when there is no Primary entry at all, a Secondary one (CNA) of the newest version.
 * Among equals, the first listed. A Primary 3.1 thus wins over a Secondary 4.0.
 */
export function preferredCvss(cve: Pick<NvdCve, 'cvss'>): NvdCvss | null {
  const newest = (type: NvdCvss['type']): NvdCvss | null => {
    let best: NvdCvss | null = null;
    for (const entry of cve.cvss) {
      if (entry.type !== type) continue;
      if (best === null || VERSION_RANK[entry.version] > VERSION_RANK[best.version]) best = entry;
    }
    return best;
  };
  return newest('Primary') ?? newest('Secondary');
}

const VERSION_RANK: Record<NvdCvssVersion, number> = { '2.0': 0, '3.0': 1, '3.1': 2, '4.0': 3 };

// ---------------------------------------------------------------------------------------------
// One CVE

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;

const langStringSchema = z.looseObject({ lang: z.string().max(64), value: z.string() });

const cveCoreSchema = z.looseObject({
  id: z.string().regex(CVE_ID),
  published: z.string().min(1).max(64),
  lastModified: z.string().min(1).max(64),
  vulnStatus: z.string().max(256).optional(),
});

const metricSchema = z.looseObject({
  source: z.string().max(1024),
  type: z.enum(['Primary', 'Secondary']),
  cvssData: z.looseObject({
    version: z.string().max(16).optional(),
    vectorString: z.string().max(4096),
    baseScore: z.number().optional(),
    baseSeverity: z.string().max(64).optional(),
  }),
  baseSeverity: z.string().max(64).optional(),
});

const METRIC_KEYS: readonly (readonly [string, NvdCvssVersion])[] = [
  ['cvssMetricV40', '4.0'],
  ['cvssMetricV31', '3.1'],
  ['cvssMetricV30', '3.0'],
  ['cvssMetricV2', '2.0'],
];

const weaknessSchema = z.looseObject({ description: z.array(langStringSchema) });
const referenceSchema = z.looseObject({ url: z.string() });

const firstIssue = (error: z.ZodError): string => {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
};

/**
 * One `vulnerabilities` element as an NvdCve, or null (after a problem) when it cannot be one:
 * not an object, no `cve` object with a CVE id, or without `published`/`lastModified`.
 */
function toCve(element: unknown, index: number, problems: Problems): NvdCve | null {
  const where = `vulnerabilities[${index}]`;
  if (!isPlainObject(element)) return problems.skip(null, `${where} is not an object: skipped`);
  const cve = element.cve;
  if (!isPlainObject(cve)) return problems.skip(null, `${where} has no "cve" object: skipped`);
  if (typeof cve.id !== 'string' || !CVE_ID.test(cve.id)) {
    const id = typeof cve.id === 'string' ? ` (${quote(cve.id, 40)} is not CVE-YYYY-NNNN…)` : '';
    return problems.skip(null, `${where} has no CVE id${id}: skipped`);
  }
  const core = cveCoreSchema.safeParse(cve);
  if (!core.success) return problems.skip(cve.id, `${where} does not follow the NVD schema at ${firstIssue(core.error)}: skipped`);
  const id = core.data.id;

  let description: string | null = null;
  if (cve.descriptions !== undefined) {
    const parsed = z.array(langStringSchema).safeParse(cve.descriptions);
    if (parsed.success) description = parsed.data.find((d) => d.lang === 'en')?.value ?? null;
    else problems.add(id, `descriptions ignored, not a list of {lang, value}: ${firstIssue(parsed.error)}`);
  }

  const cwes = new Set<string>();
  if (cve.weaknesses !== undefined) {
    if (!Array.isArray(cve.weaknesses)) problems.add(id, 'weaknesses ignored: not a list');
    else {
      for (const [i, raw] of cve.weaknesses.entries()) {
        const weakness = weaknessSchema.safeParse(raw);
        if (!weakness.success) {
          problems.add(id, `weaknesses[${i}] ignored: ${firstIssue(weakness.error)}`);
          continue;
        }
        for (const d of weakness.data.description) if (/^CWE-\d+$/.test(d.value)) cwes.add(d.value);
      }
    }
  }

  const references: string[] = [];
  if (cve.references !== undefined) {
    if (!Array.isArray(cve.references)) problems.add(id, 'references ignored: not a list');
    else {
      for (const [i, raw] of cve.references.entries()) {
        const reference = referenceSchema.safeParse(raw);
        if (reference.success) references.push(reference.data.url);
        else problems.add(id, `references[${i}] ignored: ${firstIssue(reference.error)}`);
      }
    }
  }

  return {
    id,
    published: core.data.published,
    lastModified: core.data.lastModified,
    vulnStatus: core.data.vulnStatus ?? null,
    description,
    cvss: cvssOf(id, cve.metrics, problems),
    cwes: [...cwes],
    configurations: cve.configurations ?? null,
    references,
  };
}

function cvssOf(id: string, metrics: unknown, problems: Problems): NvdCvss[] {
  if (metrics === undefined) return [];
  if (!isPlainObject(metrics)) {
    problems.add(id, 'metrics ignored: not an object');
    return [];
  }
  const out: NvdCvss[] = [];
  for (const [key, version] of METRIC_KEYS) {
    const list = metrics[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problems.add(id, `metrics.${key} ignored: not a list`);
      continue;
    }
    for (const [i, raw] of list.entries()) {
      const where = `metrics.${key}[${i}]`;
      const parsed = metricSchema.safeParse(raw);
      if (!parsed.success) {
        problems.add(id, `${where} ignored: ${firstIssue(parsed.error)}`);
        continue;
      }
      const { source, type, cvssData } = parsed.data;
      const vector = cvssData.vectorString;
      const entry: NvdCvss = {
        version,
        vector,
        source,
        type,
        statedScore: cvssData.baseScore ?? null,
        statedSeverity: cvssData.baseSeverity ?? parsed.data.baseSeverity ?? null,
        score: null,
      };
      const computed =
        cvssData.version !== undefined && cvssData.version !== version
          ? { problem: `cvssData.version is ${quote(cvssData.version, 16)}, not ${version}` }
          : cvssBaseScore(vector, version);
      if ('score' in computed) {
        entry.score = computed.score;
        if (entry.statedScore !== null && entry.statedScore !== computed.score) {
          entry.problem = `stated base score ${entry.statedScore} differs from ${computed.score} computed from the vector`;
        }
      } else {
        entry.problem = `CVSS ${version} vector ${quote(vector, 120)} does not parse: ${computed.problem}; the stated score is kept`;
      }
      if (entry.problem) problems.add(id, `${where} (${source}): ${entry.problem}`);
      out.push(entry);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The document

/** Counts every problem; forwards at most `max` of them and then one closing count. */
class Problems {
  count = 0;
  private forwarded = 0;
  private dropped = 0;

  constructor(
    private readonly file: string,
    private readonly sink: ((problem: NvdProblem) => void) | undefined,
    private readonly max: number,
  ) {}

  add(record: string | null, reason: string): void {
    this.count++;
    if (!this.sink) return;
    if (this.forwarded >= this.max) {
      this.dropped++;
      return;
    }
    this.forwarded++;
    this.sink({ file: this.file, record, reason });
  }

  skip(record: string | null, reason: string): null {
    this.add(record, reason);
    return null;
  }

  finish(): void {
    if (this.dropped === 0) return;
    const dropped = this.dropped;
    this.dropped = 0;
    this.sink?.({ file: this.file, record: null, reason: `${dropped} further problems not shown` });
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function inspect(path: string): Promise<{ size: number; gzip: boolean }> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const info = await handle.stat();
    if (!info.isFile()) throw new NvdError(path, 'not a regular file');
    const head = new Uint8Array(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    if (bytesRead === 0) throw new NvdError(path, 'empty file: not an NVD CVE API 2.0 document');
    return { size: info.size, gzip: bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b };
  } catch (error) {
    if (error instanceof NvdError) throw error;
    throw new NvdError(path, `cannot read: ${message(error)}`);
  } finally {
    await handle?.close();
  }
}

const NOT_NVD = 'not an NVD CVE API 2.0 document';

/** The header checks and the elements of one document, as the splitter finds them. */
class NvdDocument implements SplitEvents {
  cves = 0;
  totalResults: number | null = null;
  private format: unknown = undefined;
  private version: unknown = undefined;
  private sawArray = false;

  constructor(
    private readonly file: string,
    private readonly onCve: (cve: NvdCve) => void,
    private readonly problems: Problems,
    private readonly maxElementChars: number,
  ) {}

  member(key: string, text: string | null): void {
    if (key === 'vulnerabilities') throw new NvdError(this.file, `"vulnerabilities" is not an array: ${NOT_NVD}`);
    if (key !== 'format' && key !== 'version' && key !== 'totalResults') return;
    let value: unknown = null;
    try {
      value = text === null ? null : JSON.parse(text);
    } catch {
      // A malformed header value is reported as a wrong value below (totalResults: none).
    }
    if (key === 'format') {
      this.format = value;
      if (value !== 'NVD_CVE') throw new NvdError(this.file, `format is ${show(value)}, not "NVD_CVE": ${NOT_NVD}`);
    } else if (key === 'version') {
      this.version = value;
      if (value !== '2.0') throw new NvdError(this.file, `version is ${show(value)}, not "2.0": ${NOT_NVD}`);
    } else {
      this.totalResults = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
    }
  }

  arrayStart(): void {
    if (this.sawArray) throw new NvdError(this.file, `"vulnerabilities" given twice: ${NOT_NVD}`);
    this.sawArray = true;
    if (this.format === undefined || this.version === undefined) {
      throw new NvdError(this.file, `no "format" and "version" before "vulnerabilities": ${NOT_NVD}`);
    }
  }

  element(index: number, text: string | null, chars: number): void {
    if (text === null) {
      this.problems.add(null, `vulnerabilities[${index}]: ${chars} characters, more than the ${this.maxElementChars} allowed: skipped`);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.problems.add(null, `vulnerabilities[${index}] is not valid JSON (${message(error)}): skipped`);
      return;
    }
    const cve = toCve(value, index, this.problems);
    if (cve === null) return;
    this.cves++;
    this.onCve(cve);
  }

  finish(): void {
    if (this.format === undefined) throw new NvdError(this.file, `no "format": ${NOT_NVD}`);
    if (this.version === undefined) throw new NvdError(this.file, `no "version": ${NOT_NVD}`);
    if (!this.sawArray) throw new NvdError(this.file, `no "vulnerabilities" array: ${NOT_NVD}`);
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? quote(value, 40) : (JSON.stringify(value) ?? String(value)).slice(0, 40);
}
