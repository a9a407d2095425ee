/**
 * The ingest benchmark's server: the real app (buildApp) listening on a loopback port, on a fresh
 * embedded database in a temp directory or a fresh PostgreSQL database reached as the hardened
 * runtime login (RLS applies, as in production), with the bionic Ubuntu security notices
 * imported, one organization and `servers` server assets, each with its own agent token issued by
 * the API-key service as the dashboard issues it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { assets, memberships, organizations, users } from '../../src/db/schema.ts';
import { type TenantContext, withSystem, withTenant } from '../../src/db/tenant.ts';
import { createApiKeysService } from '../../src/modules/auth/api-keys/api-keys.service.ts';
import { importFeed } from '../../src/modules/intel/feed-import.service.ts';
import { identifySource } from '../../src/modules/intel/feed-source.ts';
import { createEmptyPostgresDatabase } from '../../test/helpers/test-database.ts';

export interface IngestWorld {
  baseUrl: string;
  /** One agent token per server asset, in asset order. */
  tokens: string[];
  stop(): Promise<void>;
}

export async function startIngestWorld(opts: { postgres: boolean; servers: number; usnDir: string }): Promise<IngestWorld> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'vigil-bench-ingest-'));
  // createEmptyPostgresDatabase reads DATABASE_URL (the caller sets it to the throwaway cluster).
  const pg = opts.postgres ? await createEmptyPostgresDatabase() : null;
  if (opts.postgres && !pg) throw new Error('no PostgreSQL server to create the database on');
  const config = loadConfig({
    VIGIL_DATA_DIR: path.join(scratch, 'data'),
    LOG_LEVEL: 'silent',
    ...(pg ? { DATABASE_URL: pg.url, DATABASE_MIGRATION_URL: pg.migrationUrl } : {}),
    // The benchmark measures the ingest, not the per-token request budget.
    RATE_LIMITS: 'api=100000/min,public=100000/min',
  });
  const database = await openDatabase(config.database);
  const cleanup = async () => {
    await database.close().catch(() => {});
    await pg?.drop().catch(() => {});
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    await importFeed(database, await identifySource(opts.usnDir, { name: 'osv:usn' }));
    const owner = await seedOwner(database.db);
    const apiKeys = createApiKeysService({ db: database.db });
    const tokens: string[] = [];
    for (let i = 0; i < opts.servers; i++) {
      const [asset] = await withTenant(database.db, owner, (tx) =>
        tx
          .insert(assets)
          .values({ orgId: owner.orgId, kind: 'server', name: `web-${String(i).padStart(2, '0')}.bench.example` })
          .returning({ id: assets.id }),
      );
      if (!asset) throw new Error('INSERT … RETURNING produced no row');
      tokens.push((await apiKeys.createAgentToken(owner, asset.id)).token);
    }
    const app = await buildApp({ config, database, logger: pino({ level: 'silent' }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      tokens,
      async stop() {
        await app.close();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** An organization and its owner, created as bootstrap creates them (the member in the system scope). */
async function seedOwner(db: Parameters<typeof withSystem>[0]): Promise<TenantContext> {
  const orgId = randomUUID();
  const [user] = await withSystem(db, (tx) => tx.insert(users).values({ email: 'owner@bench.example' }).returning({ id: users.id }));
  if (!user) throw new Error('INSERT … RETURNING produced no row');
  const owner: TenantContext = { orgId, userId: user.id, role: 'OWNER', clientIds: 'all' };
  await withTenant(db, owner, (tx) => tx.insert(organizations).values({ id: orgId, name: 'Bench', slug: `bench-${orgId.slice(0, 8)}` }));
  await withSystem(db, (tx) => tx.insert(memberships).values({ orgId, userId: user.id, role: 'OWNER' }));
  return owner;
}
