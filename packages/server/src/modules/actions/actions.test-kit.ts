import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createFactories, type Factories } from '../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { buildApp } from '../../app.ts';
import { loadConfig } from '../../config/config.ts';
import { organizations, type Role } from '../../db/schema.ts';
import { withTenant } from '../../db/tenant.ts';
import type { Actor } from '../../http/auth.ts';
import { createEphemeralKeyring, type Keyring, staticKeyringSource } from '../../lib/keys/index.ts';
import { createApiKeysService } from '../auth/api-keys/api-keys.service.ts';

/**
 * The real app on a real, migrated database, with a keyring the test can read (to check
 * signatures against the published action keys) and actors registered by bearer value: people
 * of any role, API keys, and agents of a given server.
 */
export interface ActionsKit {
  app: FastifyInstance;
  t: TestDatabase;
  f: Factories;
  keyring: Keyring;
  /** An organization with one agency-level server, one client server, and a site. */
  world(): Promise<World>;
  close(): Promise<void>;
}

export interface World {
  orgId: string;
  server: { id: string; clientId: string | null };
  clientServer: { id: string; clientId: string };
  site: { id: string };
  person(role: Role, clientId?: string): Promise<{ auth: string; userId: string }>;
  apiKey(role: Role): string;
  /** A real API key (a row with its creator) made by `person`, who holds `role`, and its bearer value. */
  keyOf(person: { userId: string }, role: Role): Promise<string>;
  agent(assetId: string, clientId?: string | null): string;
  setRequireApproval(value: boolean): Promise<void>;
}

export async function createActionsKit(): Promise<ActionsKit> {
  const t = await createTestDatabase();
  const f = createFactories(t.database.db);
  const keyring = createEphemeralKeyring();
  const actors = new Map<string, Actor>();
  const register = (actor: Actor) => {
    const token = `Bearer kit-${randomUUID()}`;
    actors.set(token, actor);
    return token;
  };
  const app = await buildApp({
    config: loadConfig({ VIGIL_DATA_DIR: '/nonexistent', LOG_LEVEL: 'silent' }),
    database: t.database,
    logger: pino({ level: 'silent' }),
    keys: staticKeyringSource(keyring),
    authenticate: async (request) => actors.get(request.headers.authorization ?? '') ?? null,
  });
  await app.ready();

  async function world(): Promise<World> {
    const org = await f.org();
    const client = await f.client(org.id);
    const server = await f.asset(org.id, { kind: 'server' });
    const clientServer = await f.asset(org.id, { kind: 'server', clientId: client.id });
    const site = await f.asset(org.id, { kind: 'site' });
    return {
      orgId: org.id,
      server: { id: server.id, clientId: null },
      clientServer: { id: clientServer.id, clientId: client.id },
      site: { id: site.id },
      async person(role, clientId) {
        const a = await f.actor(org.id, role, clientId ? { clientId } : {});
        return { auth: register({ kind: 'user', id: a.user.id, tenant: a.ctx }), userId: a.user.id };
      },
      apiKey(role) {
        return register({ kind: 'api_key', id: randomUUID(), tenant: { orgId: org.id, userId: null, role, clientIds: 'all' } });
      },
      async keyOf(person, role) {
        const ctx = { orgId: org.id, userId: person.userId, role, clientIds: 'all' as const };
        const issued = await createApiKeysService({ db: t.database.db }).create(ctx, { name: 'automation', role });
        return register({ kind: 'api_key', id: issued.id, tenant: { ...ctx, userId: null } });
      },
      // The context authenticateToken builds for an agent: its server's client, or the whole org.
      agent(assetId, clientId = null) {
        return register({
          kind: 'agent',
          id: randomUUID(),
          assetId,
          tenant:
            clientId === null
              ? { orgId: org.id, userId: null, role: 'VIEWER', clientIds: 'all' }
              : { orgId: org.id, userId: null, role: 'CLIENT_MEMBER', clientIds: [clientId] },
        });
      },
      async setRequireApproval(value) {
        await withTenant(t.database.db, { orgId: org.id, userId: null, role: 'OWNER', clientIds: 'all' }, (tx) =>
          tx
            .update(organizations)
            .set({ settings: { requireActionApproval: value } })
            .where(eq(organizations.id, org.id)),
        );
      },
    };
  }

  return {
    app,
    t,
    f,
    keyring,
    world,
    async close() {
      await app.close();
      await t.destroy();
    },
  };
}

/** A JSON request through the app. */
export function call(app: FastifyInstance, method: 'GET' | 'POST', url: string, auth?: string, body?: unknown) {
  return app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
}

export const upgrade = { kind: 'upgrade_packages', packages: [{ name: 'openssl', version: '3.0.15-1~deb12u1' }] } as const;
