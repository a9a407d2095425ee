import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { AGENT_PATHS, CHECKIN_SCHEMA, INVENTORY_SCHEMA, type Inventory, type InventoryPackage, inventoryDigest } from '@vigil/protocol';
import { parseDpkgStatus } from '@vigil/vulndb';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createFactories, type Factories } from '../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { buildApp } from '../../app.ts';
import { loadConfig } from '../../config/config.ts';
import type { Actor } from '../../http/auth.ts';
import { createApiKeyAuthenticator, looksLikeVigilToken } from '../auth/api-keys/index.ts';

export const FIXTURES = path.resolve(import.meta.dirname, '../../../../../../shared/fixtures');

/**
 * The real app on a fresh PGlite, authenticating `Bearer vgl_…` with the real API-key and agent
 * token authenticator (so revocation bites at request time) and any other bearer from a registry
 * of dashboard actors (standing in for sessions).
 */
export interface AgentTestApp {
  app: FastifyInstance;
  t: TestDatabase;
  f: Factories;
  bearerFor(actor: Actor): string;
  close(): Promise<void>;
}

export async function createAgentTestApp(env: Record<string, string> = {}): Promise<AgentTestApp> {
  const t = await createTestDatabase();
  const people = new Map<string, Actor>();
  const tokens = createApiKeyAuthenticator(t.database.db);
  const app = await buildApp({
    config: loadConfig({
      VIGIL_DATA_DIR: '/nonexistent',
      LOG_LEVEL: 'silent',
      RATE_LIMITS: 'public=100000/min,enroll=100000/min,api=100000/min',
      ...env,
    }),
    database: t.database,
    logger: pino({ level: 'silent' }),
    authenticate: async (request) => {
      const header = request.headers.authorization;
      if (looksLikeVigilToken(header)) return tokens(request);
      return people.get(header ?? '') ?? null;
    },
  });
  await app.ready();
  return {
    app,
    t,
    f: createFactories(t.database.db),
    bearerFor(actor) {
      const bearer = `Bearer person-${people.size + 1}`;
      people.set(bearer, actor);
      return bearer;
    },
    async close() {
      await app.close();
      await t.destroy();
    },
  };
}

export function userActor(ctx: Actor['tenant']): Actor {
  return { kind: 'user', id: ctx.userId ?? '00000000-0000-4000-8000-000000000000', tenant: ctx };
}

/** The packages of the Ubuntu 18.04 desktop fixture, as an agent reports them. */
export function bionicPackages(): InventoryPackage[] {
  const text = readFileSync(path.join(FIXTURES, 'inventories/ubuntu-18.04-bionic.dpkg-status'), 'utf8');
  return parseDpkgStatus(text, 'status', { ecosystem: 'Ubuntu' }).packages.map(({ location: _where, ...p }) => p as InventoryPackage);
}

export function inventoryOf(packages: InventoryPackage[], overrides: Partial<Inventory> = {}): Inventory {
  return {
    schema: INVENTORY_SCHEMA,
    collectedAt: new Date().toISOString(),
    agentVersion: '1.0.0',
    host: {
      hostname: 'bionic.example.test',
      arch: 'x86_64',
      kernel: { release: '4.15.0-66-generic', version: '#75-Ubuntu SMP' },
      os: { id: 'ubuntu', versionId: '18.04', prettyName: 'Ubuntu 18.04.3 LTS', ecosystem: 'Ubuntu:18.04:LTS' },
      packagesUpdatedAt: null,
      rebootRequired: false,
    },
    packages,
    wordpress: [],
    configFacts: [],
    services: [],
    collectors: [{ name: 'dpkg', status: 'ok', items: packages.length, durationMs: 12 }],
    ...overrides,
  };
}

export function withVersion(packages: InventoryPackage[], name: string, version: string): InventoryPackage[] {
  return packages.map((p) => (p.name === name ? { ...p, version, ...(p.source ? { source: { ...p.source, version } } : {}) } : p));
}

export function sendInventory(app: FastifyInstance, agentToken: string, inventory: unknown, options: { gzip?: boolean } = {}) {
  const json = Buffer.from(JSON.stringify(inventory));
  return app.inject({
    method: 'POST',
    url: AGENT_PATHS.inventory,
    headers: {
      authorization: `Bearer ${agentToken}`,
      'content-type': 'application/json',
      ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
    },
    payload: options.gzip ? gzipSync(json) : json,
  });
}

export function checkIn(app: FastifyInstance, agentToken: string, inventory: Inventory | null = null) {
  return app.inject({
    method: 'POST',
    url: AGENT_PATHS.checkIn,
    headers: { authorization: `Bearer ${agentToken}` },
    payload: {
      schema: CHECKIN_SCHEMA,
      agentVersion: '1.0.0',
      hostname: 'bionic.example.test',
      inventoryDigest: inventory ? inventoryDigest(inventory) : '0'.repeat(64),
      uptimeSeconds: 10,
    },
  });
}
