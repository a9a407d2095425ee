import { type OsvAffected, type OsvRecord, OsvRecordError, parseOsvRecord } from '../osv/model.ts';
import type { RangeEvent } from '../osv/ranges.ts';
import { comparatorFor } from '../versions/registry.ts';
import { ConstraintError, type ConstraintInterval, normaliseIntervals, parseComposerConstraint } from './composer-constraint.ts';
import { type ConvertedRecords, HOSTILE_KEYS, isPlainObject, ProblemList, quote, UNKNOWN_MODIFIED } from './model.ts';

/**
 * WordPress vulnerability feeds from Wordfence Intelligence to OSV, in two forms:
 *
 * - wpsecadvToOsv: the Packagist-style advisories typisttech/wpsecadv derives from the feed, one
 *   JSON array per package (`{advisoryId: "WPSECADV/WF/<uuid>/<slug>", title, reportedAt,
 *   sources, link, cve?, affectedVersions: <Composer constraint>, severity?}`). The package is
 *   named only by the file name (`core-wordpress.json`, `plugin-<slug>.json`, `theme-<slug>.json`,
 *   or wpsecadv's own `core_…`/`plugin_…`/`theme_…_gen.json`, which give the type only) and by the
 *   advisoryId's last part (the slug, never the type).
 * - wordfenceToOsv: the raw feed (`/api/intelligence/v2/vulnerabilities/production`), an object
 *   keyed by UUID: `{id, title, software: [{type, name, slug, affected_versions: {label: {from_version,
 *   from_inclusive, to_version, to_inclusive}}, patched, patched_versions}], informational,
 *   description, references, cwe, cvss: {vector, score, rating}, cve, cve_link, published, updated}`.
 *
 * Both give one record per advisory with id `WF-<uuid>` (the Wordfence UUID, lower case), so the
 * same vulnerability read from both forms is one record id. aliases: the CVE when there is one.
 * summary: the title's first line. Ecosystem `WordPress`, names as the WordPress inventory
 * reports them: `wordpress` (core), `plugin/<slug>`, `theme/<slug>`.
 *
 * Licence: Defiant (Wordfence) allows redistribution only with its copyright line and a hyperlink
 * to the record. The link goes to `references` (type ADVISORY) and `database_specific.link`; the
 * derived form's title carries the MITRE and Defiant licence text after its first line, kept
 * verbatim in `database_specific.licence`; the raw feed's `copyrights` object, when present, is
 * kept in `database_specific.copyrights`.
 *
 * Versions, read with the WordPress comparator (every version must be valid for it, or the record
 * is a problem). The intervals are first put in order and merged where they overlap or touch
 * (normaliseIntervals: the versions covered do not change), then:
 * - an exact version (`=X`, bare `X`, or from = to, both inclusive) → `versions: [X]`;
 * - any other interval → its own ECOSYSTEM range: lower bound `>=A` → `introduced A`, none (or
 *   `*`) → `introduced 0`; upper `<X` → `fixed X`, `<=X` → `last_affected X`, none → open;
 * - an exclusive lower bound `>A` cannot be said in OSV (introduced is inclusive): it is written
 *   `introduced A`, and the range carries `database_specific.vigil.introduced_exclusive: true`.
 *   Exactly version A is then reported although the advisory leaves it out: a possible false
 *   positive on one version rather than a miss on another (no version "just above A" exists
 *   that could be written instead);
 * - an empty interval (`>=2.0,<1.0`, `>A,<=A`) covers nothing: left out, with a problem note.
 * One range per interval (rather than one range with all events) so that no evaluation depends
 * on how events at equal versions are sorted.
 *
 * Vigil's reading, in `affected[].database_specific.vigil`: `source`, `severity` from the feed's
 * word (`severity` / `cvss.rating`: critical, high, medium, low → upper case; none → NEGLIGIBLE;
 * anything else none), and `fix_state`:
 * - raw feed: `fixed` when `patched` is true or `patched_versions` is not empty, `not_fixed` when
 *   `patched` is false;
 * - otherwise, from the intervals: `fixed` when one ends at an exclusive bound (`<X`),
 *   `not_fixed` when one has no upper bound, else `unknown` (`<=X` alone does not say whether a
 *   release after X fixed it; the derived form carries no `patched`).
 * `patched_versions` are kept in vigil but do not become `fixed` events: the interval stays as
 * the advisory wrote it. The CVSS vector goes to the record's `severity` (`CVSS_V3` or `CVSS_V4`
 * after its prefix). A raw record marked `informational: true` gets
 * `affected[].database_specific.informational`, which the index leaves out of findings.
 * `modified` is the raw feed's `updated` (else `published`, else UNKNOWN_MODIFIED); the derived
 * form has only `reportedAt`, which becomes `published`.
 *
 * Problems (the record is skipped, named by origin and advisory id): unreadable constraint or
 * version, missing or bad slug or type, a package that does not match the file name, hostile keys
 * (`__proto__`, `constructor`, `prototype`) in keyed objects, wrong shapes.
 */

export const WPSECADV_SOURCE = 'wpsecadv';
export const WORDFENCE_SOURCE = 'wordfence-intelligence';
export const WORDPRESS_ECOSYSTEM = 'WordPress';

/** The record id for a Wordfence UUID. */
export const wordfenceId = (uuid: string): string => `WF-${uuid.toLowerCase()}`;

/** The public Wordfence page of a record: the hyperlink the licence asks for. */
export const wordfenceLink = (uuid: string): string => `https://www.wordfence.com/threat-intel/vulnerabilities/id/${uuid.toLowerCase()}`;

export type WordPressPackageType = 'core' | 'plugin' | 'theme';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CVE = /^CVE-\d{4}-\d{4,}$/;
const SUMMARY_MAX = 4096;
const MAX_SLUG = 200;
const MAX_SOFTWARE = 1_000;
const MAX_RANGES_PER_PACKAGE = 1_000;
const MAX_REFERENCES = 200;

const SEVERITY: ReadonlyMap<string, string> = new Map([
  ['critical', 'CRITICAL'],
  ['high', 'HIGH'],
  ['medium', 'MEDIUM'],
  ['low', 'LOW'],
  ['none', 'NEGLIGIBLE'],
]);

/** A record-level failure: the record is skipped with this reason. */
class Skip extends Error {}

function skip(reason: string): never {
  throw new Skip(reason);
}

/** The OSV package name for a type and slug. */
export function wordpressPackageName(type: WordPressPackageType, slug: string): string {
  return type === 'core' ? 'wordpress' : `${type}/${slug}`;
}

/** A wordpress.org slug as a directory name: no separators, blanks, controls or dot names. */
function isSlug(slug: unknown): slug is string {
  if (typeof slug !== 'string' || slug === '' || slug.length > MAX_SLUG || slug === '.' || slug === '..') return false;
  for (const c of slug) {
    const code = c.codePointAt(0) as number;
    if (code <= 0x20 || code === 0x7f || c === '/' || c === '\\' || c === '!' || c === '|') return false;
  }
  return true;
}

/** `2015-10-13 00:00:00` (UTC, as both forms write it) or an RFC 3339 time → RFC 3339; undefined otherwise. */
function timestamp(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!m) return undefined;
  const text = `${m[1]}T${m[2]}${m[3] ?? ''}${m[4] ?? 'Z'}`;
  return Number.isNaN(Date.parse(text)) ? undefined : text;
}

function firstLine(title: string): { summary: string; rest: string | null } {
  const newline = title.indexOf('\n');
  const line = (newline < 0 ? title : title.slice(0, newline)).trim();
  const summary = line.length > SUMMARY_MAX ? `${line.slice(0, SUMMARY_MAX - 1)}…` : line;
  return { summary, rest: newline < 0 ? null : title.slice(newline + 1) };
}

function severityWord(value: unknown): string | undefined {
  return typeof value === 'string' ? SEVERITY.get(value.trim().toLowerCase()) : undefined;
}

function cvssEntry(vector: unknown): { type: string; score: string } | undefined {
  if (typeof vector !== 'string' || vector.length > 512) return undefined;
  if (vector.startsWith('CVSS:3.')) return { type: 'CVSS_V3', score: vector };
  if (vector.startsWith('CVSS:4.')) return { type: 'CVSS_V4', score: vector };
  return undefined;
}

const isHttpUrl = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= 8192 && (value.startsWith('https://') || value.startsWith('http://'));

/** The intervals as OSV: exact versions, one range per other interval, and the fix state they say. */
function intervalsToAffected(
  intervals: readonly ConstraintInterval[],
  what: string,
  note: (reason: string) => void,
): {
  ranges: { type: 'ECOSYSTEM'; events: RangeEvent[]; database_specific?: Record<string, unknown> }[];
  versions: string[];
  fixState: string;
} {
  const cmp = comparatorFor(WORDPRESS_ECOSYSTEM);
  for (const { lower, upper } of intervals) {
    for (const bound of [lower, upper]) {
      if (bound && (bound.version.length > 256 || !cmp.isValid(bound.version))) {
        skip(`${what}: ${quote(bound.version)} is not a valid WordPress version`);
      }
    }
  }
  const { intervals: merged, empty } = normaliseIntervals(intervals, cmp.compare);
  for (const interval of empty) note(`${what}: empty interval ${describe(interval)} covers no version, left out`);
  if (merged.length === 0) skip(`${what}: no version is affected`);
  if (merged.length > MAX_RANGES_PER_PACKAGE) skip(`${what}: more than ${MAX_RANGES_PER_PACKAGE} intervals`);
  const ranges: { type: 'ECOSYSTEM'; events: RangeEvent[]; database_specific?: Record<string, unknown> }[] = [];
  const versions: string[] = [];
  let fixed = false;
  let open = false;
  for (const { lower, upper } of merged) {
    if (lower && upper && lower.inclusive && upper.inclusive && cmp.compare(lower.version, upper.version) === 0) {
      versions.push(lower.version);
      continue;
    }
    const events: RangeEvent[] = [{ introduced: lower ? lower.version : '0' }];
    if (upper) events.push(upper.inclusive ? { last_affected: upper.version } : { fixed: upper.version });
    if (upper && !upper.inclusive) fixed = true;
    if (!upper) open = true;
    ranges.push(
      lower && !lower.inclusive
        ? { type: 'ECOSYSTEM', events, database_specific: { vigil: { introduced_exclusive: true } } }
        : { type: 'ECOSYSTEM', events },
    );
  }
  return { ranges, versions, fixState: fixed ? 'fixed' : open ? 'not_fixed' : 'unknown' };
}

function describe({ lower, upper }: ConstraintInterval): string {
  const parts: string[] = [];
  if (lower) parts.push(`${lower.inclusive ? '>=' : '>'}${lower.version}`);
  if (upper) parts.push(`${upper.inclusive ? '<=' : '<'}${upper.version}`);
  return quote(parts.join(',') || '*');
}

function affectedEntry(
  name: string,
  converted: ReturnType<typeof intervalsToAffected>,
  vigil: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): OsvAffected {
  const entry: OsvAffected = { package: { ecosystem: WORDPRESS_ECOSYSTEM, name } };
  if (converted.ranges.length > 0) entry.ranges = converted.ranges;
  if (converted.versions.length > 0) entry.versions = converted.versions;
  entry.database_specific = { ...extra, vigil };
  return entry;
}

function validated(
  candidate: Record<string, unknown>,
  origin: string,
  problems: ProblemList,
  problemId: string,
  records: OsvRecord[],
): void {
  try {
    records.push(parseOsvRecord(candidate, origin));
  } catch (error) {
    if (!(error instanceof OsvRecordError)) throw error;
    problems.add(problemId, error.reason);
  }
}

// ---------------------------------------------------------------------------------------------
// The derived (wpsecadv) form

/** What a file name says about its package: type and slug (`plugin-akismet.json`), or type only (`plugin_…_gen.json`). */
export function packageFromFileName(hint: string): { type: WordPressPackageType; slug: string | null } | null {
  const base = hint.slice(Math.max(hint.lastIndexOf('/'), hint.lastIndexOf('\\'), hint.lastIndexOf('!')) + 1);
  const stem = base.toLowerCase().endsWith('.json') ? base.slice(0, -'.json'.length) : base;
  for (const type of ['core', 'plugin', 'theme'] as const) {
    if (stem.startsWith(`${type}-`)) {
      const slug = stem.slice(type.length + 1);
      return isSlug(slug) ? { type, slug } : null;
    }
    if (stem.startsWith(`${type}_`)) return { type, slug: null };
  }
  return null;
}

/**
 * The derived form to OSV. `packageHint` is the file (or zip member) name the document came
 * from; it defaults to `origin`. Without a `core-`/`plugin-`/`theme-` (or `core_`/`plugin_`/
 * `theme_`) prefix the type cannot be known, and every advisory is a problem.
 */
export function wpsecadvToOsv(doc: unknown, origin: string, packageHint: string = origin): ConvertedRecords {
  const problems = new ProblemList(origin);
  if (!Array.isArray(doc)) {
    problems.add(null, 'not a wpsecadv document (not a list of advisories)');
    return { records: [], problems: problems.done() };
  }
  const fromName = packageFromFileName(packageHint);
  const records: OsvRecord[] = [];
  const seen = new Set<string>();
  for (const [index, item] of doc.entries()) {
    const advisoryId = isPlainObject(item) && typeof item.advisoryId === 'string' ? item.advisoryId.slice(0, 300) : null;
    try {
      if (!isPlainObject(item)) skip(`advisory ${index}: not an object`);
      const candidate = wpsecadvRecord(item as Record<string, unknown>, origin, fromName, (reason) => problems.add(advisoryId, reason));
      const id = candidate.id as string;
      if (seen.has(id)) skip(`advisory ${id} appears twice in the document`);
      seen.add(id);
      validated(candidate, origin, problems, advisoryId ?? id, records);
    } catch (error) {
      if (!(error instanceof Skip)) throw error;
      problems.add(advisoryId, error.message);
    }
  }
  return { records, problems: problems.done() };
}

function wpsecadvRecord(
  item: Record<string, unknown>,
  origin: string,
  fromName: { type: WordPressPackageType; slug: string | null } | null,
  note: (reason: string) => void,
): Record<string, unknown> {
  const advisoryId = item.advisoryId;
  if (typeof advisoryId !== 'string' || advisoryId.length > 300) skip('no advisoryId');
  const parts = (advisoryId as string).split('/');
  if (parts.length !== 4 || parts[0] !== 'WPSECADV' || parts[1] !== 'WF')
    skip(`advisoryId ${quote(advisoryId as string)} is not WPSECADV/WF/<uuid>/<slug>`);
  const [, , uuid, idSlug] = parts as [string, string, string, string];
  if (!UUID.test(uuid)) skip(`advisoryId ${quote(advisoryId as string)}: ${quote(uuid)} is not a UUID`);
  if (!isSlug(idSlug)) skip(`advisoryId ${quote(advisoryId as string)}: no slug`);
  if (Array.isArray(item.sources)) {
    for (const source of item.sources) {
      if (
        isPlainObject(source) &&
        source.name === 'Wordfence' &&
        typeof source.remoteId === 'string' &&
        source.remoteId.toLowerCase() !== uuid.toLowerCase()
      ) {
        skip(`Wordfence remoteId ${quote(source.remoteId)} differs from the advisoryId's UUID`);
      }
    }
  }
  if (fromName === null) skip(`package type cannot be determined: the file name has no core-/plugin-/theme- prefix (${quote(origin)})`);
  const { type, slug: nameSlug } = fromName as { type: WordPressPackageType; slug: string | null };
  if (nameSlug !== null && nameSlug !== idSlug) skip(`advisoryId slug ${quote(idSlug)} is not the file's package ${quote(nameSlug)}`);
  const slug = nameSlug ?? idSlug;

  if (typeof item.title !== 'string' || item.title.trim() === '') skip('no title');
  const { summary, rest } = firstLine(item.title as string);
  const constraint = item.affectedVersions;
  if (typeof constraint !== 'string') skip('no affectedVersions constraint');
  let intervals: ConstraintInterval[];
  try {
    intervals = parseComposerConstraint(constraint as string);
  } catch (error) {
    if (!(error instanceof ConstraintError)) throw error;
    return skip(error.message);
  }
  const converted = intervalsToAffected(intervals, `affectedVersions ${quote(constraint as string)}`, note);
  const vigil: Record<string, unknown> = { source: WPSECADV_SOURCE, fix_state: converted.fixState };
  const severity = severityWord(item.severity);
  if (severity) vigil.severity = severity;

  const id = wordfenceId(uuid);
  const candidate: Record<string, unknown> = { id, modified: UNKNOWN_MODIFIED };
  const published = timestamp(item.reportedAt);
  if (published) candidate.published = published;
  const cve = item.cve;
  if (typeof cve === 'string' && CVE.test(cve)) candidate.aliases = [cve];
  else if (cve !== undefined && cve !== null && cve !== '')
    note(`cve ${typeof cve === 'string' ? quote(cve) : typeof cve} is not a CVE id, not used as an alias`);
  candidate.summary = summary;
  candidate.affected = [affectedEntry(wordpressPackageName(type, slug), converted, vigil, { affected_versions: constraint })];
  const link = isHttpUrl(item.link) ? item.link : wordfenceLink(uuid);
  candidate.references = [{ type: 'ADVISORY', url: link }];
  const specific: Record<string, unknown> = { source: WPSECADV_SOURCE, advisory_id: advisoryId, link };
  if (rest !== null && rest.trim() !== '') specific.licence = rest;
  candidate.database_specific = specific;
  return candidate;
}

// ---------------------------------------------------------------------------------------------
// The raw Wordfence Intelligence feed

/** The raw feed to OSV: one record per UUID key. */
export function wordfenceToOsv(doc: unknown, origin: string): ConvertedRecords {
  const problems = new ProblemList(origin);
  if (!isPlainObject(doc)) {
    problems.add(null, 'not a Wordfence Intelligence feed (not an object keyed by UUID)');
    return { records: [], problems: problems.done() };
  }
  const records: OsvRecord[] = [];
  for (const [key, item] of Object.entries(doc)) {
    const shownKey = key.length > 80 ? `${key.slice(0, 80)}…` : key;
    try {
      if (HOSTILE_KEYS.has(key)) skip(`key ${quote(key)} refused`);
      if (!UUID.test(key)) skip(`key ${quote(key)} is not a UUID`);
      if (!isPlainObject(item)) skip('not an object');
      const candidate = wordfenceRecord(key, item as Record<string, unknown>, (reason) => problems.add(shownKey, reason));
      validated(candidate, origin, problems, shownKey, records);
    } catch (error) {
      if (!(error instanceof Skip)) throw error;
      problems.add(shownKey, error.message);
    }
  }
  return { records, problems: problems.done() };
}

function wordfenceRecord(uuid: string, item: Record<string, unknown>, note: (reason: string) => void): Record<string, unknown> {
  if (item.id !== undefined && (typeof item.id !== 'string' || item.id.toLowerCase() !== uuid.toLowerCase())) {
    skip(`id ${typeof item.id === 'string' ? quote(item.id) : typeof item.id} differs from its key`);
  }
  if (typeof item.title !== 'string' || item.title.trim() === '') skip('no title');
  const { summary, rest } = firstLine(item.title as string);
  const software = item.software;
  if (!Array.isArray(software) || software.length === 0) skip('no software list');
  if ((software as unknown[]).length > MAX_SOFTWARE) skip(`more than ${MAX_SOFTWARE} software entries`);
  const cvss = isPlainObject(item.cvss) ? item.cvss : null;
  const severity = severityWord(cvss?.rating);
  const informational = item.informational === true;
  const affected: OsvAffected[] = [];
  for (const [index, entry] of (software as unknown[]).entries()) {
    affected.push(softwareEntry(entry, `software[${index}]`, severity, informational, note));
  }

  const candidate: Record<string, unknown> = { id: wordfenceId(uuid) };
  const published = timestamp(item.published);
  candidate.modified = timestamp(item.updated) ?? published ?? UNKNOWN_MODIFIED;
  if (published) candidate.published = published;
  const cve = item.cve;
  if (typeof cve === 'string' && CVE.test(cve)) candidate.aliases = [cve];
  else if (cve !== undefined && cve !== null && cve !== '')
    note(`cve ${typeof cve === 'string' ? quote(cve) : typeof cve} is not a CVE id, not used as an alias`);
  candidate.summary = summary;
  const details = [rest, typeof item.description === 'string' ? item.description : null]
    .filter((t) => t !== null && t.trim() !== '')
    .join('\n\n');
  if (details !== '') candidate.details = details.slice(0, 1_000_000);
  const vector = cvssEntry(cvss?.vector);
  if (vector) candidate.severity = [vector];
  candidate.affected = affected;
  const link = wordfenceLink(uuid);
  const references: { type: string; url: string }[] = [{ type: 'ADVISORY', url: link }];
  if (Array.isArray(item.references)) {
    for (const url of item.references.slice(0, MAX_REFERENCES)) if (isHttpUrl(url) && url !== link) references.push({ type: 'WEB', url });
  }
  candidate.references = references;
  const specific: Record<string, unknown> = { source: WORDFENCE_SOURCE, link };
  if (isPlainObject(item.copyrights)) specific.copyrights = item.copyrights;
  if (isPlainObject(item.cwe)) specific.cwe = item.cwe;
  if (cvss) specific.cvss = cvss;
  if (informational) specific.informational = true;
  candidate.database_specific = specific;
  return candidate;
}

function softwareEntry(
  entry: unknown,
  where: string,
  severity: string | undefined,
  informational: boolean,
  note: (reason: string) => void,
): OsvAffected {
  if (!isPlainObject(entry)) skip(`${where}: not an object`);
  const software = entry as Record<string, unknown>;
  const type = software.type;
  if (type !== 'core' && type !== 'plugin' && type !== 'theme') {
    skip(`${where}: type ${typeof type === 'string' ? quote(type) : typeof type} is not core, plugin or theme`);
  }
  if (type !== 'core' && !isSlug(software.slug)) skip(`${where}: no slug`);
  const name = wordpressPackageName(type as WordPressPackageType, software.slug as string);
  const ranges = software.affected_versions;
  if (!isPlainObject(ranges)) skip(`${where} (${name}): affected_versions is not an object`);
  const intervals: ConstraintInterval[] = [];
  for (const [label, range] of Object.entries(ranges as Record<string, unknown>)) {
    if (HOSTILE_KEYS.has(label)) skip(`${where} (${name}): affected_versions key ${quote(label)} refused`);
    if (intervals.length >= MAX_RANGES_PER_PACKAGE)
      skip(`${where} (${name}): more than ${MAX_RANGES_PER_PACKAGE} affected_versions entries`);
    intervals.push(rangeInterval(range, `${where} (${name}), affected_versions ${quote(label)}`));
  }
  if (intervals.length === 0) skip(`${where} (${name}): affected_versions is empty`);
  const converted = intervalsToAffected(intervals, `${where} (${name})`, note);
  const patchedVersions: string[] = [];
  if (software.patched_versions !== undefined && software.patched_versions !== null) {
    if (!Array.isArray(software.patched_versions)) skip(`${where} (${name}): patched_versions is not a list`);
    for (const version of software.patched_versions as unknown[]) {
      if (typeof version !== 'string' || version.length > 256) skip(`${where} (${name}): patched_versions holds a non-version`);
      patchedVersions.push(version as string);
    }
  }
  let fixState = converted.fixState;
  if (software.patched === true || patchedVersions.length > 0) fixState = 'fixed';
  else if (software.patched === false) fixState = 'not_fixed';
  const vigil: Record<string, unknown> = { source: WORDFENCE_SOURCE, fix_state: fixState };
  if (severity) vigil.severity = severity;
  if (patchedVersions.length > 0) vigil.patched_versions = patchedVersions;
  return affectedEntry(name, converted, vigil, informational ? { informational: 'Wordfence marks this record informational' } : {});
}

/** One affected_versions entry: `*` for an open end; inclusive flags must be booleans for a bound that is given. */
function rangeInterval(range: unknown, where: string): ConstraintInterval {
  if (!isPlainObject(range)) skip(`${where}: not an object`);
  const { from_version: from, from_inclusive: fromInclusive, to_version: to, to_inclusive: toInclusive } = range as Record<string, unknown>;
  if (typeof from !== 'string' || from === '') skip(`${where}: from_version is not a string`);
  if (typeof to !== 'string' || to === '') skip(`${where}: to_version is not a string`);
  const interval: ConstraintInterval = {};
  if (from !== '*') {
    if (typeof fromInclusive !== 'boolean') skip(`${where}: from_inclusive is not true or false`);
    interval.lower = { version: from as string, inclusive: fromInclusive as boolean };
  }
  if (to !== '*') {
    if (typeof toInclusive !== 'boolean') skip(`${where}: to_inclusive is not true or false`);
    interval.upper = { version: to as string, inclusive: toInclusive as boolean };
  }
  return interval;
}

// ---------------------------------------------------------------------------------------------
// Detection

/** Whether a parsed document looks like the derived form: a non-empty list whose first item has a WPSECADV advisoryId and affectedVersions. */
export function isWpsecadvDocument(value: unknown): boolean {
  if (!Array.isArray(value) || value.length === 0) return false;
  const first = value[0];
  return (
    isPlainObject(first) &&
    typeof first.advisoryId === 'string' &&
    first.advisoryId.startsWith('WPSECADV/') &&
    typeof first.affectedVersions === 'string'
  );
}

/** Whether a parsed document looks like the raw feed: an object whose first key is a UUID mapping to `{id, software: [...]}`. */
export function isWordfenceDocument(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const first = value[key];
    return UUID.test(key) && isPlainObject(first) && typeof first.id === 'string' && Array.isArray(first.software);
  }
  return false;
}
