import { z } from 'zod';
import type { Config } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import { defineJob } from '../../jobs/job.definition.ts';
import type { Logger } from '../../logger.ts';
import { syncFeeds } from './feed-sync.service.ts';

/**
 * Fetches every configured mirror on FEED_SYNC_CRON. A mirror that fails is logged and retried at
 * the next run; its feed keeps what it had, and `vigil feeds status` shows it ageing.
 */
export function feedSyncJob(deps: { config: Config; database: Database; logger: Logger }) {
  return defineJob({
    name: 'feeds.sync',
    payload: z.object({}),
    retry: { limit: 2, delaySeconds: 300, backoff: true },
    expireInSeconds: 6 * 60 * 60,
    schedule: deps.config.feeds.syncCron,
    async handler(_payload, ctx) {
      if (deps.config.feeds.mirrors.length === 0) return;
      const results = await syncFeeds(deps.database, deps.config, () => ({}), ctx.signal);
      for (const result of results) {
        if (result.error) deps.logger.warn({ feed: result.feed, url: result.url, error: result.error }, 'feed sync failed');
        else if (result.report) {
          const { feed, status, added, modified, withdrawn, recordCount } = result.report;
          deps.logger.info({ feed, status, added, modified, withdrawn, records: recordCount }, 'feed synced');
        }
      }
    },
  });
}
