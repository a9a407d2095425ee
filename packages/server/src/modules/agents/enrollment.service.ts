import { type ActionKey, type EnrollRequest, type EnrollResponse, enrollRequestSchema } from '@vigil/protocol';
import type { Db, Tx } from '../../db/database.ts';
import { PG, pgError } from '../../db/pg-errors.ts';
import { switchScope, type TenantContext, withSystem, withTenant } from '../../db/tenant.ts';
import { fail } from '../../lib/app-error.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { issueAgentTokenIn, type RequestMeta } from '../auth/api-keys/index.ts';
import { access } from '../tenancy/access.ts';
import { agentError } from './agents.errors.ts';
import { type CreateEnrollmentTokenInput, createEnrollmentTokenBody, type EnrollmentTokenView } from './agents.schemas.ts';
import { agentAssetsRepo, type EnrollmentTokenRow, enrollmentAuthRepo, iso, enrollmentTokensRepo as repo } from './enrollment.repo.ts';
import { dummyTokenMatch, enrollmentPrefixOf, generateEnrollmentToken, tokenMatches } from './enrollment-token.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface EnrollmentServiceDeps {
  db: Db;
  /** The action-signing public keys agents pin at enrollment (and receive again at check-in). */
  actionKeys: () => ActionKey[];
  now?: () => Date;
}

export type EnrollmentService = ReturnType<typeof createEnrollmentService>;

/** An allow-list of the row's columns: the secret hash never leaves. */
export function presentEnrollmentToken(row: EnrollmentTokenRow, now: Date): EnrollmentTokenView {
  const expiresAt = new Date(row.expires_at);
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    clientId: row.client_id,
    assetId: row.asset_id,
    createdBy: row.created_by,
    createdAt: iso(row.created_at) as string,
    expiresAt: expiresAt.toISOString(),
    usedAt: iso(row.used_at),
    usedByAssetId: row.used_by_asset_id,
    revokedAt: iso(row.revoked_at),
    state: row.revoked_at ? 'revoked' : row.used_at ? 'used' : expiresAt <= now ? 'expired' : 'active',
  };
}

const audited = (row: EnrollmentTokenRow) => ({
  name: row.name,
  prefix: row.prefix,
  clientId: row.client_id,
  assetId: row.asset_id,
  expiresAt: iso(row.expires_at),
});

function auditMeta(meta: RequestMeta) {
  return {
    ...(meta.actor ? { actorKind: meta.actor.kind } : {}),
    ip: meta.ip ?? null,
    userAgent: meta.userAgent ?? null,
  };
}

export function createEnrollmentService({ db, actionKeys, now = () => new Date() }: EnrollmentServiceDeps) {
  return {
    async list(ctx: TenantContext): Promise<EnrollmentTokenView[]> {
      // Enrolling servers is asset work: engineers and above; client roles and viewers never.
      access.require(ctx, 'asset:create');
      const at = now();
      return withTenant(db, ctx, async (tx) => (await repo.list(tx, ctx)).map((row) => presentEnrollmentToken(row, at)));
    },

    async create(ctx: TenantContext, raw: CreateEnrollmentTokenInput, meta: RequestMeta = {}) {
      access.require(ctx, 'asset:create');
      const parsed = createEnrollmentTokenBody.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw fail('VALIDATION_FAILED', `${issue?.path.join('.') || 'input'}: ${issue?.message}`);
      }
      const input = parsed.data;
      const clientId = input.clientId ?? null;
      const assetId = input.assetId ?? null;
      const at = now();
      try {
        return await withTenant(db, ctx, async (tx) => {
          // Existence first: another tenant's id answers 404 whatever else the request says.
          if (clientId !== null && !(await repo.clientExists(tx, ctx, clientId))) throw agentError('ENROLLMENT_CLIENT_NOT_FOUND');
          let tokenClientId = clientId;
          if (assetId !== null) {
            const asset = await agentAssetsRepo.findForUpdate(tx, ctx, assetId);
            if (!asset) throw agentError('ENROLLMENT_ASSET_NOT_FOUND');
            if (clientId !== null) throw agentError('ENROLLMENT_TARGET_INVALID');
            if (asset.kind !== 'server') throw agentError('ENROLLMENT_SERVER_ONLY');
            tokenClientId = asset.client_id;
          }
          const issued = generateEnrollmentToken();
          const row = await repo.insert(tx, ctx, {
            clientId: tokenClientId,
            assetId,
            prefix: issued.prefix,
            secretHash: issued.secretHash,
            name: input.name,
            expiresAt: new Date(at.getTime() + input.expiresInHours * 3_600_000),
          });
          await recordAudit(tx, ctx, {
            action: 'enrollment_token.created',
            ...auditMeta(meta),
            targetType: 'enrollment_token',
            targetId: row.id,
            clientId: row.client_id,
            details: audited(row),
          });
          return { ...presentEnrollmentToken(row, at), token: issued.token };
        });
      } catch (error) {
        const e = pgError(error);
        if (e?.code === PG.FOREIGN_KEY_VIOLATION) throw agentError(assetId ? 'ENROLLMENT_ASSET_NOT_FOUND' : 'ENROLLMENT_CLIENT_NOT_FOUND');
        throw error;
      }
    },

    /** Revokes an unused token; another tenant's id, or one never issued, answers 404. Twice is a no-op. */
    async revoke(ctx: TenantContext, id: string, meta: RequestMeta = {}): Promise<void> {
      access.require(ctx, 'asset:create');
      if (!UUID.test(id)) throw agentError('ENROLLMENT_TOKEN_NOT_FOUND');
      await withTenant(db, ctx, async (tx) => {
        if (!(await repo.find(tx, ctx, id))) throw agentError('ENROLLMENT_TOKEN_NOT_FOUND');
        const row = await repo.revoke(tx, ctx, id);
        if (row) {
          await recordAudit(tx, ctx, {
            action: 'enrollment_token.revoked',
            ...auditMeta(meta),
            targetType: 'enrollment_token',
            targetId: row.id,
            clientId: row.client_id,
            details: audited(row),
          });
        }
      });
    },

    /**
     * Exchanges a one-time token for a server's agent token. Everything happens in one
     * transaction: the token is claimed, the server created (or the named one bound), the agent
     * token issued; any failure rolls all of it back and leaves the token unused.
     */
    async enroll(raw: EnrollRequest, meta: RequestMeta = {}): Promise<EnrollResponse> {
      const parsed = enrollRequestSchema.safeParse(raw);
      if (!parsed.success) throw fail('VALIDATION_FAILED', parsed.error.issues[0]?.message);
      const input = parsed.data;
      const prefix = enrollmentPrefixOf(input.token);
      if (!prefix) throw agentError('ENROLLMENT_TOKEN_INVALID');
      const keys = actionKeys();
      const at = now();
      return withSystem(db, async (tx) => {
        const token = await enrollmentAuthRepo.findByPrefix(tx, prefix);
        if (!token) {
          // Same work as a real comparison: timing does not tell which prefixes exist.
          dummyTokenMatch(input.token);
          throw agentError('ENROLLMENT_TOKEN_INVALID');
        }
        if (!tokenMatches(input.token, token.secret_hash)) throw agentError('ENROLLMENT_TOKEN_INVALID');
        // Replay and race: the conditional claim lets exactly one enrollment use a token.
        if (!(await enrollmentAuthRepo.claim(tx, token.id, at))) throw agentError('ENROLLMENT_TOKEN_INVALID');
        const ctx: TenantContext = { orgId: token.org_id, userId: null, role: 'OWNER', clientIds: 'all' };
        await switchScope.toTenant(tx, ctx);
        const asset = await bindServer(tx, ctx, token, input.hostname);
        await agentAssetsRepo.markEnrolled(tx, asset.id, {
          hostname: input.hostname,
          machineId: input.machineId ?? null,
          agentVersion: input.agentVersion,
        });
        // No person acts: the audit entries are the system's, naming the token in their details.
        const systemMeta: RequestMeta = { ip: meta.ip ?? null, userAgent: meta.userAgent ?? null };
        const issued = await issueAgentTokenIn(tx, ctx, { id: asset.id, name: asset.name, clientId: asset.client_id }, systemMeta);
        await recordAudit(tx, ctx, {
          action: 'agent.enrolled',
          actorKind: 'system',
          targetType: 'asset',
          targetId: asset.id,
          clientId: asset.client_id,
          ip: meta.ip ?? null,
          userAgent: meta.userAgent ?? null,
          details: {
            enrollmentTokenId: token.id,
            prefix: token.prefix,
            agentVersion: input.agentVersion,
            created: token.asset_id === null,
          },
        });
        await switchScope.toSystem(tx);
        await enrollmentAuthRepo.markUsedBy(tx, token.id, asset.id);
        return { assetId: asset.id, agentToken: issued.token, actionKeys: keys, checkInSeconds: asset.check_in_seconds };
      });
    },
  };
}

/** The token's server (locked), or a new server in the token's client named after the host. */
async function bindServer(tx: Tx, ctx: TenantContext, token: EnrollmentTokenRow, hostname: string) {
  if (token.asset_id !== null) {
    const asset = await agentAssetsRepo.findForUpdate(tx, ctx, token.asset_id);
    // The server was deleted after the token was made (the FK cascade removes the token too,
    // so this is a narrow race): nothing to bind, and the same answer as any invalid token.
    if (asset?.kind !== 'server') throw agentError('ENROLLMENT_TOKEN_INVALID');
    return asset;
  }
  // Asset names are at most 200 characters, host names up to 253.
  return agentAssetsRepo.createServer(tx, ctx, token.client_id, [...hostname].slice(0, 200).join(''));
}
