import type { SqlSession } from '../../db/migrate.ts';
import type { FeedKind } from './feed-source.ts';
import { fail } from './intel.errors.ts';

export interface FeedRow {
  name: string;
  kind: FeedKind;
  source: string;
  sourceSha256: string;
  recordCount: number;
  edition: string | null;
  releasedAt: Date | null;
  importedAt: Date;
  checkedAt: Date;
  /** The last import added and updated only (`--partial`): it did not withdraw what it lacked. */
  partial: boolean;
}

export type ChangeKind = 'added' | 'modified' | 'withdrawn';

export interface ImportCounts {
  records: number;
  added: number;
  modified: number;
  withdrawn: number;
  problems: number;
}

const FEED_COLUMNS = `name, kind, source, source_sha256 AS "sourceSha256", record_count AS "recordCount", edition,
  released_at AS "releasedAt", imported_at AS "importedAt", checked_at AS "checkedAt", partial`;

export async function findFeed(session: SqlSession, name: string): Promise<FeedRow | null> {
  const { rows } = await session.query<FeedRow>(`SELECT ${FEED_COLUMNS} FROM vigil.feeds WHERE name = $1`, [name]);
  return rows[0] ? normaliseFeed(rows[0]) : null;
}

export async function listFeeds(session: SqlSession): Promise<FeedRow[]> {
  const { rows } = await session.query<FeedRow>(`SELECT ${FEED_COLUMNS} FROM vigil.feeds ORDER BY kind, name`);
  return rows.map(normaliseFeed);
}

function normaliseFeed(row: FeedRow): FeedRow {
  const date = (value: unknown): Date | null => (value === null || value === undefined ? null : new Date(value as string));
  return {
    ...row,
    recordCount: Number(row.recordCount),
    releasedAt: date(row.releasedAt),
    importedAt: date(row.importedAt) as Date,
    checkedAt: date(row.checkedAt) as Date,
  };
}

/**
 * Holds the feed for the rest of the transaction. A second importer of the same feed is refused at
 * once rather than queued: it would only redo the same work after the first commits.
 */
export async function lockFeed(session: SqlSession, name: string): Promise<void> {
  const { rows } = await session.query<{ locked: boolean }>(
    `SELECT pg_try_advisory_xact_lock(hashtext('vigil.feed'), hashtext($1)) AS locked`,
    [name],
  );
  if (!rows[0]?.locked) throw fail('FEED_BUSY', `feed ${name} is being imported by another process; try again when it has finished`);
}

export interface ImportStart {
  feed: string;
  kind: FeedKind;
  source: string;
  sourceSha256: string;
  startedAt: Date;
}

/** Creates the feed on its first import (its row is completed by finishImport) and the import row. */
export async function beginImport(session: SqlSession, start: ImportStart): Promise<number> {
  await session.query(
    `INSERT INTO vigil.feeds (name, kind, source, source_sha256, record_count, imported_at, checked_at)
     VALUES ($1, $2, $3, $4, 0, $5, $5) ON CONFLICT (name) DO NOTHING`,
    [start.feed, start.kind, start.source, start.sourceSha256, start.startedAt],
  );
  const { rows } = await session.query<{ id: string }>(
    `INSERT INTO vigil.feed_imports (feed, source, source_sha256, started_at, finished_at, records, added, modified, withdrawn, problems)
     VALUES ($1, $2, $3, $4, $4, 0, 0, 0, 0, 0) RETURNING id`,
    [start.feed, start.source, start.sourceSha256, start.startedAt],
  );
  return Number(rows[0]?.id);
}

export interface ImportFinish {
  importId: number;
  start: ImportStart;
  counts: ImportCounts;
  recordCount: number;
  edition: string | null;
  releasedAt: Date | null;
  partial: boolean;
  problemSamples: unknown[];
}

export async function finishImport(session: SqlSession, finish: ImportFinish): Promise<void> {
  const now = new Date();
  const { counts, start } = finish;
  await session.query(
    `UPDATE vigil.feed_imports SET finished_at = $2, records = $3, added = $4, modified = $5, withdrawn = $6, problems = $7,
       problem_samples = $8::jsonb WHERE id = $1`,
    [
      finish.importId,
      now,
      counts.records,
      counts.added,
      counts.modified,
      counts.withdrawn,
      counts.problems,
      JSON.stringify(finish.problemSamples),
    ],
  );
  await session.query(
    // A known release date is never replaced by none: an undated copy must not disarm the check
    // that refuses older editions.
    `UPDATE vigil.feeds SET source = $2, source_sha256 = $3, record_count = $4, edition = coalesce($5, edition),
       released_at = coalesce($6, released_at), imported_at = $7, checked_at = $7, partial = $8 WHERE name = $1`,
    [start.feed, start.source, start.sourceSha256, finish.recordCount, finish.edition, finish.releasedAt, now, finish.partial],
  );
}

/** A sync found the mirror's file unchanged: the feed is current, and nothing else is written. */
export async function markChecked(session: SqlSession, name: string): Promise<void> {
  await session.query('UPDATE vigil.feeds SET checked_at = now() WHERE name = $1', [name]);
}

/**
 * Logs what changed. With `advisoryFeed`, each row also keeps the advisory as the feed holds it
 * now, so call it before overwriting; a record changed twice in one import keeps its first
 * `previous`, the state before the import.
 */
export async function recordChanges(
  session: SqlSession,
  importId: number,
  ids: readonly string[],
  changes: readonly ChangeKind[],
  advisoryFeed?: string,
): Promise<void> {
  if (ids.length === 0) return;
  await session.query(
    `INSERT INTO vigil.feed_changes (import_id, record_id, change, previous)
     SELECT $1, t.id, t.change, (SELECT a.record FROM vigil.advisories a WHERE a.feed = $4 AND a.id = t.id)
     FROM unnest($2::text[], $3::text[]) AS t(id, change)
     ON CONFLICT (import_id, record_id) DO UPDATE SET change = EXCLUDED.change`,
    [importId, ids, changes, advisoryFeed ?? null],
  );
}

export interface ImportHistoryRow {
  id: number;
  feed: string;
  source: string;
  sourceSha256: string;
  startedAt: Date;
  finishedAt: Date;
  records: number;
  added: number;
  modified: number;
  withdrawn: number;
  problems: number;
}

export async function recentImports(session: SqlSession, feed: string, limit = 10): Promise<ImportHistoryRow[]> {
  const { rows } = await session.query<ImportHistoryRow>(
    `SELECT id, feed, source, source_sha256 AS "sourceSha256", started_at AS "startedAt", finished_at AS "finishedAt",
       records, added, modified, withdrawn, problems FROM vigil.feed_imports WHERE feed = $1 ORDER BY id DESC LIMIT $2`,
    [feed, limit],
  );
  return rows.map((row) => ({ ...row, id: Number(row.id), startedAt: new Date(row.startedAt), finishedAt: new Date(row.finishedAt) }));
}

/** What one import changed, by record id: the input of incremental matching. */
export async function changesOf(session: SqlSession, importId: number): Promise<Map<string, ChangeKind>> {
  const { rows } = await session.query<{ record_id: string; change: ChangeKind }>(
    'SELECT record_id, change FROM vigil.feed_changes WHERE import_id = $1',
    [importId],
  );
  return new Map(rows.map((row) => [row.record_id, row.change]));
}
