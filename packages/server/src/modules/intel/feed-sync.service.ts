import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import { DEFAULT_OUTBOUND_POLICY, downloadToFile, type OutboundPolicy, redactUrl } from '../../lib/outbound/index.ts';
import { type ImportObserver, type ImportReport, importFeed } from './feed-import.service.ts';
import { identifySource } from './feed-source.ts';
import { markChecked } from './feed-store.repo.ts';
import type { ImportOptions } from './import-context.ts';

export interface FetchedImport {
  feed: string;
  url: string;
  report?: ImportReport;
  error?: string;
}

export function outboundPolicy(config: Pick<Config, 'outbound'>): OutboundPolicy {
  return {
    ...DEFAULT_OUTBOUND_POLICY,
    allowHttp: config.outbound.allowHttp,
    allowPrivateHosts: config.outbound.allowPrivateHosts,
    maxBytes: config.outbound.maxBytes,
    timeoutMs: config.outbound.timeoutMs,
  };
}

/**
 * Downloads `url` through the outbound guard into the data directory, imports it into `feed` (or
 * the feed its content implies) and removes the download. A download that fails leaves every feed
 * as it was.
 */
export async function importFromUrl(
  database: Database,
  config: Pick<Config, 'outbound' | 'dataDir'>,
  url: string,
  options: ImportOptions & { feed?: string; sync?: boolean; signal?: AbortSignal } = {},
  observer: ImportObserver = {},
): Promise<ImportReport> {
  const dir = path.join(config.dataDir, 'downloads');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `feed-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`);
  try {
    await downloadToFile(url, file, outboundPolicy(config), options.signal ? { signal: options.signal } : {});
    // Named after the URL's path, never the download's temporary name: the same URL is the same feed.
    const source = await identifySource(file, {
      display: redactUrl(url),
      nameFrom: decodeURIComponent(new URL(url).pathname),
      ...(options.feed ? { name: options.feed } : {}),
    });
    const report = await importFeed(database, source, options, observer);
    // A sync that found the mirror's file unchanged still confirms the feed is current.
    if (report.status === 'unchanged' && options.sync) await markChecked(database, report.feed);
    return report;
  } finally {
    await rm(file, { force: true });
  }
}

/** Fetches every configured mirror in turn; one failing mirror does not stop the others. */
export async function syncFeeds(
  database: Database,
  config: Pick<Config, 'outbound' | 'dataDir' | 'feeds'>,
  observer: (feed: string) => ImportObserver = () => ({}),
  signal?: AbortSignal,
): Promise<FetchedImport[]> {
  const results: FetchedImport[] = [];
  for (const mirror of config.feeds.mirrors) {
    if (signal?.aborted) break;
    const shown = redactUrl(mirror.url);
    try {
      const report = await importFromUrl(
        database,
        config,
        mirror.url,
        { feed: mirror.feed, sync: true, ...(signal ? { signal } : {}) },
        observer(mirror.feed),
      );
      results.push({ feed: mirror.feed, url: shown, report });
    } catch (error) {
      // One mirror's failure, whatever it is, must not keep the others from syncing.
      const message = error instanceof AppError ? error.message : `internal error: ${(error as Error)?.message ?? String(error)}`;
      results.push({ feed: mirror.feed, url: shown, error: message });
    }
  }
  return results;
}
