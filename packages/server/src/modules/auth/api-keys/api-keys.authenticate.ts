import type { Db } from '../../../db/database.ts';
import { switchScope, type TenantContext, withSystem } from '../../../db/tenant.ts';
import type { Actor, Authenticator } from '../../../http/auth.ts';
import { ASSIGNABLE_ROLES, can } from '../../tenancy/permissions.ts';
import { bearerToken, dummyTokenMatch, looksLikeVigilToken, parseToken, tokenMatches } from './api-key-token.ts';
import { type KeyForAuthentication, apiKeyAuthRepo as repo } from './api-keys.repo.ts';

/**
 * A key lives while its creator could still issue it: a member who left, was disabled or erased,
 * lost `apiKey:manage`, or was demoted below the key's role takes the key's power with them at
 * once, whatever the revocation bookkeeping says. This is what "a token never grants more than
 * its holder" means over time.
 */
function creatorStillIssues({ key, creatorRole, creatorClientId, creatorActive }: KeyForAuthentication): boolean {
  if (!creatorActive || creatorRole === null) return false;
  if (!can(creatorRole, 'apiKey:manage')) return false;
  if (!ASSIGNABLE_ROLES[creatorRole].includes(key.role)) return false;
  return creatorClientId === null || creatorClientId === key.clientId;
}

/**
 * The actor a token stands for, or null: malformed, unknown, wrong secret, revoked, expired, or
 * no longer backed by its creator (API keys) or its server (agent tokens). Never throws on input.
 */
export async function authenticateToken(db: Db, token: unknown, options: { now?: Date } = {}): Promise<Actor | null> {
  const parsed = parseToken(token);
  if (!parsed) return null;
  const now = options.now ?? new Date();
  return withSystem(db, async (tx) => {
    // One indexed query whether the prefix exists or not, then one digest comparison either way:
    // neither the time nor the answer tells an attacker which prefixes are real.
    const found = await repo.findByPrefix(tx, parsed.prefix);
    if (!found) {
      dummyTokenMatch(parsed.token);
      return null;
    }
    // The secret first: nothing about the key (revoked, expired) is revealed without it.
    if (!tokenMatches(parsed.token, found.key.secretHash)) return null;
    const key = found.key;
    // The tag is part of the prefix, so a live token cannot find an agent row; checked anyway.
    if (key.kind !== parsed.kind || key.revokedAt !== null) return null;
    if (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()) return null;

    let actor: Actor;
    if (key.kind === 'api') {
      if (!creatorStillIssues(found)) return null;
      actor = {
        kind: 'api_key',
        id: key.id,
        // No user: the self-only policies (a user's own sessions and row) must not open to a key.
        tenant: { orgId: key.orgId, userId: null, role: key.role, clientIds: key.clientId === null ? 'all' : [key.clientId] },
      };
    } else {
      if (key.assetId === null) return null;
      // Assets have no system-scope policy: read the server in its organization's scope.
      await switchScope.toTenant(tx, { orgId: key.orgId, userId: null, role: 'VIEWER', clientIds: 'all' });
      const asset = await repo.findAsset(tx, key.orgId, key.assetId);
      await switchScope.toSystem(tx);
      if (asset?.kind !== 'server') return null;
      // The scope follows the server's current client, so moving a server keeps its agent working
      // and confined to the client it now belongs to.
      const tenant: TenantContext =
        asset.clientId === null
          ? { orgId: key.orgId, userId: null, role: 'VIEWER', clientIds: 'all' }
          : { orgId: key.orgId, userId: null, role: 'CLIENT_MEMBER', clientIds: [asset.clientId] };
      actor = { kind: 'agent', id: key.id, tenant, assetId: key.assetId };
    }
    if (key.lastUsedAt === null || now.getTime() - key.lastUsedAt.getTime() > 60_000) await repo.stampLastUsed(tx, key.id, now);
    return actor;
  });
}

/**
 * The request authenticator for `Authorization: Bearer vgl_…`. Returns null for any other
 * header, so a chain can try the next authenticator (JWTs); see looksLikeVigilToken.
 */
export function createApiKeyAuthenticator(db: Db): Authenticator {
  return async (request) => {
    const header = request.headers.authorization;
    if (!looksLikeVigilToken(header)) return null;
    const parsed = parseToken(bearerToken(header));
    // Which routes an agent may call is registerAuth's rule (config.agent), not this one's.
    return parsed ? authenticateToken(db, parsed.token) : null;
  };
}
