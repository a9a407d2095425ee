import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { AGENT_PATHS, type InventoryPackage, PROTOCOL_LIMITS } from '@vigil/protocol';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedContext } from '../../../test/helpers/factories.ts';
import { withTenant } from '../../db/tenant.ts';
import { type AgentTestApp, bionicPackages, createAgentTestApp, FIXTURES, inventoryOf, sendInventory } from '../agents/agents.test-kit.ts';
import { rows } from '../agents/enrollment.repo.ts';
import { createApiKeysService } from '../auth/api-keys/api-keys.service.ts';
import { importFeed } from '../intel/feed-import.service.ts';
import { identifySource } from '../intel/feed-source.ts';

/**
 * Hostile and broken inventories: each answered with a clear 4xx problem before anything is
 * stored (rows counted before and after), and the body limits hold on the compressed and the
 * inflated size alike.
 */
let ta: AgentTestApp;
let orgId: string;
let assetId: string;
let agentToken: string;

beforeAll(async () => {
  ta = await createAgentTestApp();
  await importFeed(ta.t.database, await identifySource(path.join(FIXTURES, 'osv/ubuntu-usn'), { name: 'osv:usn' }));
  await importFeed(ta.t.database, await identifySource(path.join(FIXTURES, 'osv/ghsa-npm'), { name: 'osv:ghsa-npm' }));
  const org = await ta.f.org();
  orgId = org.id;
  const engineer = await ta.f.actor(org.id, 'ENGINEER');
  const server = await ta.f.asset(org.id, { kind: 'server' });
  assetId = server.id;
  agentToken = (await createApiKeysService({ db: ta.t.database.db }).createAgentToken(engineer.ctx, server.id)).token;
  // A server with an inventory and findings already: a refused one must leave all of it as it was.
  const first = await sendInventory(ta.app, agentToken, inventoryOf([lodash]));
  if (first.statusCode !== 200) throw new Error(`the first inventory was refused: ${first.body}`);
});
afterAll(() => ta?.close());

async function stored() {
  const [row] = await withTenant(ta.t.database.db, seedContext(orgId), (tx) =>
    rows<Record<string, number | string | null>>(
      tx,
      sql`SELECT (SELECT count(*)::int FROM vigil.inventories) AS inventories, (SELECT count(*)::int FROM vigil.asset_packages) AS packages,
                 (SELECT count(*)::int FROM vigil.package_changes) AS changes, (SELECT count(*)::int FROM vigil.findings) AS findings,
                 (SELECT inventory_digest FROM vigil.assets WHERE id = ${assetId}::uuid) AS digest`,
    ),
  );
  return row;
}

function post(payload: Buffer | string, headers: Record<string, string> = {}) {
  return ta.app.inject({
    method: 'POST',
    url: AGENT_PATHS.inventory,
    headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json', ...headers },
    payload,
  });
}

const lodash: InventoryPackage = { ecosystem: 'npm', name: 'lodash', version: '4.17.11', location: '/srv/app/package-lock.json' };

describe('refused inventories store nothing', () => {
  const cases: [string, () => Promise<{ statusCode: number; json(): { type: string; detail?: string } }>, number, RegExp][] = [
    [
      '100,000 packages (gzip under 1 MB)',
      () => {
        const many = Array.from({ length: 100_000 }, (_, i) => ({ ecosystem: 'npm', name: `p${i}`, version: '1.0.0' }));
        return sendInventory(ta.app, agentToken, inventoryOf(many), { gzip: true });
      },
      413,
      /inventory-too-many-packages/,
    ],
    [
      'a gzip bomb (40 MB of zeros)',
      async () => post(gzipSync(Buffer.alloc(40 * 1024 * 1024), { level: 9 }), { 'content-encoding': 'gzip' }),
      413,
      /inventory-inflated-too-large/,
    ],
    [
      'more than 1 MB as sent',
      async () =>
        post(
          JSON.stringify(inventoryOf([{ ...lodash, name: 'x'.repeat(200) }], { services: [] })).padEnd(PROTOCOL_LIMITS.bodyBytes + 10, ' '),
        ),
      413,
      /too-large/,
    ],
    [
      'a package listed twice',
      () =>
        sendInventory(
          ta.app,
          agentToken,
          inventoryOf([lodash, { ...bionicPackages()[0] } as InventoryPackage, { ...lodash, version: '4.17.21' }]),
        ),
      422,
      /inventory-duplicate-package/,
    ],
    [
      'an unknown schema version',
      () => sendInventory(ta.app, agentToken, { ...inventoryOf([lodash]), schema: 'vigil.inventory/2' }),
      400,
      /schema-unsupported/,
    ],
    [
      'a damaged gzip stream',
      async () => post(gzipSync(Buffer.from(JSON.stringify(inventoryOf([lodash])))).subarray(0, 40), { 'content-encoding': 'gzip' }),
      400,
      /gzip-invalid/,
    ],
    ['gzip garbage', async () => post(Buffer.from('definitely not gzip'), { 'content-encoding': 'gzip' }), 400, /gzip-invalid/],
    ['an unknown content-encoding', async () => post(Buffer.from('{}'), { 'content-encoding': 'br' }), 415, /encoding-unsupported/],
    ['a JSON array', async () => post('[]'), 400, /not-an-object/],
    ['JSON null', async () => post('null'), 400, /not-an-object/],
    ['malformed JSON', async () => post('{"schema": "vigil.inventory/1",'), 400, /malformed-json/],
    [
      'a field of the wrong type',
      () => sendInventory(ta.app, agentToken, { ...inventoryOf([lodash]), packages: 'all' }),
      400,
      /validation-failed/,
    ],
    ['an unknown field', () => sendInventory(ta.app, agentToken, { ...inventoryOf([lodash]), extra: 1 }), 400, /validation-failed/],
  ];

  it.each(cases)('%s', async (_what, send, status, type) => {
    const before = await stored();
    expect(before).toMatchObject({ inventories: 1, packages: 1 });
    expect(before?.digest).toMatch(/^[0-9a-f]{64}$/);
    const response = await send();
    expect(response.statusCode).toBe(status);
    expect(response.json().type).toMatch(type);
    expect(await stored()).toEqual(before);
  });

  it('names the supported version and the duplicate package', async () => {
    const wrong = await sendInventory(ta.app, agentToken, { ...inventoryOf([lodash]), schema: 'vigil.inventory/2' });
    expect(wrong.json().detail).toContain('vigil.inventory/1');
    const twice = await sendInventory(ta.app, agentToken, inventoryOf([lodash, { ...lodash, version: '4.17.21' }]));
    expect(twice.json().detail).toContain('lodash');
    expect(twice.json().detail).toContain('/srv/app/package-lock.json');
  });
});

describe('an inventory whose OS release is unknown', () => {
  it('stores the OS packages without matching them, and still matches language packages', async () => {
    const os = bionicPackages().filter((p) => p.name === 'sudo' || p.name === 'libcurl4');
    const inventory = inventoryOf([...os, lodash]);
    inventory.host.os = null;
    const response = await sendInventory(ta.app, agentToken, inventory, { gzip: true });
    expect(response.statusCode).toBe(200);
    // lodash was there from the first inventory; the two OS packages are new.
    expect(response.json().packages.added).toBe(2);
    const found = await withTenant(ta.t.database.db, seedContext(orgId), (tx) =>
      rows<{ package_name: string }>(
        tx,
        sql`SELECT DISTINCT package_name FROM vigil.findings WHERE asset_id = ${assetId}::uuid AND state = 'open'`,
      ),
    );
    expect(found.map((f) => f.package_name)).toEqual(['lodash']);
    expect((await stored())?.packages).toBe(3);
  });
});
