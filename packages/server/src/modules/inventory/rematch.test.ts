import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedContext } from '../../../test/helpers/factories.ts';
import { withTenant } from '../../db/tenant.ts';
import { type AgentTestApp, bionicPackages, createAgentTestApp, FIXTURES, inventoryOf, sendInventory } from '../agents/agents.test-kit.ts';
import { rows } from '../agents/enrollment.repo.ts';
import { createApiKeysService } from '../auth/api-keys/api-keys.service.ts';
import { importFeed } from '../intel/feed-import.service.ts';
import { identifySource } from '../intel/feed-source.ts';
import { applyPendingImports } from './inventory.jobs.ts';
import { rematchAfterImport } from './rematch.service.ts';

/**
 * A feed import reaches servers without a new inventory: an advisory added to the feed opens
 * findings on exactly the servers that have its package, and withdrawing it fixes them.
 */
const USN = path.join(FIXTURES, 'osv/ubuntu-usn');
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-rematch-'));
const without = path.join(dir, 'without-4705');
const all = path.join(dir, 'all');
const withoutCurl = path.join(dir, 'without-4402');
for (const file of readdirSync(USN)) {
  cpSync(path.join(USN, file), path.join(all, file));
  if (file !== 'USN-4705-1.json') cpSync(path.join(USN, file), path.join(without, file));
  if (file !== 'USN-4402-1.json') cpSync(path.join(USN, file), path.join(withoutCurl, file));
}

let ta: AgentTestApp;
let orgId: string;
const servers: Record<'withSudo' | 'withoutSudo', string> = { withSudo: '', withoutSudo: '' };

const importUsn = async (from: string) => {
  const report = await importFeed(ta.t.database, await identifySource(from, { name: 'osv:usn' }));
  return report.importId as number;
};

beforeAll(async () => {
  ta = await createAgentTestApp();
  await importUsn(without);
  const org = await ta.f.org();
  orgId = org.id;
  const engineer = await ta.f.actor(org.id, 'ENGINEER');
  const keys = createApiKeysService({ db: ta.t.database.db });
  const packages = bionicPackages();
  for (const [name, list] of [
    ['withSudo', packages],
    ['withoutSudo', packages.filter((p) => p.name !== 'sudo')],
  ] as const) {
    const server = await ta.f.asset(org.id, { kind: 'server' });
    servers[name] = server.id;
    const { token } = await keys.createAgentToken(engineer.ctx, server.id);
    expect((await sendInventory(ta.app, token, inventoryOf(list), { gzip: true })).statusCode).toBe(200);
  }
});
afterAll(() => ta?.close());

const findings = (assetId: string) =>
  withTenant(ta.t.database.db, seedContext(orgId), (tx) =>
    rows<{ key: string; vuln_id: string; state: string; updated_at: string }>(
      tx,
      sql`SELECT key, vuln_id, state, updated_at::text FROM vigil.findings WHERE asset_id = ${assetId}::uuid ORDER BY key`,
    ),
  );

describe('re-matching after a feed import', () => {
  it('opens the new advisory’s finding on the server that has the package, and touches no other', async () => {
    expect((await findings(servers.withSudo)).filter((f) => f.vuln_id === 'USN-4705-1')).toEqual([]);
    const untouched = await findings(servers.withoutSudo);
    const inventoriesBefore = await withTenant(ta.t.database.db, seedContext(orgId), (tx) =>
      rows(tx, sql`SELECT id FROM vigil.inventories`),
    );

    const report = await rematchAfterImport(ta.t.database, await importUsn(all));
    expect(report).toMatchObject({ assets: 1, findings: { opened: 1, fixed: 0, reopened: 0 } });
    const samedit = (await findings(servers.withSudo)).filter((f) => f.vuln_id === 'USN-4705-1');
    expect(samedit.map((f) => f.state)).toEqual(['open']);
    expect(await findings(servers.withoutSudo)).toEqual(untouched);
    // No inventory was needed or written.
    expect(await withTenant(ta.t.database.db, seedContext(orgId), (tx) => rows(tx, sql`SELECT id FROM vigil.inventories`))).toEqual(
      inventoriesBefore,
    );
  });

  it('is idempotent, and fixes the findings of an advisory the feed no longer carries', async () => {
    const again = await rematchAfterImport(ta.t.database, (await importUsn(all)) ?? 0);
    expect(again.findings).toEqual({ opened: 0, fixed: 0, reopened: 0 });
    const curlOpen = async (assetId: string) =>
      (await findings(assetId)).filter((f) => f.vuln_id === 'USN-4402-1' && f.state === 'open').length;
    const open = { withSudo: await curlOpen(servers.withSudo), withoutSudo: await curlOpen(servers.withoutSudo) };
    expect(open.withSudo).toBeGreaterThanOrEqual(2);
    // USN-4402-1 (curl, 2020) is gone from this copy of the snapshot feed: withdrawn.
    const report = await rematchAfterImport(ta.t.database, await importUsn(withoutCurl));
    expect(report).toMatchObject({ assets: 2, findings: { fixed: open.withSudo + open.withoutSudo, opened: 0 } });
    expect(await curlOpen(servers.withSudo)).toBe(0);
    expect(await curlOpen(servers.withoutSudo)).toBe(0);
    expect((await findings(servers.withSudo)).filter((f) => f.vuln_id === 'USN-4402-1').every((f) => f.state === 'fixed')).toBe(true);
  });

  it('runs from the scheduled job for every import not yet applied, KEV included, and only once', async () => {
    const quiet = { info: () => {} };
    await importUsn(all);
    await importFeed(ta.t.database, await identifySource(path.join(FIXTURES, 'kev/known_exploited_vulnerabilities.json')));
    expect(await applyPendingImports(ta.t.database, quiet)).toBeGreaterThanOrEqual(2);
    expect(await applyPendingImports(ta.t.database, quiet)).toBe(0);
    const [samedit] = await withTenant(ta.t.database.db, seedContext(orgId), (tx) =>
      rows<{ state: string; kev: boolean; kev_due_date: string; priority: string }>(
        tx,
        sql`SELECT state, kev, kev_due_date::text, priority FROM vigil.findings WHERE asset_id = ${servers.withSudo}::uuid AND vuln_id = 'USN-4705-1'`,
      ),
    );
    // Baron Samedit (CVE-2021-3156) is in CISA's catalog: exploited, P1, with the KEV due date.
    expect(samedit).toMatchObject({ state: 'open', kev: true, priority: 'P1' });
    expect(samedit?.kev_due_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('re-matching while an inventory arrives', () => {
  it('waits for the server’s inventory, so a package removed meanwhile gets no finding', async () => {
    // Curl's advisory is withdrawn; a server with curl reports; then the advisory comes back
    // while that server's next inventory (without curl) is being written.
    await rematchAfterImport(ta.t.database, await importUsn(withoutCurl));
    const engineer = await ta.f.actor(orgId, 'ENGINEER');
    const server = await ta.f.asset(orgId, { kind: 'server' });
    const { token } = await createApiKeysService({ db: ta.t.database.db }).createAgentToken(engineer.ctx, server.id);
    expect((await sendInventory(ta.app, token, inventoryOf(bionicPackages()), { gzip: true })).statusCode).toBe(200);
    const curlBack = await importUsn(all);

    // What ingest does for an inventory without curl, held open while the re-match starts: it
    // locks its server, then changes the packages (on PGlite transactions queue; on PostgreSQL
    // this is a real race, which the re-match's lock on the server decides).
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const ingest = withTenant(ta.t.database.db, seedContext(orgId), async (tx) => {
      await tx.execute(sql`SELECT id FROM vigil.assets WHERE id = ${server.id}::uuid FOR UPDATE`);
      locked();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await tx.execute(
        sql`DELETE FROM vigil.asset_packages WHERE asset_id = ${server.id}::uuid AND (name = 'curl' OR source_name = 'curl')`,
      );
    });
    await lockTaken;
    const rematch = rematchAfterImport(ta.t.database, curlBack);
    await Promise.all([ingest, rematch]);

    const open = (await findings(server.id)).filter((f) => f.vuln_id === 'USN-4402-1' && f.state === 'open');
    expect(open).toEqual([]);
  });
});
