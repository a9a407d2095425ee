import type { VersionComparator } from '../versions/comparator.ts';

/** One event of an OSV range, exactly one key set, as the schema requires. */
export type RangeEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

export interface Range {
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT';
  events: RangeEvent[];
}

/** Why a version is affected, in words a user can check against the advisory. */
export interface RangeVerdict {
  affected: boolean;
  /** e.g. `introduced 0, fixed 1.4; 1.2 < 1.4` — the interval that matched and the comparison. */
  explanation: string;
  /** The first fixed version above the installed one, when the range names one. */
  fixed: string | null;
  /** How the interval that matched ends: at a fix, at a last affected version, or not at all. */
  bound: 'fixed' | 'last_affected' | 'open' | null;
}

interface Interval {
  introduced: string;
  fixed?: string;
  lastAffected?: string;
}

const kindOf = (e: RangeEvent) => Object.keys(e)[0] as 'introduced' | 'fixed' | 'last_affected' | 'limit';
const eventVersion = (e: RangeEvent) => Object.values(e)[0] as string;

/**
 * Evaluates one ECOSYSTEM or SEMVER range as the OSV schema's "Evaluation" section specifies:
 * events sorted by version (`introduced: "0"` first), walked in order, with `introduced`
 * opening an affected interval, `fixed` closing it at that version (exclusive) and
 * `last_affected` closing it after that version (inclusive); `limit` events bound the whole range
 * (the version must be below some limit). Invalid versions in the events throw from the
 * comparator: a range that cannot be read is the caller's to report, not to guess.
 */
export function evaluateRange(range: Range, version: string, cmp: VersionComparator): RangeVerdict {
  const limits = range.events.filter((e) => kindOf(e) === 'limit').map(eventVersion);
  if (limits.length > 0 && !limits.some((limit) => limit === '*' || cmp.compare(version, limit) < 0)) {
    return { affected: false, explanation: `at or above every limit (${limits.join(', ')})`, fixed: null, bound: null };
  }
  for (const interval of intervals(range.events, cmp)) {
    const above = interval.introduced === '0' || cmp.compare(version, interval.introduced) >= 0;
    if (!above) continue;
    if (interval.fixed !== undefined) {
      if (cmp.compare(version, interval.fixed) < 0) {
        return {
          affected: true,
          explanation: `introduced ${interval.introduced}, fixed ${interval.fixed}; ${version} < ${interval.fixed}`,
          fixed: interval.fixed,
          bound: 'fixed',
        };
      }
      continue;
    }
    if (interval.lastAffected !== undefined) {
      if (cmp.compare(version, interval.lastAffected) <= 0) {
        return {
          affected: true,
          explanation: `introduced ${interval.introduced}, last affected ${interval.lastAffected}; ${version} <= ${interval.lastAffected}`,
          fixed: null,
          bound: 'last_affected',
        };
      }
      continue;
    }
    return {
      affected: true,
      explanation: `introduced ${interval.introduced}, no fix; ${version} >= ${interval.introduced}`,
      fixed: null,
      bound: 'open',
    };
  }
  return { affected: false, explanation: 'outside every affected interval', fixed: null, bound: null };
}

/**
 * Turns the events into affected intervals by sorting and walking them; this is the schema's
 * algorithm with the intervals made explicit so that a verdict can name the one that matched.
 * Sorting is stable and puts `introduced: "0"` before everything.
 */
function intervals(events: RangeEvent[], cmp: VersionComparator): Interval[] {
  const ordered = events
    .filter((e) => kindOf(e) !== 'limit')
    .map((e, index) => ({ kind: kindOf(e), value: eventVersion(e), index }))
    .sort((x, y) => {
      if (x.kind === 'introduced' && x.value === '0') return y.kind === 'introduced' && y.value === '0' ? x.index - y.index : -1;
      if (y.kind === 'introduced' && y.value === '0') return 1;
      return cmp.compare(x.value, y.value) || x.index - y.index;
    });
  const out: Interval[] = [];
  let open: Interval | null = null;
  for (const event of ordered) {
    if (event.kind === 'introduced') {
      // A second introduced inside an open interval changes nothing: it is already affected.
      if (!open) open = { introduced: event.value };
    } else if (open) {
      out.push(event.kind === 'fixed' ? { ...open, fixed: event.value } : { ...open, lastAffected: event.value });
      open = null;
    }
  }
  if (open) out.push(open);
  return out;
}
