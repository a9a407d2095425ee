import { type OsvAffected, type OsvRecord, OsvRecordError, parseOsvRecord } from '../osv/model.ts';
import { comparatorFor } from '../versions/registry.ts';
import { type ConvertedRecords, HOSTILE_KEYS, isPlainObject, ProblemList, quote, UNKNOWN_MODIFIED } from './model.ts';

/**
 * Alpine secdb (`secdb.alpinelinux.org/vX.Y/main.json`, or the YAML the old alpine-secdb repo
 * published) to OSV. One document is one branch (`distroversion` `v3.5` → ecosystem `Alpine:v3.5`);
 * `packages[].pkg.name` is the origin (source) package, `secfixes` maps the first fixed apk
 * version in that branch to the ids it fixes.
 *
 * Reading, as fixtures/README.md documents the format:
 * - each string of a list may hold several ids separated by blanks (`"CVE-2016-9932 XSA-200"`);
 *   a null or empty list is nothing;
 * - key `"0"` means the branch was never affected: no entry. When the same id also sits under a
 *   real version key of the package, the real key wins (an advisory is kept rather than dropped);
 * - the same id under two version keys: the lowest version (apk order) is the fix;
 * - one record per id per document, with one affected entry per package, ranges
 *   `introduced 0, fixed <key>`; ids keep their own name (`CVE-…`, `XSA-…`), so the same id from
 *   two branches gives two records that differ by ecosystem;
 * - `modified` is UNKNOWN_MODIFIED (the secdb carries no dates).
 * Keys must reach here as strings as written (YAML parsed with `stringKeys`, see YAML_OPTIONS):
 * a YAML number key `1.10` read as 1.1 would move a fix.
 */

export const ALPINE_SECDB_SOURCE = 'alpine-secdb';

const BRANCH = /^(v\d{1,3}\.\d{1,3}|edge)$/;
const MAX_ID = 256;

export function alpineSecdbToOsv(doc: unknown, origin: string): ConvertedRecords {
  const problems = new ProblemList(origin);
  if (!isPlainObject(doc)) {
    problems.add(null, 'not an Alpine secdb document (not an object)');
    return { records: [], problems: problems.done() };
  }
  const branch = doc.distroversion;
  if (typeof branch !== 'string' || !BRANCH.test(branch)) {
    problems.add(null, `distroversion ${typeof branch === 'string' ? quote(branch) : typeof branch} is not an Alpine branch like "v3.5"`);
    return { records: [], problems: problems.done() };
  }
  const ecosystem = `Alpine:${branch}`;
  const cmp = comparatorFor('Alpine');
  if (doc.packages === null || doc.packages === undefined) return { records: [], problems: problems.done() };
  if (!Array.isArray(doc.packages)) {
    problems.add(null, '"packages" is not a list');
    return { records: [], problems: problems.done() };
  }
  // id → package → first fixed version; Maps throughout, so no key from the data touches a prototype.
  const fixes = new Map<string, Map<string, string>>();
  for (const [index, item] of doc.packages.entries()) {
    const pkg = isPlainObject(item) ? item.pkg : undefined;
    if (!isPlainObject(pkg) || typeof pkg.name !== 'string' || pkg.name === '' || pkg.name.length > 512) {
      problems.add(null, `packages[${index}]: no pkg.name`);
      continue;
    }
    const name = pkg.name;
    const secfixes = pkg.secfixes;
    if (secfixes === null || secfixes === undefined) continue;
    if (!isPlainObject(secfixes)) {
      problems.add(null, `package ${quote(name)}: secfixes is not a mapping`);
      continue;
    }
    for (const [version, list] of Object.entries(secfixes)) {
      const ids = idsOf(list);
      if (ids === null) {
        problems.add(null, `package ${quote(name)}, version ${quote(version)}: not a list of ids`);
        continue;
      }
      if (version === '0') continue;
      if (HOSTILE_KEYS.has(version) || version.length > 256 || !cmp.isValid(version)) {
        problems.add(ids[0] ?? null, `package ${quote(name)}: invalid version key ${quote(version)}, its ids skipped`);
        continue;
      }
      for (const id of ids) {
        if (id.length > MAX_ID) {
          problems.add(null, `package ${quote(name)}, version ${quote(version)}: id ${quote(id)} too long`);
          continue;
        }
        let byPackage = fixes.get(id);
        if (!byPackage) {
          byPackage = new Map();
          fixes.set(id, byPackage);
        }
        const known = byPackage.get(name);
        if (known === undefined || cmp.compare(version, known) < 0) byPackage.set(name, version);
      }
    }
  }
  const records: OsvRecord[] = [];
  for (const id of [...fixes.keys()].sort()) {
    const affected: OsvAffected[] = [];
    for (const [name, fixed] of fixes.get(id) ?? []) {
      affected.push({
        package: { ecosystem, name },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
        database_specific: { vigil: { source: ALPINE_SECDB_SOURCE, fix_state: 'fixed' } },
      });
    }
    try {
      records.push(parseOsvRecord({ id, modified: UNKNOWN_MODIFIED, affected }, origin));
    } catch (error) {
      if (!(error instanceof OsvRecordError)) throw error;
      problems.add(id, error.reason);
    }
  }
  return { records, problems: problems.done() };
}

/** The ids of one secfixes list: blank-separated within each string. Null when the value is not a list of strings. */
function idsOf(list: unknown): string[] | null {
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) return null;
  const ids: string[] = [];
  for (const item of list) {
    if (item === null) continue;
    if (typeof item !== 'string') return null;
    for (const id of item.split(/\s+/)) if (id !== '') ids.push(id);
  }
  return ids;
}
