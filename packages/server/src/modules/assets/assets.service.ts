import type { Db, Tx } from '../../db/database.ts';
import { type TenantContext, withTenant } from '../../db/tenant.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { access } from '../tenancy/access.ts';
import { clientVanished } from '../tenancy/client-references.ts';
import { assetError } from './assets.errors.ts';
import type { AssetRow } from './assets.read.ts';
import { assetsRepo as repo } from './assets.repo.ts';
import type { AssetDetailView, AssetListFilter, AssetView, CreateAssetInput, UpdateAssetInput } from './assets.schemas.ts';

export type AssetsService = ReturnType<typeof createAssetsService>;

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'NEGLIGIBLE', 'UNKNOWN'] as const;

function present(row: AssetRow): AssetView {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, row.open_counts?.[s] ?? 0])) as Record<(typeof SEVERITIES)[number], number>;
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    clientId: row.client_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    agentState: row.agent_state,
    lastSeenAt: row.last_seen_at,
    hostname: row.hostname,
    os: row.os,
    openFindings: { total: SEVERITIES.reduce((sum, s) => sum + counts[s], 0), ...counts },
  };
}

function presentDetail(row: AssetRow): AssetDetailView {
  return {
    ...present(row),
    kernel: row.kernel,
    agentVersion: row.agent_version,
    enrolledAt: row.enrolled_at,
    lastInventoryAt: row.last_inventory_at,
    checkInSeconds: row.check_in_seconds,
  };
}

/** The row just written, read back with everything the list shows. */
async function reread(tx: Tx, ctx: TenantContext, assetId: string): Promise<AssetView> {
  const row = await repo.find(tx, ctx, assetId);
  if (!row) throw new Error('an asset written in this transaction is not visible in it');
  return present(row);
}

export function createAssetsService({ db }: { db: Db }) {
  return {
    async list(ctx: TenantContext, filter: Partial<AssetListFilter> = {}) {
      access.require(ctx, 'asset:read');
      return withTenant(db, ctx, async (tx) => (await repo.list(tx, ctx, filter)).map(present));
    },

    async get(ctx: TenantContext, assetId: string) {
      access.require(ctx, 'asset:read');
      return withTenant(db, ctx, async (tx) => {
        const row = await repo.find(tx, ctx, assetId);
        if (!row) throw assetError('ASSET_NOT_FOUND');
        return presentDetail(row);
      });
    },

    async create(ctx: TenantContext, input: CreateAssetInput) {
      access.require(ctx, 'asset:create');
      return clientRace(
        withTenant(db, ctx, async (tx) => {
          if (input.clientId !== null && !(await repo.clientExists(tx, ctx, input.clientId))) throw assetError('ASSET_CLIENT_NOT_FOUND');
          const row = await repo.insert(tx, ctx, input);
          if (!row) throw new Error('INSERT … RETURNING produced no row');
          return reread(tx, ctx, row.id);
        }),
      );
    },

    async update(ctx: TenantContext, assetId: string, input: UpdateAssetInput) {
      access.require(ctx, 'asset:update');
      return clientRace(
        withTenant(db, ctx, async (tx) => {
          if (input.clientId && !(await repo.clientExists(tx, ctx, input.clientId))) throw assetError('ASSET_CLIENT_NOT_FOUND');
          const before = await repo.lockClient(tx, ctx, assetId);
          if (!before) throw assetError('ASSET_NOT_FOUND');
          const row = await repo.update(tx, ctx, assetId, {
            ...(input.name !== undefined ? { name: input.name } : {}),
            ...(input.clientId !== undefined ? { clientId: input.clientId } : {}),
          });
          if (!row) throw assetError('ASSET_NOT_FOUND');
          if (row.clientId !== before.clientId) {
            await repo.moveDependents(tx, ctx, assetId, row.clientId);
            await recordAudit(tx, ctx, {
              action: 'asset.moved',
              targetType: 'asset',
              targetId: assetId,
              clientId: row.clientId,
              before: { clientId: before.clientId },
              after: { clientId: row.clientId },
            });
          }
          return reread(tx, ctx, assetId);
        }),
      );
    },

    async delete(ctx: TenantContext, assetId: string) {
      access.require(ctx, 'asset:delete');
      return withTenant(db, ctx, async (tx) => {
        if (!(await repo.delete(tx, ctx, assetId))) throw assetError('ASSET_NOT_FOUND');
      });
    },
  };
}

/** A client deleted between the existence check and the write answers like a missing one. */
async function clientRace<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (clientVanished(error, 'assets_client_fkey')) throw assetError('ASSET_CLIENT_NOT_FOUND');
    throw error;
  }
}
