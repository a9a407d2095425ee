import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { type TenantContext, withSystem, withTenant } from '../../db/tenant.ts';
import { createApiKeysService } from '../auth/api-keys/api-keys.service.ts';
import { agentError } from './agents.errors.ts';
import { createCheckInService } from './check-in.service.ts';
import { rows } from './enrollment.repo.ts';

/**
 * What `vigil agents` does from the server's shell: no person is signed in, so it acts as the
 * system in each organization (audited as such). The system scope sees no assets: organizations
 * are listed, then searched one by one.
 */
export interface AgentListing {
  assetId: string;
  orgSlug: string;
  name: string;
  hostname: string | null;
  state: string;
  agentVersion: string | null;
  lastSeenAt: string | null;
  tokenPrefix: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const systemIn = (orgId: string): TenantContext => ({ orgId, userId: null, role: 'OWNER', clientIds: 'all' });

const organizations = (database: Database) =>
  withSystem(database.db, (tx) => rows<{ id: string; slug: string }>(tx, sql`SELECT id, slug FROM vigil.organizations ORDER BY slug`));

export async function listAgents(database: Database): Promise<AgentListing[]> {
  const out: AgentListing[] = [];
  for (const org of await organizations(database)) {
    const found = await withTenant(database.db, systemIn(org.id), (tx) =>
      rows<Omit<AgentListing, 'orgSlug'>>(
        tx,
        sql`SELECT a.id AS "assetId", a.name, a.hostname, a.agent_state AS state, a.agent_version AS "agentVersion",
                   to_char(a.last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "lastSeenAt",
                   (SELECT k.prefix FROM vigil.api_keys k WHERE k.asset_id = a.id AND k.kind = 'agent' AND k.revoked_at IS NULL LIMIT 1) AS "tokenPrefix"
              FROM vigil.assets a WHERE a.org_id = ${org.id}::uuid AND a.kind = 'server' ORDER BY a.name`,
      ),
    );
    for (const row of found) out.push({ ...row, orgSlug: org.slug });
  }
  return out;
}

async function orgOfServer(database: Database, assetId: string): Promise<string> {
  if (UUID.test(assetId)) {
    for (const org of await organizations(database)) {
      const [hit] = await withTenant(database.db, systemIn(org.id), (tx) =>
        rows(tx, sql`SELECT 1 FROM vigil.assets WHERE id = ${assetId}::uuid AND kind = 'server'`),
      );
      if (hit) return org.id;
    }
  }
  throw agentError('ENROLLMENT_ASSET_NOT_FOUND', `no server ${assetId.slice(0, 64)}`);
}

/** Issues a new agent token for the server (revoking its previous one); the token is returned once. */
export async function rotateAgentToken(database: Database, assetId: string): Promise<string> {
  const orgId = await orgOfServer(database, assetId);
  const issued = await createApiKeysService({ db: database.db }).createAgentToken(systemIn(orgId), assetId);
  return issued.token;
}

export async function revokeAgentToken(database: Database, assetId: string): Promise<void> {
  const orgId = await orgOfServer(database, assetId);
  await createCheckInService({
    db: database.db,
    actionKeySet: () => {
      throw new Error('revoking a token answers no check-in');
    },
  }).revokeAgentToken(systemIn(orgId), assetId);
}
