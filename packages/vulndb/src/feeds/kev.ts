import { z } from 'zod';
import {
  csvRecords,
  errorMessage,
  FEED_MAX_BYTES,
  FeedError,
  type FeedLimits,
  type FeedProblem,
  FeedProblemGate,
  openFeedText,
} from './input.ts';

/**
 * CISA's Known Exploited Vulnerabilities catalog, in either of the forms CISA publishes
 * (https://www.cisa.gov/known-exploited-vulnerabilities-catalog), plain or gzip-compressed:
 * - `known_exploited_vulnerabilities.json`: `{title, catalogVersion, dateReleased, count,
 *   vulnerabilities: [...]}` as `known_exploited_vulnerabilities_schema.json` describes it;
 * - `known_exploited_vulnerabilities.csv`: a header row with the entry field names, then one
 *   RFC 4180 record per entry (quoted fields may hold commas and newlines); `cwes` is one field,
 *   `CWE-59, CWE-436`. The CSV carries no catalog version nor release date: both are null.
 * The form is told by the content (a JSON document starts with `{`), not by the file name.
 *
 * The catalog is small (about 1,400 entries, ~1 MB), so entries are returned in an array; the
 * text is refused beyond KEV_MAX_BYTES (decompressed) before anything is held, and JSON.parse
 * only ever sees text below that size.
 *
 * Rules:
 * - an entry that fails validation (CVE id `CVE-YYYY-NNNN…`, `dateAdded`/`dueDate` real
 *   YYYY-MM-DD dates, `knownRansomwareCampaignUse` `Known`/`Unknown`, the required text fields)
 *   is reported as a problem naming the file, the row (CSV line) or index (JSON) and the CVE, and
 *   skipped; the others are read on;
 * - a CWE that is not `CWE-<digits>` is dropped from its entry with a problem; the entry is kept
 *   (KEV membership matters more than the CWE list);
 * - a missing `knownRansomwareCampaignUse` (catalogs before October 2022; an empty CSV field)
 *   reads as `Unknown`, which is what CISA's "Unknown" means: no confirmation of ransomware use;
 *   missing `notes` read as `''` and missing `cwes` as `[]`;
 * - the same cveID twice in one file is a FeedError naming both positions: CISA lists each CVE
 *   once, so a catalog with duplicates is corrupt (or spliced), and neither copy can be trusted
 *   over the other;
 * - a JSON `count` that differs from the number of entries is reported as a problem, not fatal;
 * - JSON that is not an object with `catalogVersion`, `dateReleased`, `count` and a
 *   `vulnerabilities` array, and a CSV header without the required columns, are FeedErrors.
 */

export interface KevEntry {
  cveID: string;
  vendorProject: string;
  product: string;
  vulnerabilityName: string;
  /** YYYY-MM-DD */
  dateAdded: string;
  shortDescription: string;
  requiredAction: string;
  /** YYYY-MM-DD */
  dueDate: string;
  knownRansomwareCampaignUse: 'Known' | 'Unknown';
  notes: string;
  cwes: string[];
}

export interface KevCatalog {
  format: 'json' | 'csv';
  /** `2025.08.25`; null for the CSV form, which does not carry it. */
  catalogVersion: string | null;
  /** As given (`2025-08-25T17:04:19.9796Z`); null for the CSV form. */
  dateReleased: string | null;
  /** The JSON `count` field; null for the CSV form. */
  count: number | null;
  entries: KevEntry[];
  /** Entries that could not be read and are missing from `entries`. */
  skipped: number;
  /** Problems reported (entries skipped, CWEs dropped, a count mismatch). */
  problems: number;
}

/** A KEV catalog larger than this (decompressed) is refused before parsing; the real one is ~1.3 MB. */
export const KEV_MAX_BYTES = 64 * 1024 * 1024;

export interface KevLimits extends FeedLimits {
  /** Refuse catalogs larger than this many bytes (decompressed). */
  maxCatalogBytes: number;
}

const CVE_ID = /^CVE-\d{4}-\d{4,19}$/;
const CWE_ID = /^CWE-\d{1,10}$/;

const CatalogShape = z.object({
  catalogVersion: z.string(),
  dateReleased: z.string(),
  count: z.number().int().nonnegative(),
  vulnerabilities: z.array(z.unknown()),
});

const EntryShape = z.object({
  cveID: z.string().regex(CVE_ID, 'not a CVE id (CVE-YYYY-NNNN)'),
  vendorProject: z.string(),
  product: z.string(),
  vulnerabilityName: z.string(),
  dateAdded: z.iso.date('not a YYYY-MM-DD date'),
  shortDescription: z.string(),
  requiredAction: z.string(),
  dueDate: z.iso.date('not a YYYY-MM-DD date'),
  knownRansomwareCampaignUse: z.enum(['Known', 'Unknown'], 'neither "Known" nor "Unknown"').default('Unknown'),
  notes: z.string().default(''),
  cwes: z.array(z.string()).default([]),
});

/** The columns a CSV header must have (the fields the schema requires). */
const REQUIRED_COLUMNS = [
  'cveID',
  'vendorProject',
  'product',
  'vulnerabilityName',
  'dateAdded',
  'shortDescription',
  'requiredAction',
  'dueDate',
] as const;

const excerpt = (text: string, max = 60): string => JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
    .join('; ');
}

/**
 * Reads the KEV catalog at `path` (JSON or CSV, plain or .gz). Skipped entries are reported
 * through `onProblem` (at most MAX_FEED_PROBLEMS, then one count). Throws FeedError for a file
 * that is not a KEV catalog at all, holds duplicate CVEs, is larger than `maxCatalogBytes`, or
 * fails to read (truncated gzip, not UTF-8…).
 */
export async function readKev(
  path: string,
  onProblem: (problem: FeedProblem) => void = () => {},
  limits: Partial<KevLimits> = {},
): Promise<KevCatalog> {
  const maxBytes = Math.min(limits.maxBytes ?? FEED_MAX_BYTES, limits.maxCatalogBytes ?? KEV_MAX_BYTES);
  const text = openFeedText(path, { ...limits, maxBytes });
  const problems = new FeedProblemGate(path, onProblem);
  try {
    // Look at the first non-blank character to tell JSON from CSV (the BOM is already gone).
    const head: string[] = [];
    let first = '';
    // Not `for await … break`: that would close the generator.
    while (first === '') {
      const next = await text.next();
      if (next.done) break;
      head.push(next.value);
      first = next.value.trimStart().charAt(0);
    }
    if (first === '') throw new FeedError(path, 'empty file: not a KEV catalog');
    async function* all(): AsyncGenerator<string, void, undefined> {
      yield* head;
      yield* text;
    }
    const catalog = first === '{' || first === '[' ? await readJson(path, all(), problems) : await readCsv(path, all(), problems, limits);
    catalog.problems = problems.count;
    return catalog;
  } finally {
    problems.finish();
  }
}

async function readJson(path: string, chunks: AsyncIterable<string>, problems: FeedProblemGate): Promise<KevCatalog> {
  const parts: string[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  let document: unknown;
  try {
    document = JSON.parse(parts.join(''));
  } catch (error) {
    throw new FeedError(path, `not JSON: ${errorMessage(error)}`);
  }
  parts.length = 0;
  const shape = CatalogShape.safeParse(document);
  if (!shape.success) throw new FeedError(path, `not a KEV catalog (${describeIssues(shape.error)})`);
  const { catalogVersion, dateReleased, count, vulnerabilities } = shape.data;
  const entries: KevEntry[] = [];
  const seen = new Map<string, number>();
  for (const [index, raw] of vulnerabilities.entries()) {
    const at = `vulnerabilities[${index}]`;
    const id = cveOf(raw);
    if (id !== null) {
      const before = seen.get(id);
      if (before !== undefined) {
        throw new FeedError(path, `duplicate cveID at vulnerabilities[${before}] and ${at}: the catalog is corrupt`, { record: id });
      }
      seen.set(id, index);
    }
    const entry = validate(raw, problems, null, at, id);
    if (entry) entries.push(entry);
  }
  if (count !== vulnerabilities.length) {
    problems.add(null, null, `count says ${count} but the catalog holds ${vulnerabilities.length} vulnerabilities`);
  }
  const skipped = vulnerabilities.length - entries.length;
  return { format: 'json', catalogVersion, dateReleased, count, entries, skipped, problems: 0 };
}

async function readCsv(
  path: string,
  chunks: AsyncIterable<string>,
  problems: FeedProblemGate,
  limits: Partial<KevLimits>,
): Promise<KevCatalog> {
  const entries: KevEntry[] = [];
  const seen = new Map<string, number>();
  let skipped = 0;
  let columns: Map<string, number> | null = null;
  let width = 0;
  const options = limits.maxLineLength === undefined ? {} : { maxLength: limits.maxLineLength };
  for await (const { fields, line } of csvRecords(chunks, path, options)) {
    if (columns === null) {
      columns = readHeader(path, fields, line);
      width = fields.length;
      continue;
    }
    if (fields.length === 1 && fields[0] === '') continue; // a blank line
    const cell = (name: string): string | undefined => {
      const index = columns?.get(name);
      return index === undefined ? undefined : fields[index];
    };
    const cveText = cell('cveID') ?? '';
    const id = CVE_ID.test(cveText) ? cveText : null;
    if (fields.length !== width) {
      problems.add(line, id, `expected ${width} fields as in the header, found ${fields.length}; entry skipped`);
      skipped++;
      continue;
    }
    if (id !== null) {
      const before = seen.get(id);
      if (before !== undefined) {
        throw new FeedError(path, `duplicate cveID on lines ${before} and ${line}: the catalog is corrupt`, { row: line, record: id });
      }
      seen.set(id, line);
    }
    const raw: Record<string, unknown> = {};
    for (const name of REQUIRED_COLUMNS) raw[name] = cell(name);
    const ransomware = cell('knownRansomwareCampaignUse');
    if (ransomware) raw.knownRansomwareCampaignUse = ransomware;
    const notes = cell('notes');
    if (notes !== undefined) raw.notes = notes;
    const cwes = cell('cwes');
    if (cwes !== undefined) raw.cwes = splitCwes(cwes);
    const entry = validate(raw, problems, line, `line ${line}`, id);
    if (entry) entries.push(entry);
    else skipped++;
  }
  if (columns === null) throw new FeedError(path, 'empty file: not a KEV catalog');
  return { format: 'csv', catalogVersion: null, dateReleased: null, count: null, entries, skipped, problems: 0 };
}

function readHeader(path: string, fields: string[], line: number): Map<string, number> {
  const columns = new Map<string, number>();
  for (const [index, name] of fields.entries()) {
    const key = name.trim();
    if (columns.has(key)) throw new FeedError(path, `column ${excerpt(key)} twice in the header`, { row: line });
    columns.set(key, index);
  }
  const missing = REQUIRED_COLUMNS.filter((name) => !columns.has(name));
  if (missing.length > 0) {
    throw new FeedError(path, `not a KEV catalog: the header lacks ${missing.join(', ')} (found ${excerpt(fields.join(','))})`, {
      row: line,
    });
  }
  return columns;
}

/** `CWE-59, CWE-436` → ['CWE-59', 'CWE-436']; an empty field → []. */
function splitCwes(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(',')) {
    const cwe = part.trim();
    if (cwe !== '') out.push(cwe);
  }
  return out;
}

function cveOf(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const id = (raw as { cveID?: unknown }).cveID;
  return typeof id === 'string' && CVE_ID.test(id) ? id : null;
}

function validate(raw: unknown, problems: FeedProblemGate, row: number | null, at: string, id: string | null): KevEntry | null {
  const parsed = EntryShape.safeParse(raw);
  if (!parsed.success) {
    problems.add(row, id, `${at}: invalid entry skipped (${describeIssues(parsed.error)})`);
    return null;
  }
  const entry = parsed.data;
  const bad = entry.cwes.filter((cwe) => !CWE_ID.test(cwe));
  if (bad.length > 0) {
    problems.add(row, entry.cveID, `${at}: CWE ${bad.map((cwe) => excerpt(cwe)).join(', ')} not of the form CWE-<digits>, dropped`);
    entry.cwes = entry.cwes.filter((cwe) => CWE_ID.test(cwe));
  }
  return entry;
}
