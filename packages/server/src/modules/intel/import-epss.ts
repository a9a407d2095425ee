import { type EpssRow, FeedError, readEpss } from '@vigil/vulndb';
import { Batcher, type ImportContext, type KindResult, parseReleaseDate } from './import-context.ts';
import { fail } from './intel.errors.ts';

const BATCH = 5000;

/**
 * Imports a FIRST EPSS score file (the daily bulk CSV, with or without its `#model_version` line,
 * or the headerless `;` form; plain or gzip). Only scores that changed are written; CVEs no longer
 * scored are removed. A file with an unreadable row is refused, naming the row: the file is
 * generated whole every day, so a broken row means a damaged copy, and yesterday's scores are
 * better than a partial today. An older score date than the stored one is refused too.
 */
export async function importEpss(ctx: ImportContext): Promise<KindResult> {
  const { session, source } = ctx;
  const { rows: storedRows } = await session.query<{ cve_id: string; epss: number; percentile: number }>(
    'SELECT cve_id, epss::float8 AS epss, percentile::float8 AS percentile FROM vigil.epss_scores',
  );
  const stored = new Map<string, [number, number]>();
  for (const row of storedRows) stored.set(row.cve_id, [Number(row.epss), Number(row.percentile)]);
  storedRows.length = 0;

  const seen = new Set<string>();
  const problems: string[] = [];
  let records = 0;
  let added = 0;
  let modified = 0;
  const batch = new Batcher<EpssRow>(BATCH, (rows) => writeScores(ctx, rows));
  const onRow = async (row: EpssRow): Promise<void> => {
    records++;
    ctx.progress(records);
    if (seen.has(row.cve)) {
      const reason = `${row.cve} is scored twice`;
      ctx.problem({ file: source.path, record: row.cve, row: row.line, reason });
      problems.push(`${source.display}:${row.line}: ${reason}`);
      return;
    }
    seen.add(row.cve);
    const before = stored.get(row.cve);
    if (before && before[0] === row.epss && before[1] === row.percentile) return;
    if (before) modified++;
    else added++;
    batch.push(row);
    await batch.drain();
  };
  let summary: Awaited<ReturnType<typeof readEpss>>;
  try {
    summary = await readEpss(
      source.path,
      onRow,
      (p) => {
        ctx.problem({ file: p.file, record: p.record, row: p.row, reason: p.reason });
        problems.push(`${source.display}${p.row === null ? '' : `:${p.row}`}: ${p.reason}`);
      },
      ctx.options.limits,
    );
  } catch (error) {
    if (error instanceof FeedError) throw fail('FEED_SOURCE_INVALID', error.message);
    throw error;
  }
  if (problems.length > 0) {
    throw fail(
      'FEED_SOURCE_INVALID',
      `${problems.length} EPSS rows cannot be used, so the file was not imported: ${problems.slice(0, 3).join('; ')}`,
    );
  }
  if (seen.size === 0) throw fail('FEED_EMPTY', `${source.display}: the EPSS file scores no CVE; the feed is left as it was`);

  const releasedAt = parseReleaseDate(summary.scoreDate);
  const stamp = ctx.previous?.releasedAt ?? null;
  if (stamp && !releasedAt && !ctx.options.allowOlder) {
    throw fail(
      'FEED_OLDER_EDITION',
      `${source.display}: this EPSS file says no score date, so it cannot be shown newer than the scores imported (${stamp.toISOString().slice(0, 10)}); nothing was changed (pass --allow-older to import it anyway)`,
    );
  }
  if (stamp && releasedAt && releasedAt < stamp && !ctx.options.allowOlder) {
    throw fail(
      'FEED_OLDER_EDITION',
      `${source.display}: these EPSS scores (score date ${releasedAt.toISOString().slice(0, 10)}) are older than the ones imported (${stamp.toISOString().slice(0, 10)}); nothing was changed (pass --allow-older to import them anyway)`,
    );
  }
  await batch.flush();
  const gone = [...stored.keys()].filter((cve) => !seen.has(cve));
  for (let i = 0; i < gone.length; i += BATCH) {
    await session.query('DELETE FROM vigil.epss_scores WHERE cve_id = ANY($1::text[])', [gone.slice(i, i + BATCH)]);
  }
  const edition = [summary.modelVersion, summary.scoreDate ? `score date ${summary.scoreDate.slice(0, 10)}` : null]
    .filter(Boolean)
    .join(', ');
  return {
    counts: { records, added, modified, withdrawn: gone.length },
    recordCount: seen.size,
    edition: edition || null,
    releasedAt,
  };
}

async function writeScores(ctx: ImportContext, rows: EpssRow[]): Promise<void> {
  await ctx.session.query(
    `INSERT INTO vigil.epss_scores (cve_id, epss, percentile, import_id)
     SELECT t.cve, t.epss::numeric, t.percentile::numeric, $1 FROM unnest($2::text[], $3::text[], $4::text[]) AS t(cve, epss, percentile)
     ON CONFLICT (cve_id) DO UPDATE SET epss = EXCLUDED.epss, percentile = EXCLUDED.percentile, import_id = EXCLUDED.import_id`,
    [ctx.importId, rows.map((r) => r.cve), rows.map((r) => r.epssText), rows.map((r) => r.percentileText)],
  );
}
