import path from 'node:path';
import { inventoryDigest } from '@vigil/protocol';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedContext } from '../../../test/helpers/factories.ts';
import { withTenant } from '../../db/tenant.ts';
import {
  type AgentTestApp,
  bionicPackages,
  createAgentTestApp,
  FIXTURES,
  inventoryOf,
  sendInventory,
  withVersion,
} from '../agents/agents.test-kit.ts';
import { rows } from '../agents/enrollment.repo.ts';
import { importFeed } from '../intel/feed-import.service.ts';
import { identifySource } from '../intel/feed-source.ts';

/**
 * The monitoring loop's main path on real data: the Ubuntu 18.04 desktop fixture against the
 * bionic Ubuntu security notices, stored, diffed, matched, and kept current as packages move.
 */
let ta: AgentTestApp;
let orgId: string;
let assetId: string;
let agentToken: string;
let otherAssetId: string;
const packages = bionicPackages();

beforeAll(async () => {
  ta = await createAgentTestApp();
  await importFeed(ta.t.database, await identifySource(path.join(FIXTURES, 'osv/ubuntu-usn'), { name: 'osv:usn' }));
  const org = await ta.f.org();
  orgId = org.id;
  const engineer = await ta.f.actor(org.id, 'ENGINEER');
  const server = await ta.f.asset(org.id, { kind: 'server' });
  const other = await ta.f.asset(org.id, { kind: 'server' });
  assetId = server.id;
  otherAssetId = other.id;
  const { createApiKeysService } = await import('../auth/api-keys/api-keys.service.ts');
  agentToken = (await createApiKeysService({ db: ta.t.database.db }).createAgentToken(engineer.ctx, server.id)).token;
});
afterAll(() => ta?.close());

const q = <T>(query: ReturnType<typeof sql>) => withTenant(ta.t.database.db, seedContext(orgId), (tx) => rows<T>(tx, query));

async function counts(id = assetId) {
  const [row] = await q<Record<string, number | string>>(sql`SELECT
    (SELECT count(*)::int FROM vigil.inventories WHERE asset_id = ${id}::uuid) AS inventories,
    (SELECT count(*)::int FROM vigil.asset_packages WHERE asset_id = ${id}::uuid) AS packages,
    (SELECT count(*)::int FROM vigil.package_changes WHERE asset_id = ${id}::uuid) AS changes,
    (SELECT count(*)::int FROM vigil.findings WHERE asset_id = ${id}::uuid) AS findings,
    (SELECT max(updated_at)::text FROM vigil.findings WHERE asset_id = ${id}::uuid) AS findings_updated,
    (SELECT max(updated_at)::text FROM vigil.asset_packages WHERE asset_id = ${id}::uuid) AS packages_updated`);
  return row;
}

interface FindingRow {
  key: string;
  vuln_id: string;
  state: string;
  fixed_at: Date | null;
  reopened_at: Date | null;
  reopen_count: number;
  package_version: string;
  fixed_version: string | null;
  severity: string;
  priority: string;
  kind: string;
  title: string;
  remediation: string | null;
  observed: string | null;
  evidence: string[];
  subject: string | null;
}
const findingsOf = (vulnId: string) =>
  q<FindingRow>(sql`SELECT * FROM vigil.findings WHERE asset_id = ${assetId}::uuid AND vuln_id = ${vulnId} ORDER BY package_name`);

describe('a server’s first inventory', () => {
  it('stores every package and history row, and opens the findings the advisories name', async () => {
    const inventory = inventoryOf(packages);
    const response = await sendInventory(ta.app, agentToken, inventory, { gzip: true });
    expect(response.statusCode).toBe(200);
    const receipt = response.json();
    expect(receipt).toMatchObject({
      digest: inventoryDigest(inventory),
      changed: true,
      packages: { added: packages.length, removed: 0, changed: 0 },
    });
    expect(receipt.findings.opened).toBeGreaterThan(5);
    expect(receipt.findings.open).toBe(receipt.findings.opened);
    expect(await counts()).toMatchObject({ inventories: 1, packages: packages.length, changes: packages.length });
    // sudo 1.8.21p2-3ubuntu1.1 is the fix of USN-4154-1 and older than USN-4705-1's (Baron Samedit).
    const samedit = await findingsOf('USN-4705-1');
    expect(samedit.map((f) => [f.state, f.package_version, f.fixed_version])).toEqual([
      ['open', '1.8.21p2-3ubuntu1.1', '1.8.21p2-3ubuntu1.4'],
    ]);
    expect(await findingsOf('USN-4154-1')).toEqual([]);
    // curl's advisory names the source package: each installed binary of it is its own finding.
    expect((await findingsOf('USN-4402-1')).length).toBeGreaterThanOrEqual(2);
    const [asset] = await q<Record<string, unknown>>(sql`SELECT * FROM vigil.assets WHERE id = ${assetId}::uuid`);
    expect(asset).toMatchObject({
      inventory_digest: receipt.digest,
      kernel: '4.15.0-66-generic',
      agent_state: 'online',
      hostname: 'bionic.example.test',
    });
    expect(asset?.os).toMatchObject({ ecosystem: 'Ubuntu:18.04:LTS' });
    expect(await counts(otherAssetId)).toMatchObject({ inventories: 0, packages: 0, findings: 0 });
  });

  it('writes nothing but last_seen_at for the same inventory collected again', async () => {
    const before = await counts();
    const [{ seen: seenBefore } = { seen: '' }] = await q<{ seen: string }>(
      sql`SELECT last_seen_at::text AS seen FROM vigil.assets WHERE id = ${assetId}::uuid`,
    );
    const again = inventoryOf(packages, { collectedAt: new Date(Date.now() + 1000).toISOString() });
    const response = await sendInventory(ta.app, agentToken, again);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      changed: false,
      packages: { added: 0, removed: 0, changed: 0 },
      findings: { opened: 0, fixed: 0 },
    });
    expect(response.json().findings.open).toBeGreaterThan(5);
    expect(await counts()).toEqual(before);
    const [{ seen } = { seen: '' }] = await q<{ seen: string }>(
      sql`SELECT last_seen_at::text AS seen FROM vigil.assets WHERE id = ${assetId}::uuid`,
    );
    expect(seen).not.toBe(seenBefore);
  });
});

describe('a changed inventory', () => {
  it('fixes a finding when its package is upgraded past the fix, with the change in the history', async () => {
    const before = await counts();
    const response = await sendInventory(ta.app, agentToken, inventoryOf(withVersion(packages, 'sudo', '1.8.21p2-3ubuntu1.4')));
    expect(response.json()).toMatchObject({
      changed: true,
      packages: { added: 0, removed: 0, changed: 1 },
      findings: { fixed: 1, opened: 0 },
    });
    const [samedit] = await findingsOf('USN-4705-1');
    expect(samedit?.state).toBe('fixed');
    expect(samedit?.fixed_at).not.toBeNull();
    const after = await counts();
    expect(Number(after?.inventories)).toBe(Number(before?.inventories) + 1);
    expect(Number(after?.changes)).toBe(Number(before?.changes) + 1);
    const [change] = await q<Record<string, unknown>>(
      sql`SELECT change, name, old_version, new_version FROM vigil.package_changes WHERE asset_id = ${assetId}::uuid ORDER BY id DESC LIMIT 1`,
    );
    expect(change).toEqual({ change: 'changed', name: 'sudo', old_version: '1.8.21p2-3ubuntu1.1', new_version: '1.8.21p2-3ubuntu1.4' });
  });

  it('reopens it on a downgrade, and opens what the older version also had', async () => {
    const response = await sendInventory(ta.app, agentToken, inventoryOf(withVersion(packages, 'sudo', '1.8.21p2-3ubuntu1')));
    expect(response.json().findings).toMatchObject({ reopened: 1, opened: 1 });
    const [samedit] = await findingsOf('USN-4705-1');
    expect(samedit).toMatchObject({ state: 'open', reopen_count: 1, fixed_at: null, package_version: '1.8.21p2-3ubuntu1' });
    expect(samedit?.reopened_at).not.toBeNull();
    expect((await findingsOf('USN-4154-1')).map((f) => f.state)).toEqual(['open']);
  });

  it('fixes the findings of removed packages', async () => {
    const withoutCurl = packages.filter((p) => p.name !== 'curl' && p.source?.name !== 'curl');
    const response = await sendInventory(ta.app, agentToken, inventoryOf(withVersion(withoutCurl, 'sudo', '1.8.21p2-3ubuntu1')));
    expect(response.json().packages.removed).toBe(packages.length - withoutCurl.length);
    const curl = await findingsOf('USN-4402-1');
    expect(curl.length).toBeGreaterThanOrEqual(2);
    expect(curl.every((f) => f.state === 'fixed' && f.fixed_at !== null)).toBe(true);
    const removed = await q<{ name: string }>(
      sql`SELECT name FROM vigil.package_changes WHERE asset_id = ${assetId}::uuid AND change = 'removed'`,
    );
    expect(removed.map((r) => r.name).sort()).toEqual(
      packages
        .filter((p) => !withoutCurl.includes(p))
        .map((p) => p.name)
        .sort(),
    );
  });
});

describe('a collector that failed', () => {
  it('removes nothing it reports: its packages and their findings stay as they were, the rest moves on', async () => {
    const before = await q<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM vigil.findings WHERE asset_id = ${assetId}::uuid AND state = 'open'`,
    );
    const packagesBefore = Number((await counts())?.packages);
    const lodash = { ecosystem: 'npm', name: 'lodash', version: '4.17.11', location: '/srv/app/package-lock.json' };
    const response = await sendInventory(
      ta.app,
      agentToken,
      inventoryOf([lodash], {
        collectors: [
          { name: 'dpkg', status: 'error', message: 'EACCES reading /var/lib/dpkg/status', items: 0, durationMs: 3 },
          { name: 'lockfiles', status: 'ok', items: 1, durationMs: 2 },
        ],
      }),
    );
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ changed: true, packages: { added: 1, removed: 0, changed: 0 }, findings: { fixed: 0 } });
    expect(Number((await counts())?.packages)).toBe(packagesBefore + 1);
    const after = await q<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM vigil.findings WHERE asset_id = ${assetId}::uuid AND state = 'open' AND ecosystem <> 'npm'`,
    );
    expect(after[0]?.n).toBe(before[0]?.n);
  });
});

describe('configuration facts', () => {
  const base = () => withVersion(packages, 'sudo', '1.8.21p2-3ubuntu1').filter((p) => p.name !== 'curl' && p.source?.name !== 'curl');

  it('become configuration findings with the server’s remediation text, and fixed when the check passes', async () => {
    const facts = [
      { id: 'ssh.permit_root_login', severity: 'HIGH' as const, observed: 'PermitRootLogin yes', evidence: ['/etc/ssh/sshd_config:32'] },
      { id: 'accounts.uid0', severity: 'CRITICAL' as const, observed: 'toor has UID 0', evidence: ['/etc/passwd:30'], subject: 'toor' },
      { id: 'vendor.custom_check', severity: 'LOW' as const, observed: 'something odd', evidence: [] },
      { id: 'firewall.active', severity: 'NONE' as const, observed: 'ufw active', evidence: [] },
    ];
    const response = await sendInventory(ta.app, agentToken, inventoryOf(base(), { configFacts: facts }));
    expect(response.json().findings.opened).toBe(3);
    const [root] = await findingsOf('ssh.permit_root_login');
    expect(root).toMatchObject({
      kind: 'config',
      state: 'open',
      severity: 'HIGH',
      title: 'SSH allows root to log in',
      observed: 'PermitRootLogin yes',
    });
    expect(root?.evidence).toEqual(['/etc/ssh/sshd_config:32']);
    expect(root?.remediation).toContain('PermitRootLogin no');
    expect(root?.key).toBe('config:ssh.permit_root_login:');
    const [uid0] = await findingsOf('accounts.uid0');
    expect(uid0).toMatchObject({ subject: 'toor', key: 'config:accounts.uid0:toor', severity: 'CRITICAL' });
    const [custom] = await findingsOf('vendor.custom_check');
    expect(custom?.title).toBe('Configuration check vendor.custom_check failed');
    expect(custom?.remediation).toBeTruthy();
    expect(await findingsOf('firewall.active')).toEqual([]);

    // Root login turned off, the extra UID 0 account removed; the custom check did not run.
    const fixedFacts = [
      { id: 'ssh.permit_root_login', severity: 'NONE' as const, observed: 'PermitRootLogin no', evidence: [] },
      { id: 'accounts.uid0', severity: 'NONE' as const, observed: 'only root has UID 0', evidence: [] },
    ];
    const second = await sendInventory(ta.app, agentToken, inventoryOf(base(), { configFacts: fixedFacts }));
    expect(second.json().findings.fixed).toBe(2);
    expect((await findingsOf('ssh.permit_root_login'))[0]?.state).toBe('fixed');
    expect((await findingsOf('accounts.uid0'))[0]?.state).toBe('fixed');
    expect((await findingsOf('vendor.custom_check'))[0]?.state).toBe('open');
  });
});
