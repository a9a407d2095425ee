import type { SqlSession } from '../../db/migrate.ts';
import { type FeedRow, listFeeds } from './feed-store.repo.ts';

export interface FeedStatus extends FeedRow {
  /** Hours since the feed was last imported or confirmed current by a sync. */
  ageHours: number;
  stale: boolean;
}

/**
 * Every feed with its age. A feed is stale when neither an import nor a sync has confirmed it for
 * longer than the configured maximum age: findings may then miss what was published since.
 */
export async function feedStatus(session: SqlSession, maxAgeHours: number, now: Date = new Date()): Promise<FeedStatus[]> {
  const feeds = await listFeeds(session);
  return feeds.map((feed) => {
    const confirmed = Math.max(feed.importedAt.getTime(), feed.checkedAt.getTime());
    const ageHours = Math.max(0, (now.getTime() - confirmed) / 3_600_000);
    return { ...feed, ageHours, stale: ageHours > maxAgeHours };
  });
}
