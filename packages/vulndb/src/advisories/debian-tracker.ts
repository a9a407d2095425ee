import { type OsvAffected, type OsvRecord, OsvRecordError, parseOsvRecord } from '../osv/model.ts';
import { comparatorFor } from '../versions/registry.ts';
import { type ConvertedRecords, HOSTILE_KEYS, isPlainObject, ProblemList, quote, UNKNOWN_MODIFIED } from './model.ts';

/**
 * Debian security tracker JSON (`security-tracker.debian.org/tracker/data/json`) to OSV:
 * source package → id (`CVE-…`, `TEMP-…`) → `{description, scope, releases: {codename: {status,
 * repositories, fixed_version?, urgency, nodsa?, nodsa_reason?}}}`.
 *
 * One record per id, with one affected entry per (source package, release), ecosystem
 * `Debian:<major>` from the codename (sid and unknown codenames are skipped and counted in one
 * problem note per document). Per release:
 * - `fixed_version: "0"`: never affected, no entry;
 * - a real `fixed_version`: `introduced 0, fixed X`, fix_state `fixed`;
 * - `open` without one: `introduced 0` only, fix_state `wont_fix` (urgency `unimportant` or
 *   nodsa_reason `ignored`) or `not_fixed` (otherwise, `postponed` included);
 * - `undetermined`: `introduced 0`, fix_state `unknown`;
 * - `resolved` without a fixed_version, or any other status: a problem, no entry.
 * Vigil's reading goes to `affected[].database_specific.vigil = {source, fix_state, urgency,
 * severity?}`; severity from the urgency with `*` markers stripped: unimportant NEGLIGIBLE, low
 * LOW, medium MEDIUM, high HIGH, anything else (`not yet assigned`, `end-of-life`) none; `urgency`
 * itself is kept as written (`high**`), or null when absent.
 * `summary` is the description (cut to the schema's 4096 characters, the whole text then going to
 * `details`); `modified` is UNKNOWN_MODIFIED, since the tracker has no dates. An id whose every
 * release is unaffected (or skipped) gives no record at all: there is nothing to match.
 * `releases` as an empty list (seen in real data) is no releases.
 */

export const DEBIAN_TRACKER_SOURCE = 'debian-security-tracker';

/** Codename → the release number OSV uses in `Debian:<n>`. */
export const DEBIAN_RELEASES: ReadonlyMap<string, string> = new Map([
  ['buzz', '1.1'],
  ['rex', '1.2'],
  ['bo', '1.3'],
  ['hamm', '2.0'],
  ['slink', '2.1'],
  ['potato', '2.2'],
  ['woody', '3.0'],
  ['sarge', '3.1'],
  ['etch', '4'],
  ['lenny', '5'],
  ['squeeze', '6'],
  ['wheezy', '7'],
  ['jessie', '8'],
  ['stretch', '9'],
  ['buster', '10'],
  ['bullseye', '11'],
  ['bookworm', '12'],
  ['trixie', '13'],
  ['forky', '14'],
  ['duke', '15'],
]);

export type DebianFixState = 'fixed' | 'wont_fix' | 'not_fixed' | 'unknown';

const SEVERITY: ReadonlyMap<string, string> = new Map([
  ['unimportant', 'NEGLIGIBLE'],
  ['low', 'LOW'],
  ['medium', 'MEDIUM'],
  ['high', 'HIGH'],
]);

const SUMMARY_MAX = 4096;

/** `high**` → `high`; the tracker marks urgencies with `*` (and sometimes blanks). */
export const stripUrgency = (urgency: string): string => urgency.replace(/\*+$/, '').trim();

interface Pending {
  description: string | null;
  affected: OsvAffected[];
}

export function debianTrackerToOsv(doc: unknown, origin: string): ConvertedRecords {
  if (!isPlainObject(doc)) {
    const problems = new ProblemList(origin);
    problems.add(null, 'not a Debian security tracker document (not an object)');
    return { records: [], problems: problems.done() };
  }
  return debianTrackerEntriesToOsv(Object.entries(doc), origin);
}

/**
 * The same, from (source package, its entries) pairs: a caller reading the tracker member by
 * member (json-members.ts) hands over only the source packages it wants.
 */
export function debianTrackerEntriesToOsv(entries: Iterable<[string, unknown]>, origin: string): ConvertedRecords {
  const problems = new ProblemList(origin);
  const cmp = comparatorFor('Debian');
  const byId = new Map<string, Pending>();
  const skippedReleases = new Map<string, number>();
  for (const [source, vulns] of entries) {
    if (HOSTILE_KEYS.has(source) || source === '' || source.length > 512) {
      problems.add(null, `source package key ${quote(source)} refused`);
      continue;
    }
    if (!isPlainObject(vulns)) {
      problems.add(null, `source package ${quote(source)}: not an object`);
      continue;
    }
    for (const [id, entry] of Object.entries(vulns)) {
      if (HOSTILE_KEYS.has(id) || id === '' || id.length > 256) {
        problems.add(null, `source package ${quote(source)}: id key ${quote(id)} refused`);
        continue;
      }
      if (!isPlainObject(entry)) {
        problems.add(id, `source package ${quote(source)}: entry is not an object`);
        continue;
      }
      let pending = byId.get(id);
      if (!pending) {
        pending = { description: null, affected: [] };
        byId.set(id, pending);
      }
      if (pending.description === null && typeof entry.description === 'string' && entry.description.trim() !== '') {
        pending.description = entry.description;
      }
      const releases = entry.releases;
      if (releases === undefined || releases === null || (Array.isArray(releases) && releases.length === 0)) continue;
      if (!isPlainObject(releases)) {
        problems.add(id, `source package ${quote(source)}: releases is not an object`);
        continue;
      }
      for (const [codename, release] of Object.entries(releases)) {
        const major = DEBIAN_RELEASES.get(codename);
        if (major === undefined) {
          const key = codename.length > 40 ? `${codename.slice(0, 40)}…` : codename;
          skippedReleases.set(key, (skippedReleases.get(key) ?? 0) + 1);
          continue;
        }
        const where = `source package ${quote(source)}, release ${codename}`;
        if (!isPlainObject(release)) {
          problems.add(id, `${where}: not an object`);
          continue;
        }
        const affected = releaseEntry(release, source, `Debian:${major}`, (reason) => problems.add(id, `${where}: ${reason}`), cmp.isValid);
        if (affected) pending.affected.push(affected);
      }
    }
  }
  if (skippedReleases.size > 0) {
    const list = [...skippedReleases].map(([name, n]) => `${name}: ${n}`).join(', ');
    problems.add(null, `release entries without a Debian release number skipped (${list})`);
  }
  const records: OsvRecord[] = [];
  for (const [id, pending] of byId) {
    if (pending.affected.length === 0) continue;
    const candidate: Record<string, unknown> = { id, modified: UNKNOWN_MODIFIED };
    if (pending.description !== null) {
      if (pending.description.length > SUMMARY_MAX) {
        candidate.summary = `${pending.description.slice(0, SUMMARY_MAX - 1)}…`;
        candidate.details = pending.description;
      } else candidate.summary = pending.description;
    }
    candidate.affected = pending.affected;
    try {
      records.push(parseOsvRecord(candidate, origin));
    } catch (error) {
      if (!(error instanceof OsvRecordError)) throw error;
      problems.add(id, error.reason);
    }
  }
  return { records, problems: problems.done() };
}

function releaseEntry(
  release: Record<string, unknown>,
  source: string,
  ecosystem: string,
  problem: (reason: string) => void,
  isValid: (version: string) => boolean,
): OsvAffected | null {
  const { status, fixed_version: fixed, nodsa_reason: nodsaReason } = release;
  const urgency = typeof release.urgency === 'string' ? stripUrgency(release.urgency) : null;
  let fixState: DebianFixState;
  if (fixed !== undefined && fixed !== null) {
    if (typeof fixed !== 'string' || fixed === '' || fixed.length > 256) {
      problem('fixed_version is not a version string');
      return null;
    }
    if (fixed === '0') return null;
    if (!isValid(fixed)) {
      problem(`invalid fixed_version ${quote(fixed)}`);
      return null;
    }
    fixState = 'fixed';
  } else if (status === 'open') {
    fixState = urgency === 'unimportant' || nodsaReason === 'ignored' ? 'wont_fix' : 'not_fixed';
  } else if (status === 'undetermined') {
    fixState = 'unknown';
  } else {
    problem(`status ${typeof status === 'string' ? quote(status) : typeof status} without a fixed_version`);
    return null;
  }
  // urgency as the tracker wrote it (markers kept); decisions use the stripped form.
  const vigil: Record<string, unknown> = {
    source: DEBIAN_TRACKER_SOURCE,
    fix_state: fixState,
    urgency: typeof release.urgency === 'string' ? release.urgency : null,
  };
  const severity = urgency === null ? undefined : SEVERITY.get(urgency);
  if (severity) vigil.severity = severity;
  return {
    package: { ecosystem, name: source },
    ranges: [
      { type: 'ECOSYSTEM', events: fixState === 'fixed' ? [{ introduced: '0' }, { fixed: fixed as string }] : [{ introduced: '0' }] },
    ],
    database_specific: { vigil },
  };
}
