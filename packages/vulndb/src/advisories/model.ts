import type { OsvRecord } from '../osv/model.ts';

/**
 * Shared types of the advisory readers: a problem is one thing skipped (a record, an entry, a
 * file) with the reason; an AdvisorySourceError is a whole source that cannot be trusted (a
 * truncated archive, a zip bomb) and stops the read.
 */

/** One skipped item. `origin` names the file, or `archive.zip!entry/path.json` inside a zip. */
export interface AdvisoryProblem {
  origin: string;
  recordId: string | null;
  reason: string;
}

/** Records converted from a non-OSV feed, each already validated against the OSV schema, and what was skipped. */
export interface ConvertedRecords {
  records: OsvRecord[];
  problems: AdvisoryProblem[];
}

/** A source that cannot be read at all, or must not be read on: the caller reports it and exits 2. */
export class AdvisorySourceError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'AdvisorySourceError';
  }
}

/**
 * A fixed `modified` for records converted from feeds that carry no date (Debian tracker, Alpine
 * secdb): the OSV schema requires the field, and the epoch says plainly "unknown" rather than
 * inventing a date that would look real.
 */
export const UNKNOWN_MODIFIED = '1970-01-01T00:00:00Z';

/** At most this many problems are kept per converted document; the rest are counted in one closing note. */
export const MAX_PROBLEMS_PER_DOCUMENT = 200;

/** Collects problems up to a cap, so a hostile document cannot make the answer huge. */
export class ProblemList {
  readonly list: AdvisoryProblem[] = [];
  private dropped = 0;

  constructor(
    private readonly origin: string,
    private readonly max = MAX_PROBLEMS_PER_DOCUMENT,
  ) {}

  add(recordId: string | null, reason: string): void {
    if (this.list.length < this.max) this.list.push({ origin: this.origin, recordId, reason });
    else this.dropped++;
  }

  done(): AdvisoryProblem[] {
    if (this.dropped > 0) this.list.push({ origin: this.origin, recordId: null, reason: `${this.dropped} further problems not shown` });
    return this.list;
  }
}

/**
 * Forwards problems up to a cap and counts the rest, for one document or one archive: the sink
 * never receives more than `max` + 1 problems from it, however hostile it is. Call `finish()`
 * at the end (also on a fatal error) to forward the closing count.
 */
export class ProblemGate {
  private forwarded = 0;
  private dropped = 0;

  constructor(
    private readonly forward: (problem: AdvisoryProblem) => void,
    private readonly origin: string,
    private readonly max = MAX_PROBLEMS_PER_DOCUMENT,
  ) {}

  add(problem: AdvisoryProblem): void {
    if (this.forwarded < this.max) {
      this.forwarded++;
      this.forward(problem);
    } else this.dropped++;
  }

  finish(): void {
    if (this.dropped === 0) return;
    this.forward({ origin: this.origin, recordId: null, reason: `${this.dropped} further problems not shown` });
    this.dropped = 0;
  }
}

/** Keys that must never be used as object keys taken from untrusted data. */
export const HOSTILE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Shortens a possibly huge string for a message. */
export function quote(value: string, max = 80): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}
