import type { z } from 'zod';
import type { Db, Tx } from '../../db/database.ts';
import { type TenantContext, withTenant } from '../../db/tenant.ts';
import { cursorFor, cursorValues, type Keyset } from '../../lib/keyset.ts';
import { containsPattern } from '../../lib/like.ts';
import { access } from '../tenancy/access.ts';
import { assetError } from './assets.errors.ts';
import {
  CHANGES_KEYSET,
  type ChangeRow,
  type FactsRow,
  HISTORY_KEYSET,
  type InventoryRow,
  assetInventoryRepo as inventory,
  PACKAGE_KEYSET,
  type PackageRow,
} from './assets.inventory.repo.ts';
import {
  collectorView,
  configFactView,
  type FactsView,
  hostView,
  type PackageListQuery,
  serviceView,
  wordpressView,
} from './assets.inventory.schemas.ts';
import { assetReads } from './assets.read.ts';

export type AssetInventoryService = ReturnType<typeof createAssetInventoryService>;

interface PageInput {
  limit: number;
  cursor?: string | undefined;
}

/** The cursor's values, or 400 for a cursor this list did not hand out. */
function start(keyset: Keyset, cursor: string | undefined): string[] | null {
  if (cursor === undefined) return null;
  const values = cursorValues(keyset, cursor);
  if (!values) throw assetError('ASSET_CURSOR_INVALID');
  return values;
}

function pageOf<R extends { cursor_keys: string[] }, V>(found: R[], limit: number, keyset: Keyset, present: (row: R) => V) {
  const rows = found.slice(0, limit);
  const last = rows.at(-1);
  return { items: rows.map(present), nextCursor: found.length > limit && last ? cursorFor(keyset, last.cursor_keys) : null };
}

/** Stored JSON read back through an allow-list shape: unknown fields dropped, malformed elements left out. */
function each<S extends z.ZodType>(schema: S, value: unknown): z.output<S>[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    const parsed = schema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}

const blankToNull = (value: string) => (value === '' ? null : value);

const presentPackage = (row: PackageRow) => ({
  ecosystem: row.ecosystem,
  name: row.name,
  version: row.version,
  arch: blankToNull(row.arch),
  location: blankToNull(row.location),
  sourceName: row.source_name,
  sourceVersion: row.source_version,
  dev: row.dev,
  firstSeenAt: row.first_seen_at,
  updatedAt: row.updated_at,
});
const presentInventory = (row: InventoryRow) => ({
  id: row.id,
  receivedAt: row.received_at,
  collectedAt: row.collected_at,
  agentVersion: row.agent_version,
  digest: row.digest,
  packageCount: row.package_count,
  added: row.added,
  removed: row.removed,
  changed: row.changed,
});
const presentChange = (row: ChangeRow) => ({
  id: row.id,
  inventoryId: row.inventory_id,
  change: row.change,
  ecosystem: row.ecosystem,
  name: row.name,
  arch: blankToNull(row.arch),
  location: blankToNull(row.location),
  oldVersion: row.old_version,
  newVersion: row.new_version,
  at: row.at,
});
function presentFacts(row: FactsRow | null): FactsView {
  if (!row) return { latest: null };
  const host = hostView.safeParse(row.host);
  return {
    latest: {
      inventoryId: row.id,
      receivedAt: row.received_at,
      collectedAt: row.collected_at,
      host: host.success ? host.data : null,
      configFacts: each(configFactView, row.config_facts),
      services: each(serviceView, row.services),
      collectors: each(collectorView, row.collectors),
      wordpress: each(wordpressView, row.wordpress),
    },
  };
}

export function createAssetInventoryService({ db }: { db: Db }) {
  /** Reads what belongs to one asset the actor can see; another's asset answers 404, never an empty page. */
  function onAsset<T>(ctx: TenantContext, assetId: string, read: (tx: Tx) => Promise<T>): Promise<T> {
    access.require(ctx, 'asset:read');
    return withTenant(db, ctx, async (tx) => {
      if (!(await assetReads.find(tx, ctx, assetId))) throw assetError('ASSET_NOT_FOUND');
      return read(tx);
    });
  }

  return {
    packages(ctx: TenantContext, assetId: string, query: PackageListQuery) {
      const from = start(PACKAGE_KEYSET, query.cursor);
      const filter = { ecosystem: query.ecosystem, pattern: query.q === undefined ? undefined : containsPattern(query.q) };
      return onAsset(ctx, assetId, async (tx) =>
        pageOf(await inventory.packages(tx, ctx, assetId, filter, from, query.limit), query.limit, PACKAGE_KEYSET, presentPackage),
      );
    },

    history(ctx: TenantContext, assetId: string, query: PageInput) {
      const from = start(HISTORY_KEYSET, query.cursor);
      return onAsset(ctx, assetId, async (tx) =>
        pageOf(await inventory.history(tx, ctx, assetId, from, query.limit), query.limit, HISTORY_KEYSET, presentInventory),
      );
    },

    changes(ctx: TenantContext, assetId: string, query: PageInput & { inventoryId?: string | undefined }) {
      const from = start(CHANGES_KEYSET, query.cursor);
      return onAsset(ctx, assetId, async (tx) =>
        pageOf(await inventory.changes(tx, ctx, assetId, query.inventoryId, from, query.limit), query.limit, CHANGES_KEYSET, presentChange),
      );
    },

    facts(ctx: TenantContext, assetId: string): Promise<FactsView> {
      return onAsset(ctx, assetId, async (tx) => presentFacts(await inventory.latestFacts(tx, ctx, assetId)));
    },
  };
}
