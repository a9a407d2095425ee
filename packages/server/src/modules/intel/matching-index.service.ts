import { type AdvisoryChange, InventoryIndex, type OsvRecord, type StoredInventory } from '@vigil/vulndb';
import type { SqlSession } from '../../db/migrate.ts';

/** Where stored inventories come from: the agent's ingest path keeps them (see docs/architecture.md). */
export interface InventorySource {
  inventories(): AsyncIterable<StoredInventory>;
}

/**
 * The server's matching index: every stored inventory, indexed by the packages it holds, kept
 * current as inventories arrive and feeds change. After an import it answers which inventories the
 * added, modified and withdrawn advisories affect (before or after the change), so only those are
 * matched again instead of every inventory against every advisory.
 */
export class MatchingIndex {
  private readonly index = new InventoryIndex();

  get size(): number {
    return this.index.size;
  }

  async load(source: InventorySource): Promise<void> {
    for await (const inventory of source.inventories()) this.index.put(inventory);
  }

  put(inventory: StoredInventory): void {
    this.index.put(inventory);
  }

  remove(id: string): boolean {
    return this.index.remove(id);
  }

  /** The inventories affected, per changed advisory, by the advisory changes of one import. */
  async affectedByImport(session: SqlSession, importId: number): Promise<Map<string, string[]>> {
    return this.index.affectedBy(await advisoryChanges(session, importId));
  }
}

/** An import's advisory changes with the records before (from the change log) and after. */
export async function advisoryChanges(session: SqlSession, importId: number): Promise<AdvisoryChange[]> {
  const { rows } = await session.query<{ id: string; previous: OsvRecord | null; record: OsvRecord | null; withdrawn: boolean | null }>(
    `SELECT c.record_id AS id, c.previous, a.record, a.withdrawn
     FROM vigil.feed_changes c
     JOIN vigil.feed_imports i ON i.id = c.import_id
     JOIN vigil.feeds f ON f.name = i.feed AND f.kind = 'osv'
     LEFT JOIN LATERAL (SELECT record, withdrawn FROM vigil.advisories WHERE feed = i.feed AND id = c.record_id LIMIT 1) a ON true
     WHERE c.import_id = $1
     ORDER BY c.record_id`,
    [importId],
  );
  return rows.map((row) => ({
    id: row.id,
    before: row.previous,
    // Gone from a snapshot feed: withdrawn by the column, though the stored record does not say so.
    after: row.record && !row.withdrawn ? row.record : null,
  }));
}
