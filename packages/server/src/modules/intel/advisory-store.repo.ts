import { AdvisoryIndex, type OsvRecord } from '@vigil/vulndb';
import type { SqlSession } from '../../db/migrate.ts';

/** What a scan can match: Vigil ecosystem keys (`npm`, `debian:12`) and normalised package names. */
export interface WantedPackages {
  ecosystems: string[];
  names: string[];
}

export interface StoredAdvisories {
  index: AdvisoryIndex;
  /** Live records read into the index. */
  records: number;
}

/**
 * The live advisories naming any wanted package, as one index for the matcher. The lookup starts
 * from advisory_packages (the import wrote one row per ecosystem key and normalised name a live
 * record names), so only records that can match are read; the cross product of keys and names may
 * fetch a few records more than needed, which matching then ignores.
 *
 * Records are used as stored, not parsed again: the only writer of `vigil.advisories` is the feed
 * import, which stores what `readAdvisories` produced after parseOsvRecord had validated it
 * (the JSON of that same object). Parsing each again would double the cost of the scan's
 * largest step and protect against nothing a scan could recover from.
 */
export async function loadAdvisoryIndex(session: SqlSession, wanted: WantedPackages): Promise<StoredAdvisories> {
  const index = new AdvisoryIndex();
  if (wanted.ecosystems.length === 0 || wanted.names.length === 0) return { index, records: 0 };
  const { rows } = await session.query<{ feed: string; record: OsvRecord | string }>(
    `SELECT a.feed, a.record
       FROM vigil.advisories a
      WHERE NOT a.withdrawn
        AND (a.feed, a.id) IN (
          SELECT p.feed, p.advisory_id FROM vigil.advisory_packages p
           WHERE p.ecosystem = ANY($1::text[]) AND p.name = ANY($2::text[]))
      ORDER BY a.feed, a.id`,
    [unique(wanted.ecosystems), unique(wanted.names)],
  );
  for (const row of rows) {
    // Both drivers return jsonb parsed; a text value would mean a driver set up otherwise.
    const record = typeof row.record === 'string' ? (JSON.parse(row.record) as OsvRecord) : row.record;
    index.add(record, `feed:${row.feed}`);
  }
  return { index, records: rows.length };
}

/** True when at least one advisory feed (of any source format) has been imported. */
export async function hasAdvisoryFeeds(session: SqlSession): Promise<boolean> {
  const { rows } = await session.query<{ present: boolean }>(`SELECT EXISTS (SELECT 1 FROM vigil.feeds WHERE kind = 'osv') AS present`);
  return rows[0]?.present === true;
}

const unique = (values: readonly string[]): string[] => [...new Set(values)];
