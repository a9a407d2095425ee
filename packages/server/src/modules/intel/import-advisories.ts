import { AdvisorySourceError, ecosystemKey, mergeRecords, normaliseName, type OsvRecord, readAdvisories } from '@vigil/vulndb';
import { sha256Hex, unstorableJson } from '../../lib/canonical-json.ts';
import type { ChangeKind } from './feed-store.repo.ts';
import { recordChanges } from './feed-store.repo.ts';
import { Batcher, type ImportContext, type KindResult } from './import-context.ts';
import { fail } from './intel.errors.ts';

interface AdvisoryRow {
  id: string;
  modified: string | null;
  withdrawn: boolean;
  aliases: string;
  record: string;
  hash: string;
  origin: string;
  change: ChangeKind;
  packages: Array<[string, string]>;
}

interface Stored {
  hash: string;
  withdrawn: boolean;
  modified: string | null;
}

/** An OSV `modified` time in milliseconds; null when absent or unreadable. */
const timeOf = (modified: string | null | undefined): number | null => {
  if (!modified) return null;
  const t = Date.parse(modified);
  return Number.isNaN(t) ? null : t;
};

/** A stored record modified after everything in this copy: the copy predates it (a stale mirror). */
const postdates = (modified: string | null, newest: number | null): boolean => {
  const t = timeOf(modified);
  return t !== null && newest !== null && t > newest;
};

const BATCH = 500;

/**
 * Imports an advisory source (OSV, Debian tracker, Alpine secdb, WordPress feeds) into one feed.
 * Each record is compared by the hash of its JSON (as parsed) with what the feed holds: only new and
 * changed records are written. Unless the import is partial, records the feed holds that the
 * source no longer has are marked withdrawn, as are records their publisher withdrew.
 */
export async function importAdvisories(ctx: ImportContext): Promise<KindResult> {
  const { session, source } = ctx;
  const stored = new Map<string, Stored>();
  const { rows } = await session.query<{ id: string; record_sha256: string; withdrawn: boolean; modified: string | null }>(
    'SELECT id, record_sha256, withdrawn, modified FROM vigil.advisories WHERE feed = $1',
    [source.name],
  );
  for (const row of rows) stored.set(row.id, { hash: row.record_sha256, withdrawn: row.withdrawn, modified: row.modified });
  let newest: number | null = null;

  const seen = new Map<string, string>();
  // Later records with an id already seen, merged in at the end (WordPress feeds list one
  // vulnerability once per plugin or theme it affects).
  const duplicates = new Map<string, OsvRecord[]>();
  const changes = new Map<string, ChangeKind>();
  let records = 0;
  let problems = 0;
  // Records this copy names but that could not be read: not "gone", so never withdrawn for it.
  const unread = new Set<string>();
  const problem = (p: { origin: string; recordId: string | null; reason: string }): void => {
    problems++;
    if (p.recordId !== null) unread.add(p.recordId);
    ctx.problem({ file: p.origin, record: p.recordId, row: null, reason: p.reason });
  };
  const batch = new Batcher<AdvisoryRow>(BATCH, (rows) => writeAdvisories(ctx, rows));

  const onRecord = (record: OsvRecord, origin: string): void => {
    records++;
    ctx.progress(records);
    // Not canonicalised (sorted keys): that cost a fifth of the import, and a publisher's tooling
    // writes its keys in one order; a copy reordered only re-checks its records as modified.
    const text = JSON.stringify(record);
    const unstorable = unstorableJson(text);
    if (unstorable) {
      problem({ origin, recordId: record.id, reason: `${unstorable}; skipped` });
      return;
    }
    const hash = sha256Hex(text);
    const earlier = seen.get(record.id);
    if (earlier !== undefined) {
      if (earlier !== hash) {
        const list = duplicates.get(record.id) ?? [];
        list.push(record);
        duplicates.set(record.id, list);
      }
      return;
    }
    seen.set(record.id, hash);
    const withdrawn = Boolean(record.withdrawn);
    const before = stored.get(record.id);
    const modified = timeOf(record.modified);
    if (modified !== null && (newest === null || modified > newest)) newest = modified;
    if (before && before.hash === hash && before.withdrawn === withdrawn) return;
    // A copy of a record older than the stored one (a stale mirror) must not undo its update.
    const storedModified = timeOf(before?.modified);
    if (before && modified !== null && storedModified !== null && modified < storedModified) {
      ctx.problem({
        file: origin,
        record: record.id,
        row: null,
        reason: `older than the stored copy (modified ${record.modified} < ${before.modified}); the stored one is kept`,
      });
      return;
    }
    const change: ChangeKind = !before ? 'added' : withdrawn && !before.withdrawn ? 'withdrawn' : 'modified';
    changes.set(record.id, change);
    batch.push({
      id: record.id,
      modified: record.modified ?? null,
      withdrawn,
      aliases: JSON.stringify(record.aliases ?? []),
      record: text,
      hash,
      origin,
      change,
      packages: withdrawn ? [] : packagesOf(record),
    });
  };

  try {
    await readAdvisories(
      source.path,
      {
        record: onRecord,
        problem,
      },
      { afterDocument: () => batch.drain() },
    );
  } catch (error) {
    if (error instanceof AdvisorySourceError) throw fail('FEED_SOURCE_INVALID', error.message);
    throw error;
  }
  await batch.flush();
  await mergeDuplicates(ctx, duplicates, stored, changes);
  // An empty copy of a feed that has records is far likelier a broken mirror than a feed whose
  // every advisory was retracted: withdrawing everything needs the publisher to say so per record.
  const held = [...stored.values()].filter((row) => !row.withdrawn).length;
  if (seen.size === 0 && (problems > 0 || (held > 0 && !ctx.options.partial))) {
    throw fail(
      'FEED_EMPTY',
      `${source.display}: no advisory could be read${held > 0 ? ` (the feed holds ${held}; an empty copy would withdraw them all)` : ''}; the feed is left as it was`,
    );
  }

  if (!ctx.options.partial) {
    const gone = [...stored]
      .filter(([id, row]) => !row.withdrawn && !seen.has(id) && !unread.has(id) && !postdates(row.modified, newest))
      .map(([id]) => id);
    for (const id of gone) changes.set(id, 'withdrawn');
    await withdrawMissing(ctx, gone);
  }
  const counts = { records, added: 0, modified: 0, withdrawn: 0 };
  for (const change of changes.values()) counts[change]++;
  const { rows: live } = await session.query<{ count: string }>(
    'SELECT count(*) AS count FROM vigil.advisories WHERE feed = $1 AND NOT withdrawn',
    [source.name],
  );
  return { counts, recordCount: Number(live[0]?.count ?? 0), edition: null, releasedAt: null, changes };
}

/** The (ecosystem key, normalised name) pairs a record's affected entries name. */
export function packagesOf(record: OsvRecord): Array<[string, string]> {
  const pairs = new Map<string, [string, string]>();
  for (const affected of record.affected ?? []) {
    const pkg = affected.package;
    if (!pkg) continue;
    const key = ecosystemKey(pkg.ecosystem);
    if (key === null) continue;
    const name = normaliseName(pkg.ecosystem, pkg.name);
    pairs.set(`${key}\u0000${name}`, [key, name]);
  }
  return [...pairs.values()];
}

/**
 * Writes a batch in one statement (one round trip, so the database works while the next batch is
 * parsed): the change log with each record's previous state, the records, and their packages. The
 * parts touch disjoint rows (packages a record no longer names are deleted, new ones inserted), as
 * the statements of one query must; they all read the table as it was before the statement.
 */
async function writeAdvisories(ctx: ImportContext, rows: AdvisoryRow[]): Promise<void> {
  const { session, source, importId } = ctx;
  // One JSON document per batch: the records are JSON text already, so they go in as they
  // are, not escaped again into array literals (which costs more than the database's own work).
  const batch = `[${rows
    .map(
      (r) =>
        `{"id":${JSON.stringify(r.id)},"change":"${r.change}","modified":${JSON.stringify(r.modified)},"withdrawn":${r.withdrawn},` +
        `"aliases":${r.aliases},"hash":"${r.hash}","origin":${JSON.stringify(r.origin)},"packages":${JSON.stringify(r.packages)},"record":${r.record}}`,
    )
    .join(',')}]`;
  await session.query(
    `WITH batch AS (
       SELECT * FROM jsonb_to_recordset($3::jsonb)
         AS t(id text, change text, modified text, withdrawn boolean, aliases jsonb, hash text, origin text, packages jsonb, record jsonb)
     ), wanted AS (
       SELECT b.id, p->>0 AS ecosystem, p->>1 AS name FROM batch b, jsonb_array_elements(b.packages) AS p
     ), logged AS (
       -- Looked up per row (a scalar subquery), never by joining the feed: a join plan may hash
       -- every record of the feed for each batch.
       INSERT INTO vigil.feed_changes (import_id, record_id, change, previous)
       SELECT $2, b.id, b.change, (SELECT a.record FROM vigil.advisories a WHERE a.feed = $1 AND a.id = b.id) FROM batch b
       ON CONFLICT (import_id, record_id) DO UPDATE SET change = EXCLUDED.change
     ), stale AS (
       DELETE FROM vigil.advisory_packages p
       WHERE p.feed = $1 AND p.advisory_id = ANY (ARRAY(SELECT id FROM batch))
         AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.id = p.advisory_id AND w.ecosystem = p.ecosystem AND w.name = p.name)
     ), stored AS (
       INSERT INTO vigil.advisories AS a (feed, id, modified, withdrawn, aliases, record, record_sha256, origin, import_id)
       SELECT $1, b.id, b.modified, b.withdrawn, ARRAY(SELECT jsonb_array_elements_text(b.aliases)), b.record, b.hash, b.origin, $2
       FROM batch b
       ON CONFLICT (feed, id) DO UPDATE SET modified = EXCLUDED.modified, withdrawn = EXCLUDED.withdrawn, aliases = EXCLUDED.aliases,
         record = EXCLUDED.record, record_sha256 = EXCLUDED.record_sha256, origin = EXCLUDED.origin, import_id = EXCLUDED.import_id
     )
     INSERT INTO vigil.advisory_packages (ecosystem, name, feed, advisory_id)
     SELECT DISTINCT w.ecosystem, w.name, $1, w.id FROM wanted w
     ON CONFLICT DO NOTHING`,
    [source.name, importId, batch],
  );
}

/**
 * Folds each id's later records into the first one, now in the database, and decides the change
 * against what the feed held before the import (a feed holding the same merged record: no change).
 */
async function mergeDuplicates(
  ctx: ImportContext,
  duplicates: Map<string, OsvRecord[]>,
  stored: Map<string, Stored>,
  changes: Map<string, ChangeKind>,
): Promise<void> {
  const { session, source, importId } = ctx;
  for (const [id, later] of duplicates) {
    const { rows } = await session.query<{ record: OsvRecord; origin: string }>(
      'SELECT record, origin FROM vigil.advisories WHERE feed = $1 AND id = $2',
      [source.name, id],
    );
    const first = rows[0];
    if (!first) continue;
    const merged = later.reduce(mergeRecords, first.record);
    const text = JSON.stringify(merged);
    const hash = sha256Hex(text);
    const withdrawn = Boolean(merged.withdrawn);
    const before = stored.get(id);
    const unchanged = before !== undefined && before.hash === hash && before.withdrawn === withdrawn;
    const change: ChangeKind = !before ? 'added' : withdrawn && !before.withdrawn ? 'withdrawn' : 'modified';
    await writeAdvisories(ctx, [
      {
        id,
        modified: merged.modified ?? null,
        withdrawn,
        aliases: JSON.stringify(merged.aliases ?? []),
        record: text,
        hash,
        origin: first.origin,
        change,
        packages: withdrawn ? [] : packagesOf(merged),
      },
    ]);
    if (unchanged) {
      changes.delete(id);
      await session.query('DELETE FROM vigil.feed_changes WHERE import_id = $1 AND record_id = $2', [importId, id]);
    } else changes.set(id, change);
  }
}

async function withdrawMissing(ctx: ImportContext, ids: string[]): Promise<void> {
  const { session, source, importId } = ctx;
  for (let i = 0; i < ids.length; i += 5000) {
    const slice = ids.slice(i, i + 5000);
    await recordChanges(
      session,
      importId,
      slice,
      slice.map(() => 'withdrawn' as const),
      source.name,
    );
    await session.query('UPDATE vigil.advisories SET withdrawn = true, import_id = $3 WHERE feed = $1 AND id = ANY($2::text[])', [
      source.name,
      slice,
      importId,
    ]);
    await session.query('DELETE FROM vigil.advisory_packages WHERE feed = $1 AND advisory_id = ANY($2::text[])', [source.name, slice]);
  }
}
