import type { Db } from '../../db/database.ts';
import type { assets } from '../../db/schema.ts';
import { type TenantContext, withTenant } from '../../db/tenant.ts';
import { access } from '../tenancy/access.ts';
import { clientVanished } from '../tenancy/client-references.ts';
import { assetError } from './assets.errors.ts';
import { assetsRepo as repo } from './assets.repo.ts';
import type { AssetView, CreateAssetInput, UpdateAssetInput } from './assets.schemas.ts';

export type AssetsService = ReturnType<typeof createAssetsService>;

function present(row: typeof assets.$inferSelect): AssetView {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    clientId: row.clientId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function createAssetsService({ db }: { db: Db }) {
  return {
    async list(ctx: TenantContext, filter: { kind?: AssetView['kind'] | undefined; clientId?: string | undefined } = {}) {
      access.require(ctx, 'asset:read');
      return withTenant(db, ctx, async (tx) => (await repo.list(tx, ctx, filter)).map(present));
    },

    async get(ctx: TenantContext, assetId: string) {
      access.require(ctx, 'asset:read');
      return withTenant(db, ctx, async (tx) => {
        const row = await repo.find(tx, ctx, assetId);
        if (!row) throw assetError('ASSET_NOT_FOUND');
        return present(row);
      });
    },

    async create(ctx: TenantContext, input: CreateAssetInput) {
      access.require(ctx, 'asset:create');
      return clientRace(
        withTenant(db, ctx, async (tx) => {
          if (input.clientId !== null && !(await repo.clientExists(tx, ctx, input.clientId))) throw assetError('ASSET_CLIENT_NOT_FOUND');
          const row = await repo.insert(tx, ctx, input);
          if (!row) throw new Error('INSERT … RETURNING produced no row');
          return present(row);
        }),
      );
    },

    async update(ctx: TenantContext, assetId: string, input: UpdateAssetInput) {
      access.require(ctx, 'asset:update');
      return clientRace(
        withTenant(db, ctx, async (tx) => {
          if (input.clientId && !(await repo.clientExists(tx, ctx, input.clientId))) throw assetError('ASSET_CLIENT_NOT_FOUND');
          const row = await repo.update(tx, ctx, assetId, {
            ...(input.name !== undefined ? { name: input.name } : {}),
            ...(input.clientId !== undefined ? { clientId: input.clientId } : {}),
          });
          if (!row) throw assetError('ASSET_NOT_FOUND');
          return present(row);
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
