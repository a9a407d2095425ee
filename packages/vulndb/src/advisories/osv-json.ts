import { type DocumentOptions, type ParseOptions, parse as parseYaml, type SchemaOptions, type ToJSOptions } from 'yaml';
import { type OsvRecord, OsvRecordError, parseOsvRecord } from '../osv/model.ts';
import { alpineSecdbToOsv } from './alpine-secdb.ts';
import { debianTrackerEntriesToOsv } from './debian-tracker.ts';
import { jsonMembers } from './json-members.ts';
import { type AdvisoryProblem, isPlainObject, ProblemGate } from './model.ts';
import type { DocumentFilter } from './relevance.ts';
import { isWordfenceDocument, isWpsecadvDocument, wordfenceToOsv, wpsecadvToOsv } from './wordpress-feeds.ts';

/** Where the records of a document go, one at a time. */
export interface AdvisorySink {
  record(rec: OsvRecord, origin: string): void;
  problem(p: AdvisoryProblem): void;
}

/** What a document turned out to be, read from its content (never from its name alone). */
export type DocumentKind = 'osv-record' | 'osv-list' | 'osv-api' | 'debian-tracker' | 'alpine-secdb' | 'wpsecadv' | 'wordfence';

/**
 * Nesting deeper than this (brackets in JSON) is refused before parsing: real advisories nest
 * 6–8 levels, and recursive code further on (YAML composition, validation) must not meet 100 000.
 */
export const MAX_NESTING = 256;
/** YAML aliases allowed per document (the `yaml` package's guard against billion-laughs expansion). */
export const MAX_YAML_ALIASES = 100;

/**
 * YAML as plain data: the YAML 1.2 core schema (null/bool/number/string; a date stays a string),
 * every mapping key kept as the string written (`1.10:` stays "1.10"; non-scalar keys are an
 * error), no custom tags and no YAML 1.1 extras (`!!binary`, `!!timestamp`… stay plain strings),
 * no `<<` merge keys, duplicate keys an error, aliases bounded, warnings not printed. Nesting is
 * bounded before parsing, as for JSON (flow brackets counted; block nesting is bounded by the size
 * cap, its indentation growing quadratically).
 */
export const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions & ToJSOptions = {
  schema: 'core',
  stringKeys: true,
  resolveKnownTags: false,
  customTags: [],
  merge: false,
  uniqueKeys: true,
  maxAliasCount: MAX_YAML_ALIASES,
  // 'error': errors throw, warnings (an unresolved tag) are not printed. 'silent' would drop errors too.
  logLevel: 'error',
};

// C0 controls other than TAB, LF, CR, and DEL: never in JSON or YAML text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we look for
const BINARY = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * True when `[`/`{` nest deeper than `max` outside double-quoted strings; linear, no parse. On
 * YAML it over-counts at worst (an unclosed `[` in a plain scalar), never by hundreds in real data.
 */
export function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** The syntax of a document: by extension, else by its first character. */
function syntaxOf(text: string, name: string): 'json' | 'yaml' {
  const lower = name.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  const first = text.trimStart()[0];
  return first === '{' || first === '[' ? 'json' : 'yaml';
}

/** Parses JSON or YAML text; a problem (returned as a string) rather than a throw. */
export function parseDocumentText(text: string, name: string): { value: unknown } | { error: string } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const binary = BINARY.exec(body);
  if (binary) {
    const code = binary[0].charCodeAt(0).toString(16).padStart(2, '0');
    return { error: `binary data (control character U+00${code} at offset ${binary.index}), not an advisory document` };
  }
  if (body.trim() === '') return { error: 'empty file' };
  const syntax = syntaxOf(body, name);
  if (nestingExceeds(body, MAX_NESTING))
    return { error: `${syntax === 'json' ? 'JSON' : 'YAML'} nested deeper than ${MAX_NESTING} levels` };
  try {
    return { value: syntax === 'json' ? JSON.parse(body) : parseYaml(body, YAML_OPTIONS) };
  } catch (error) {
    // RangeError: a YAML document nested deep enough to exhaust the stack.
    const reason = error instanceof RangeError ? 'nested too deeply' : message(error).split('\n')[0];
    return { error: `invalid ${syntax === 'json' ? 'JSON' : 'YAML'}: ${reason}` };
  }
}

/** What the parsed value is. Null when it is none of the formats read here. */
export function detectKind(value: unknown): DocumentKind | null {
  if (isWpsecadvDocument(value)) return 'wpsecadv';
  if (Array.isArray(value)) return 'osv-list';
  if (isWordfenceDocument(value)) return 'wordfence';
  if (!isPlainObject(value)) return null;
  if (typeof value.id === 'string') return 'osv-record';
  if (Array.isArray(value.vulns)) return 'osv-api';
  // osv.dev answers `{}` to a query with no vulnerabilities.
  if (Object.keys(value).length === 0) return 'osv-api';
  if ('distroversion' in value && 'packages' in value) return 'alpine-secdb';
  if (looksLikeDebianTracker(value)) return 'debian-tracker';
  return null;
}

/** source package → id → { releases | description | scope }: the first entry that is an object decides. */
function looksLikeDebianTracker(value: Record<string, unknown>): boolean {
  for (const byId of Object.values(value)) {
    if (!isPlainObject(byId)) continue;
    for (const entry of Object.values(byId)) {
      if (isPlainObject(entry)) return 'releases' in entry || ('description' in entry && 'scope' in entry);
    }
  }
  return false;
}

/** Validates one candidate record; the sink gets the record or a problem naming origin and id. */
function emitRecord(value: unknown, origin: string, sink: AdvisorySink): void {
  let record: OsvRecord;
  try {
    record = parseOsvRecord(value, origin);
  } catch (error) {
    if (!(error instanceof OsvRecordError)) throw error;
    sink.problem({ origin, recordId: error.recordId, reason: error.reason });
    return;
  }
  // Outside the try: an error thrown by the sink itself is the caller's, never a record problem.
  sink.record(record, origin);
}

export interface DocumentCounts {
  kind: DocumentKind | null;
  records: number;
  problems: number;
  /** Passed over unparsed by the filter: it cannot concern the ecosystems asked for. */
  skipped?: boolean;
}

/**
 * Reads one document (a file, or a zip entry) into the sink: a single OSV record, a JSON array of
 * records, an osv.dev API answer `{"vulns": […]}`, OSV as YAML, a Debian security tracker JSON or
 * an Alpine secdb document (YAML or JSON). A record that breaks the OSV schema is a problem naming
 * `origin` and its id, and the others load; text that does not parse is one problem. At most
 * MAX_PROBLEMS_PER_DOCUMENT problems reach the sink per document, then one note counting the rest;
 * the returned `problems` counts what reached the sink.
 */
export function readAdvisoryDocument(
  text: string,
  origin: string,
  name: string,
  sink: AdvisorySink,
  filter?: DocumentFilter,
  wantPackage?: PackageFilter,
): DocumentCounts {
  const counts: DocumentCounts = { kind: null, records: 0, problems: 0 };
  if (filter && !filter(text)) {
    counts.skipped = true;
    return counts;
  }
  const broken: AdvisoryProblem[] = [];
  const tracker = trackerMembers(text, wantPackage, (key, reason) =>
    broken.push({
      origin,
      recordId: null,
      reason: `source package ${JSON.stringify(key.slice(0, 80))}: invalid JSON (${reason}), skipped`,
    }),
  );
  if (tracker) {
    counts.kind = 'debian-tracker';
    const converted = debianTrackerEntriesToOsv(tracker, origin);
    converted.problems.unshift(...broken.slice(0, 50));
    for (const rec of converted.records) {
      counts.records++;
      sink.record(rec, origin);
    }
    for (const p of converted.problems) {
      counts.problems++;
      sink.problem(p);
    }
    return counts;
  }
  const direct = (p: AdvisoryProblem) => {
    counts.problems++;
    sink.problem(p);
  };
  const gate = new ProblemGate(direct, origin);
  const problem = (p: AdvisoryProblem) => gate.add(p);
  const counting: AdvisorySink = {
    record(rec, o) {
      counts.records++;
      sink.record(rec, o);
    },
    problem,
  };
  const parsed = parseDocumentText(text, name);
  if ('error' in parsed) {
    problem({ origin, recordId: null, reason: parsed.error });
    return counts;
  }
  const value = parsed.value;
  counts.kind = detectKind(value);
  switch (counts.kind) {
    case 'osv-record':
      emitRecord(value, origin, counting);
      break;
    case 'osv-list':
    case 'osv-api': {
      const list = counts.kind === 'osv-list' ? (value as unknown[]) : (((value as { vulns?: unknown[] }).vulns ?? []) as unknown[]);
      for (const item of list) emitRecord(item, origin, counting);
      break;
    }
    case 'wpsecadv':
    case 'wordfence': {
      const converted = counts.kind === 'wpsecadv' ? wpsecadvToOsv(value, origin, name) : wordfenceToOsv(value, origin);
      for (const rec of converted.records) counting.record(rec, origin);
      for (const p of converted.problems) direct(p);
      break;
    }
    case 'debian-tracker':
    case 'alpine-secdb': {
      const converted =
        counts.kind === 'debian-tracker'
          ? debianTrackerEntriesToOsv(wantedMembers(value as Record<string, unknown>, 'Debian', wantPackage), origin)
          : alpineSecdbToOsv(value, origin);
      for (const rec of converted.records) counting.record(rec, origin);
      // already capped by the converter
      for (const p of converted.problems) direct(p);
      break;
    }
    default:
      problem({
        origin,
        recordId: null,
        reason: 'not an OSV record, OSV list, osv.dev answer, Debian tracker, Alpine secdb or WordPress (Wordfence) document',
      });
  }
  gate.finish();
  return counts;
}

/**
 * Which source packages of a distribution feed to convert: a scan knows the ones installed, and a
 * tracker document holds tens of thousands of others. Absent: all.
 */
export type PackageFilter = (ecosystem: string, name: string) => boolean;

function* wantedMembers(doc: Record<string, unknown>, ecosystem: string, want: PackageFilter | undefined): Generator<[string, unknown]> {
  for (const entry of Object.entries(doc)) if (!want || want(ecosystem, entry[0])) yield entry;
}

/** Above this, a JSON object is first tried as a Debian tracker read member by member. */
const STREAM_TRACKER_BYTES = 4 * 1024 * 1024;

/**
 * A large Debian tracker document, as (source package, entries) pairs parsed one at a time and
 * only for the packages wanted; null when the text is not one (then it is parsed whole, which
 * also reports any syntax error).
 */
export function trackerMembers(
  text: string,
  want: PackageFilter | undefined,
  onBroken: (key: string, reason: string) => void = () => {},
): Iterable<[string, unknown]> | null {
  if (text.length < STREAM_TRACKER_BYTES || nestingExceeds(text, MAX_NESTING)) return null;
  let first: { key: string; value: unknown } | undefined;
  try {
    const members = jsonMembers(text);
    for (const member of members) {
      first = { key: member.key, value: JSON.parse(text.slice(member.start, member.end)) };
      break;
    }
    if (!first || detectKind({ [first.key]: first.value }) !== 'debian-tracker') return null;
    // Check the whole text splits cleanly before converting anything.
    for (const _ of jsonMembers(text));
  } catch {
    return null;
  }
  return (function* () {
    for (const member of jsonMembers(text)) {
      if (want && !want('Debian', member.key)) continue;
      let value: unknown;
      try {
        value = JSON.parse(text.slice(member.start, member.end));
      } catch (error) {
        // The split balances brackets only; a member can still be broken inside.
        onBroken(member.key, error instanceof Error ? error.message : String(error));
        continue;
      }
      yield [member.key, value] as [string, unknown];
    }
  })();
}
