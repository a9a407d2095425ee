import type { SqlSession } from '../../db/migrate.ts';
import type { FeedSource } from './feed-source.ts';
import type { ChangeKind, FeedRow, ImportCounts } from './feed-store.repo.ts';

/** One problem of an import: the file (or `archive.zip!entry`), the record or row, and why. */
export interface ImportProblem {
  file: string;
  record: string | null;
  row: number | null;
  reason: string;
}

export interface ImportOptions {
  /** Add and update only: records missing from the source are not withdrawn (a slice, one advisory). */
  partial?: boolean;
  /** Import a KEV or EPSS edition older than the one stored (normally refused). */
  allowOlder?: boolean;
  /** Input limits of the feed readers (sizes, gzip ratio); their defaults otherwise. */
  limits?: { maxBytes?: number; maxRatio?: number; ratioFloorBytes?: number };
}

/** What a kind-specific importer works with, inside the import's transaction. */
export interface ImportContext {
  session: SqlSession;
  source: FeedSource;
  importId: number;
  previous: FeedRow | null;
  options: ImportOptions;
  /** Called as records are read, with the running count. */
  progress(records: number): void;
  problem(problem: ImportProblem): void;
}

export interface KindResult {
  counts: Omit<ImportCounts, 'problems'>;
  recordCount: number;
  edition: string | null;
  releasedAt: Date | null;
  /** Record ids and how they changed, for the feeds that keep a change log. */
  changes?: Map<string, ChangeKind>;
}

/**
 * Rows wait here until a batch is full, then go to the database in one statement. Readers call
 * `drain` between documents or chunks. One batch is written while the next is read: on
 * PostgreSQL the server stores while this process parses. Apart from the document being read, at
 * most two batches are in memory; a failed write is thrown from the next `drain` or `flush`.
 */
export class Batcher<T> {
  private rows: T[] = [];
  private writing: Promise<void> | null = null;

  constructor(
    private readonly size: number,
    private readonly write: (rows: T[]) => Promise<void>,
  ) {}

  push(row: T): void {
    this.rows.push(row);
  }

  async drain(): Promise<void> {
    // A document may bring far more than one batch (a distribution tracker is one document):
    // written batch by batch, the last one left writing while reading goes on.
    while (this.rows.length >= this.size) {
      await this.settle();
      const batch = this.rows.splice(0, this.size);
      this.writing = this.write(batch);
      // Observed at the next drain or flush; until then it must not count as unhandled.
      this.writing.catch(() => {});
    }
  }

  async flush(): Promise<void> {
    await this.settle();
    while (this.rows.length > 0) {
      const batch = this.rows.splice(0, this.size);
      await this.write(batch);
    }
  }

  private async settle(): Promise<void> {
    const pending = this.writing;
    this.writing = null;
    if (pending) await pending;
  }
}

/** A publisher's release date that compares: an ISO date or timestamp, else null. */
export function parseReleaseDate(text: string | null | undefined): Date | null {
  if (!text) return null;
  // EPSS writes `2025-08-16T00:00:00+0000`: a zone without a colon, which Date does not read.
  const fixed = text.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const date = new Date(fixed);
  return Number.isNaN(date.getTime()) ? null : date;
}
