import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-database.ts';
import type { Tx } from './database.ts';
import { PG, pgError } from './pg-errors.ts';
import { assets, clients, organizations } from './schema.ts';
import { type TenantContext, withSystem, withTenant } from './tenant.ts';

/**
 * Layer 3 of tenancy on its own: queries written deliberately WITHOUT an org_id filter, run
 * under tenant A's context, must neither see nor touch tenant B's rows. Runs on whichever
 * driver the suite runs on (PGlite by default, PostgreSQL under DATABASE_URL).
 */
let t: TestDatabase;
const orgA = randomUUID();
const orgB = randomUUID();
const clientA1 = randomUUID();
const clientA2 = randomUUID();
const clientB1 = randomUUID();
const ctxA: TenantContext = { orgId: orgA, userId: null, role: 'OWNER', clientIds: 'all' };
const ctxB: TenantContext = { orgId: orgB, userId: null, role: 'OWNER', clientIds: 'all' };

async function seed(tx: Tx, orgId: string, slug: string, clientIds: string[]) {
  await tx.insert(organizations).values({ id: orgId, name: slug, slug });
  for (const [i, id] of clientIds.entries()) await tx.insert(clients).values({ id, orgId, name: `${slug}-client-${i}` });
  await tx
    .insert(assets)
    .values([
      { orgId, kind: 'server', name: `${slug}-agency-server` },
      ...clientIds.map((clientId, i) => ({ orgId, clientId, kind: 'site' as const, name: `${slug}-site-${i}` })),
    ]);
}

beforeAll(async () => {
  t = await createTestDatabase();
  await withTenant(t.database.db, ctxA, (tx) => seed(tx, orgA, 'org-a', [clientA1, clientA2]));
  await withTenant(t.database.db, ctxB, (tx) => seed(tx, orgB, 'org-b', [clientB1]));
});
afterAll(() => t?.destroy());

describe('row-level security without any application filter', () => {
  it('shows tenant A only its own organizations, clients and assets', async () => {
    const seen = await withTenant(t.database.db, ctxA, async (tx) => ({
      orgs: await tx.select().from(organizations),
      clients: await tx.select().from(clients),
      assets: await tx.select().from(assets),
      raw: await tx.execute(sql`SELECT count(*)::int AS n FROM vigil.assets`),
    }));
    expect(seen.orgs.map((o) => o.id)).toEqual([orgA]);
    expect(seen.clients.map((c) => c.orgId)).toEqual([orgA, orgA]);
    expect(seen.assets).toHaveLength(3);
    expect(seen.assets.every((a) => a.orgId === orgA)).toBe(true);
    expect((seen.raw as { rows: { n: number }[] }).rows[0]?.n).toBe(3);
  });

  it('cannot update or delete tenant B rows, and B keeps them', async () => {
    await withTenant(t.database.db, ctxA, async (tx) => {
      const updated = await tx.update(assets).set({ name: 'pwned' }).returning();
      expect(updated.every((a) => a.orgId === orgA)).toBe(true);
      await tx.delete(clients).where(sql`id = ${clientB1}`);
      await tx.execute(sql`UPDATE vigil.organizations SET name = 'pwned' WHERE id = ${orgB}`);
      throw new RollbackSignal();
    }).catch((e) => {
      if (!(e instanceof RollbackSignal)) throw e;
    });
    const b = await withTenant(t.database.db, ctxB, async (tx) => ({
      org: await tx.select().from(organizations),
      clients: await tx.select().from(clients),
      assets: await tx.select().from(assets),
    }));
    expect(b.org[0]?.name).toBe('org-b');
    expect(b.clients.map((c) => c.id)).toEqual([clientB1]);
    expect(b.assets.map((a) => a.name).sort()).toEqual(['org-b-agency-server', 'org-b-site-0']);
  });

  it('cannot insert a row into tenant B while acting as tenant A', async () => {
    const plantAsset = withTenant(t.database.db, ctxA, (tx) => tx.insert(assets).values({ orgId: orgB, kind: 'server', name: 'planted' }));
    expect(pgError(await plantAsset.catch((e) => e))?.code).toBe(PG.INSUFFICIENT_PRIVILEGE);
    const plantClient = withTenant(t.database.db, ctxA, (tx) => tx.insert(clients).values({ orgId: orgB, name: 'planted' }));
    expect(pgError(await plantClient.catch((e) => e))?.code).toBe(PG.INSUFFICIENT_PRIVILEGE);
  });

  it('cannot attach an asset of its own org to another org’s client', async () => {
    const crossed = withTenant(t.database.db, ctxA, (tx) =>
      tx.insert(assets).values({ orgId: orgA, clientId: clientB1, kind: 'site', name: 'x' }),
    );
    expect(pgError(await crossed.catch((e) => e))?.code).toBe(PG.FOREIGN_KEY_VIOLATION);
  });

  it('limits a client-bound context to its client’s rows', async () => {
    const member: TenantContext = { orgId: orgA, userId: null, role: 'CLIENT_MEMBER', clientIds: [clientA1] };
    const seen = await withTenant(t.database.db, member, async (tx) => ({
      clients: await tx.select().from(clients),
      assets: await tx.select().from(assets),
    }));
    expect(seen.clients.map((c) => c.id)).toEqual([clientA1]);
    expect(seen.assets.map((a) => a.clientId)).toEqual([clientA1]);
  });

  it('sees nothing at all without a context, and nothing leaks between transactions', async () => {
    await withTenant(t.database.db, ctxA, (tx) => tx.select().from(assets));
    const bare = await t.database.db.select().from(assets);
    expect(bare).toEqual([]);
    const system = await withSystem(t.database.db, (tx) => tx.select().from(assets));
    expect(system).toEqual([]);
  });

  it('runs the app as a role that RLS binds', async () => {
    const { rows } = await t.database.query<{ u: string; s: boolean; b: boolean }>(
      'SELECT current_user AS u, rolsuper AS s, rolbypassrls AS b FROM pg_roles WHERE rolname = current_user',
    );
    expect(rows[0]).toEqual({ u: 'vigil_app', s: false, b: false });
  });
});

class RollbackSignal extends Error {}
