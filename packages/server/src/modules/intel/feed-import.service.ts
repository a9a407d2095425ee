import type { Database } from '../../db/database.ts';
import type { SqlSession } from '../../db/migrate.ts';
import { type FeedSource, sourceDigest } from './feed-source.ts';
import { beginImport, type ChangeKind, type FeedRow, findFeed, finishImport, lockFeed } from './feed-store.repo.ts';
import { importAdvisories } from './import-advisories.ts';
import type { ImportContext, ImportOptions, ImportProblem, KindResult } from './import-context.ts';
import { importEpss } from './import-epss.ts';
import { importKev } from './import-kev.ts';
import { importNvd } from './import-nvd.ts';
import { fail } from './intel.errors.ts';

export interface ImportReport {
  feed: string;
  kind: FeedSource['kind'];
  source: string;
  sha256: string;
  /** `unchanged`: the feed was last imported from this very file; nothing was written. */
  status: 'imported' | 'unchanged';
  records: number;
  added: number;
  modified: number;
  withdrawn: number;
  /** Live records the feed holds after the import. */
  recordCount: number;
  problems: number;
  problemSamples: ImportProblem[];
  importId: number | null;
  /** Advisory and KEV record ids that changed, for incremental matching. */
  changes: Map<string, ChangeKind>;
}

export interface ImportObserver {
  /** The running count of records read, and the count expected (the feed's previous size) when known. */
  progress?(records: number, expected: number | null): void;
}

const MAX_PROBLEM_SAMPLES = 50;

const IMPORTERS: Record<FeedSource['kind'], (ctx: ImportContext) => Promise<KindResult>> = {
  osv: importAdvisories,
  kev: importKev,
  epss: importEpss,
  nvd: importNvd,
};

/**
 * Imports one source into its feed, in one transaction: the feed afterwards holds either the whole
 * new copy or, when anything fails (a bad file, a crash, a kill), exactly what it held before.
 * A source identical to the one the feed was last imported from writes nothing.
 */
export async function importFeed(
  database: Database,
  source: FeedSource,
  options: ImportOptions = {},
  observer: ImportObserver = {},
): Promise<ImportReport> {
  const sha256 = await sourceDigest(source.path);
  const previous = await findFeed(database, source.name);
  if (previous && previous.kind !== source.kind) {
    throw fail('FEED_KIND_MISMATCH', `${source.display} holds ${source.kind} data but feed ${source.name} is a ${previous.kind} feed`);
  }
  if (previous && (await alreadyImported(database, source, options, sha256, previous))) return unchanged(source, sha256, previous);

  const problemSamples: ImportProblem[] = [];
  let problems = 0;
  const expected = previous?.recordCount || null;
  return database.sqlTransaction(async (session) => {
    await lockFeed(session, source.name);
    // Read again under the lock: another process may have imported this very file meanwhile.
    const current = await findFeed(session, source.name);
    if (current && current.kind !== source.kind) {
      throw fail('FEED_KIND_MISMATCH', `${source.display} holds ${source.kind} data but feed ${source.name} is a ${current.kind} feed`);
    }
    if (current && (await alreadyImported(session, source, options, sha256, current))) return unchanged(source, sha256, current);
    const start = { feed: source.name, kind: source.kind, source: source.display, sourceSha256: sha256, startedAt: new Date() };
    const importId = await beginImport(session, start);
    const ctx: ImportContext = {
      session,
      source,
      importId,
      previous: current,
      options,
      progress: (records) => observer.progress?.(records, expected),
      problem: (problem) => {
        problems++;
        if (problemSamples.length < MAX_PROBLEM_SAMPLES) problemSamples.push(problem);
      },
    };
    let result: KindResult;
    try {
      result = await IMPORTERS[source.kind](ctx);
    } catch (error) {
      // A value the database refuses (class 22, data exception) is bad input, not a crash.
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && code.startsWith('22')) {
        throw fail(
          'FEED_SOURCE_INVALID',
          `${source.display}: the database refused a record (${(error as Error).message}); nothing was imported`,
        );
      }
      throw error;
    }
    await finishImport(session, {
      importId,
      start,
      counts: { ...result.counts, problems },
      recordCount: result.recordCount,
      edition: result.edition,
      releasedAt: result.releasedAt,
      partial: Boolean(options.partial),
      problemSamples,
    });
    return {
      feed: source.name,
      kind: source.kind,
      source: source.display,
      sha256,
      status: 'imported',
      ...result.counts,
      recordCount: result.recordCount,
      problems,
      problemSamples,
      importId,
      changes: result.changes ?? new Map(),
    } satisfies ImportReport;
  });
}

/**
 * A snapshot feed is unchanged when its last import was from this very file. NVD pages and
 * partial imports accumulate instead: a file imported into the feed before has nothing to add, and
 * importing an old page again must not bring back what newer pages changed.
 */
async function alreadyImported(
  session: SqlSession,
  source: FeedSource,
  options: ImportOptions,
  sha256: string,
  feed: FeedRow,
): Promise<boolean> {
  // A snapshot import of the file last imported as a partial one still has to withdraw.
  if (feed.sourceSha256 === sha256 && (!feed.partial || options.partial || source.kind === 'nvd')) return true;
  if (source.kind !== 'nvd' && !options.partial) return false;
  const { rows } = await session.query('SELECT 1 FROM vigil.feed_imports WHERE feed = $1 AND source_sha256 = $2 LIMIT 1', [
    source.name,
    sha256,
  ]);
  return rows.length > 0;
}

function unchanged(source: FeedSource, sha256: string, feed: FeedRow): ImportReport {
  return {
    feed: source.name,
    kind: source.kind,
    source: source.display,
    sha256,
    status: 'unchanged',
    records: 0,
    added: 0,
    modified: 0,
    withdrawn: 0,
    recordCount: feed.recordCount,
    problems: 0,
    problemSamples: [],
    importId: null,
    changes: new Map(),
  };
}
