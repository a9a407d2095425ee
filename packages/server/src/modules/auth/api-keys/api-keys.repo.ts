import { and, desc, eq, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../../../db/database.ts';
import { type ApiKeyKind, apiKeys, assets, clients, memberships, type Role, users } from '../../../db/schema.ts';
import type { TenantContext } from '../../../db/tenant.ts';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export interface NewApiKey {
  kind: ApiKeyKind;
  prefix: string;
  secretHash: string;
  name: string;
  role: Role;
  clientId: string | null;
  assetId: string | null;
  createdBy: string | null;
  expiresAt: Date | null;
}

/** A client-bound context sees the keys of its clients only (RLS says the same; this does not rely on it). */
function scope(ctx: TenantContext): SQL | undefined {
  return ctx.clientIds === 'all' ? undefined : inArray(apiKeys.clientId, [...ctx.clientIds]);
}

/** Tenant-scoped: every function takes the context first and filters by its organization. */
export const apiKeysRepo = {
  list(tx: Tx, ctx: TenantContext) {
    return tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.orgId, ctx.orgId), scope(ctx)))
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
  },

  async find(tx: Tx, ctx: TenantContext, id: string) {
    const [row] = await tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.orgId, ctx.orgId), eq(apiKeys.id, id), scope(ctx)));
    return row ?? null;
  },

  async insert(tx: Tx, ctx: TenantContext, values: NewApiKey): Promise<ApiKeyRow> {
    const [row] = await tx
      .insert(apiKeys)
      .values({ orgId: ctx.orgId, ...values })
      .returning();
    if (!row) throw new Error('INSERT … RETURNING produced no row');
    return row;
  },

  /** Revokes a live key; null when it was revoked already (or is not the context's). */
  async revoke(tx: Tx, ctx: TenantContext, id: string) {
    const [row] = await tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.orgId, ctx.orgId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt), scope(ctx)))
      .returning();
    return row ?? null;
  },

  revokeAgentTokensOf(tx: Tx, ctx: TenantContext, assetId: string) {
    return tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.orgId, ctx.orgId), eq(apiKeys.assetId, assetId), eq(apiKeys.kind, 'agent'), isNull(apiKeys.revokedAt)))
      .returning();
  },

  async clientExists(tx: Tx, ctx: TenantContext, clientId: string): Promise<boolean> {
    const rows = await tx
      .select({ id: clients.id })
      .from(clients)
      .where(and(eq(clients.orgId, ctx.orgId), eq(clients.id, clientId)));
    return rows.length > 0;
  },

  /**
   * The asset, locked: two concurrent agent-token requests for one server queue here, so the
   * second revokes the first's token and at most one stays active.
   */
  async findAssetForUpdate(tx: Tx, ctx: TenantContext, assetId: string) {
    const [row] = await tx
      .select()
      .from(assets)
      .where(
        and(
          eq(assets.orgId, ctx.orgId),
          eq(assets.id, assetId),
          ctx.clientIds === 'all' ? undefined : inArray(assets.clientId, [...ctx.clientIds]),
        ),
      )
      .for('update');
    return row ?? null;
  },
};

/** What authentication reads about a key, in one query whether or not the key exists. */
export interface KeyForAuthentication {
  key: ApiKeyRow;
  /** The creator's membership in the key's organization now (null when they left). */
  creatorRole: Role | null;
  creatorClientId: string | null;
  creatorActive: boolean;
}

/** System scope: authentication runs before any tenant is known. */
export const apiKeyAuthRepo = {
  async findByPrefix(tx: Tx, prefix: string): Promise<KeyForAuthentication | null> {
    const [row] = await tx
      .select({
        key: apiKeys,
        creatorRole: memberships.role,
        creatorClientId: memberships.clientId,
        creatorActive: sql<boolean>`(${users.id} IS NOT NULL AND ${users.disabledAt} IS NULL AND ${users.erasedAt} IS NULL)`,
      })
      .from(apiKeys)
      .leftJoin(memberships, and(eq(memberships.orgId, apiKeys.orgId), eq(memberships.userId, apiKeys.createdBy)))
      .leftJoin(users, eq(users.id, apiKeys.createdBy))
      .where(eq(apiKeys.prefix, prefix));
    return row ?? null;
  },

  /** The asset an agent token names; tenant scope (assets have no system policy). */
  async findAsset(tx: Tx, orgId: string, assetId: string) {
    const [row] = await tx
      .select({ kind: assets.kind, clientId: assets.clientId })
      .from(assets)
      .where(and(eq(assets.orgId, orgId), eq(assets.id, assetId)));
    return row ?? null;
  },

  /**
   * Stamps the last use at most once a minute per key: a busy key would otherwise write (and
   * lock) its row on every request.
   */
  async stampLastUsed(tx: Tx, id: string, now: Date): Promise<void> {
    const threshold = new Date(now.getTime() - 60_000);
    await tx
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, threshold))));
  },

  /** Revokes the live API keys `userId` created in `orgId`; agent tokens belong to their server and stay. */
  revokeCreatedBy(tx: Tx, orgId: string, userId: string) {
    return tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.orgId, orgId), eq(apiKeys.createdBy, userId), eq(apiKeys.kind, 'api'), isNull(apiKeys.revokedAt)))
      .returning();
  },
};
