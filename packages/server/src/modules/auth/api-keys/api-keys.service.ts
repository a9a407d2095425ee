import type { Db, Tx } from '../../../db/database.ts';
import { PG, pgError } from '../../../db/pg-errors.ts';
import type { Role } from '../../../db/schema.ts';
import { type TenantContext, withTenant } from '../../../db/tenant.ts';
import { fail } from '../../../lib/app-error.ts';
import { safeText } from '../../../lib/text.ts';
import type { ActorKind } from '../../audit/audit.chain.ts';
import { type AuditScope, recordAudit } from '../../audit/audit.service.ts';
import { access, isClientRole } from '../../tenancy/access.ts';
import { generateToken } from './api-key-token.ts';
import { apiKeyError } from './api-keys.errors.ts';
import { auditedKey, presentApiKey } from './api-keys.presenters.ts';
import { type ApiKeyRow, apiKeyAuthRepo, apiKeysRepo as repo } from './api-keys.repo.ts';
import { type ApiKeyView, type CreateApiKeyInput, createApiKeyBody, type IssuedApiKey } from './api-keys.schemas.ts';

/** Keys that never expire are allowed (revoke them instead); a chosen expiry is at most this far. */
export const MAX_KEY_LIFETIME_MS = 2 * 365 * 24 * 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const agentTokenName = safeText(1, 100);

/** Who asked, for the audit entry: the route passes the request's actor, address and user agent. */
export interface RequestMeta {
  actor?: { kind: 'user' | 'api_key' | 'agent'; id: string };
  ip?: string | null;
  userAgent?: string | null;
}

export interface ApiKeysServiceDeps {
  db: Db;
  /** The clock expiries are checked against (tests move it). */
  now?: () => Date;
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;

function audit(tx: Tx, scope: AuditScope, meta: RequestMeta, action: string, row: ApiKeyRow, details: Record<string, unknown> = {}) {
  const actor = meta.actor;
  return recordAudit(tx, scope, {
    action,
    ...(actor ? { actorKind: actor.kind as ActorKind } : {}),
    targetType: row.kind === 'agent' ? 'agent_token' : 'api_key',
    targetId: row.id,
    clientId: row.clientId,
    ip: meta.ip ?? null,
    userAgent: meta.userAgent ?? null,
    // A key acting has no user id: name the key, so the trail still says which credential did it.
    details: { ...auditedKey(row), ...details, ...(actor && actor.kind !== 'user' ? { actorKeyId: actor.id } : {}) },
  });
}

export function createApiKeysService({ db, now = () => new Date() }: ApiKeysServiceDeps) {
  return {
    async list(ctx: TenantContext): Promise<ApiKeyView[]> {
      access.require(ctx, 'apiKey:read');
      return withTenant(db, ctx, async (tx) => (await repo.list(tx, ctx)).map(presentApiKey));
    },

    async create(ctx: TenantContext, raw: CreateApiKeyInput, meta: RequestMeta = {}): Promise<IssuedApiKey> {
      access.require(ctx, 'apiKey:manage');
      // A key is valid only while its creator could still issue it (see authenticateToken); a
      // key minted by a key has no member behind it, so it would be both unaccountable and dead.
      if (ctx.userId === null) throw apiKeyError('API_KEY_NEEDS_MEMBER');
      const parsed = createApiKeyBody.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw fail('VALIDATION_FAILED', `${issue?.path.join('.') || 'input'}: ${issue?.message}`);
      }
      const input = parsed.data;
      // Privilege escalation: a token never grants more than its holder, so the key's role must
      // be one its creator may give a person, and a client role one of the creator's clients.
      checkRoleShape(ctx, input.role, input.clientId);
      const expiresAt = checkExpiry(input.expiresAt, now());
      try {
        return await withTenant(db, ctx, async (tx) => {
          if (input.clientId !== null && !(await repo.clientExists(tx, ctx, input.clientId))) throw apiKeyError('API_KEY_CLIENT_NOT_FOUND');
          const issued = generateToken('api');
          const row = await repo.insert(tx, ctx, {
            kind: 'api',
            prefix: issued.prefix,
            secretHash: issued.secretHash,
            name: input.name,
            role: input.role,
            clientId: input.clientId,
            assetId: null,
            createdBy: ctx.userId,
            expiresAt,
          });
          await audit(tx, ctx, meta, 'api_key.created', row);
          return { ...presentApiKey(row), token: issued.token };
        });
      } catch (error) {
        // The client was deleted between the check and the insert.
        const e = pgError(error);
        if (e?.code === PG.FOREIGN_KEY_VIOLATION && e.constraint === 'api_keys_client_fkey') throw apiKeyError('API_KEY_CLIENT_NOT_FOUND');
        throw error;
      }
    },

    /**
     * Revokes a key or an agent token. Another organization's key, another client's, and an id
     * that never existed all answer 404, so ids cannot be probed; revoking twice is a no-op.
     */
    async revoke(ctx: TenantContext, apiKeyId: string, meta: RequestMeta = {}): Promise<void> {
      access.require(ctx, 'apiKey:manage');
      if (!UUID.test(apiKeyId)) throw apiKeyError('API_KEY_NOT_FOUND');
      await withTenant(db, ctx, async (tx) => {
        if (!(await repo.find(tx, ctx, apiKeyId))) throw apiKeyError('API_KEY_NOT_FOUND');
        const revoked = await repo.revoke(tx, ctx, apiKeyId);
        if (revoked) await audit(tx, ctx, meta, revoked.kind === 'agent' ? 'agent_token.revoked' : 'api_key.revoked', revoked);
      });
    },

    /**
     * Issues the token a server's agent reports with. One active token per server: issuing a new
     * one revokes the previous ones, so re-installing an agent (or suspecting a leak) needs no
     * separate clean-up and a forgotten token never lingers. The token's tenant is the read-only
     * role of the server's scope (VIEWER, or CLIENT_MEMBER of the server's client); the
     * HTTP layer (registerAuth) admits agent tokens to agent routes only.
     */
    async createAgentToken(ctx: TenantContext, assetId: string, input: { name?: string } = {}, meta: RequestMeta = {}) {
      access.require(ctx, 'asset:update');
      if (!UUID.test(assetId)) throw apiKeyError('AGENT_TOKEN_ASSET_NOT_FOUND');
      const name = input.name === undefined ? undefined : agentTokenName.safeParse(input.name);
      if (name && !name.success) throw fail('VALIDATION_FAILED', `name: ${name.error.issues[0]?.message}`);
      return withTenant(db, ctx, async (tx): Promise<IssuedApiKey> => {
        const asset = await repo.findAssetForUpdate(tx, ctx, assetId);
        if (!asset) throw apiKeyError('AGENT_TOKEN_ASSET_NOT_FOUND');
        if (asset.kind !== 'server') throw apiKeyError('AGENT_TOKEN_SERVER_ONLY');
        return issueAgentTokenIn(tx, ctx, asset, meta, name?.data);
      });
    },
  };
}

/**
 * Issues a server's agent token inside the caller's transaction (the dashboard, above, and agent
 * enrollment, modules/agents), revoking its previous ones: one active token per server. The
 * caller must have locked the asset row (findAssetForUpdate, or a fresh insert) so concurrent
 * issues queue. `tx` must run in `ctx`, as recordAudit requires.
 */
export async function issueAgentTokenIn(
  tx: Tx,
  ctx: TenantContext,
  asset: { id: string; name: string; clientId: string | null },
  meta: RequestMeta = {},
  name?: string,
): Promise<IssuedApiKey> {
  for (const old of await repo.revokeAgentTokensOf(tx, ctx, asset.id)) {
    await audit(tx, ctx, meta, 'agent_token.revoked', old, { reason: 'replaced' });
  }
  const issued = generateToken('agent');
  const row = await repo.insert(tx, ctx, {
    kind: 'agent',
    prefix: issued.prefix,
    secretHash: issued.secretHash,
    name: name ?? [...`Agent on ${asset.name}`].slice(0, 100).join(''),
    role: asset.clientId === null ? 'VIEWER' : 'CLIENT_MEMBER',
    clientId: asset.clientId,
    assetId: asset.id,
    createdBy: ctx.userId,
    expiresAt: null,
  });
  await audit(tx, ctx, meta, 'agent_token.created', row);
  return { ...presentApiKey(row), token: issued.token };
}

/**
 * Revokes a server's active agent token(s) inside the caller's transaction; its agent's next
 * request gets 401. Returns how many were live.
 */
export async function revokeAgentTokensIn(tx: Tx, ctx: TenantContext, assetId: string, meta: RequestMeta = {}): Promise<number> {
  const revoked = await repo.revokeAgentTokensOf(tx, ctx, assetId);
  for (const row of revoked) await audit(tx, ctx, meta, 'agent_token.revoked', row);
  return revoked.length;
}

/**
 * Revokes the API keys a member created in the organization, inside the caller's transaction
 * (removing the member): their keys die with their membership. Authentication already refuses
 * them once the membership is gone; this makes it visible in the list and the audit log.
 * `tx` must run in `scope`, as recordAudit requires.
 */
export async function revokeKeysCreatedBy(tx: Tx, scope: AuditScope, userId: string, meta: RequestMeta = {}): Promise<string[]> {
  const revoked = await apiKeyAuthRepo.revokeCreatedBy(tx, scope.orgId, userId);
  for (const row of revoked) await audit(tx, scope, meta, 'api_key.revoked', row, { reason: 'member_removed' });
  return revoked.map((row) => row.id);
}

function checkRoleShape(ctx: TenantContext, role: Role, clientId: string | null): void {
  access.requireAssignable(ctx, role);
  if (isClientRole(role) !== (clientId !== null)) throw apiKeyError('API_KEY_CLIENT_ROLE_MISMATCH');
  if (clientId !== null && !access.seesClient(ctx, clientId)) throw apiKeyError('API_KEY_CLIENT_NOT_FOUND');
}

function checkExpiry(value: string | null, now: Date): Date | null {
  if (value === null) return null;
  const expiresAt = new Date(value);
  const ms = expiresAt.getTime() - now.getTime();
  if (!(ms > 0 && ms <= MAX_KEY_LIFETIME_MS)) throw apiKeyError('API_KEY_INVALID_EXPIRY');
  return expiresAt;
}
