import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { defineJob } from '../../jobs/job.definition.ts';
import type { Logger } from '../../logger.ts';
import { refreshEnrichment } from './enrichment-refresh.service.ts';
import { rematchAfterImport } from './rematch.service.ts';

/**
 * Applies every feed import not yet applied to the stored inventories, in import order: an
 * advisory import re-matches the servers it affects; KEV, EPSS and NVD imports refresh the open
 * findings' exploitation data and priority. The progress row moves after each import, so a crash
 * repeats at most one import (re-evaluating is idempotent). Imports from the sync job and from
 * `vigil feeds import` in a shell are picked up alike.
 */
export async function applyPendingImports(database: Database, logger: Pick<Logger, 'info'>): Promise<number> {
  const { rows: pending } = await database.query<{ id: string | number; kind: string }>(
    `SELECT i.id, f.kind FROM vigil.feed_imports i JOIN vigil.feeds f ON f.name = i.feed
      WHERE i.id > (SELECT last_import_id FROM vigil.rematch_progress) ORDER BY i.id LIMIT 100`,
  );
  let refreshed = false;
  for (const row of pending) {
    const importId = Number(row.id);
    if (row.kind === 'osv') {
      const report = await rematchAfterImport(database, importId);
      logger.info({ importId, ...report }, 'servers re-matched after a feed import');
    } else if (!refreshed) {
      // One refresh covers every enrichment import in this batch.
      const changed = await refreshEnrichment(database);
      refreshed = true;
      logger.info({ importId, changed }, 'open findings re-enriched after a feed import');
    }
    await database.query('UPDATE vigil.rematch_progress SET last_import_id = greatest(last_import_id, $1)', [importId]);
  }
  return pending.length;
}

export function inventoryRematchJob(deps: { database: Database; logger: Logger }) {
  return defineJob({
    name: 'inventory.rematch',
    payload: z.object({}),
    retry: { limit: 3, delaySeconds: 60, backoff: true },
    expireInSeconds: 60 * 60,
    schedule: '* * * * *',
    async handler() {
      await applyPendingImports(deps.database, deps.logger);
    },
  });
}
