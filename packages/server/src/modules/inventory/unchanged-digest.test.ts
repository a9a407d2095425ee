import { type Inventory, inventoryDigest, PROTOCOL_LIMITS } from '@vigil/protocol';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedContext } from '../../../test/helpers/factories.ts';
import { withTenant } from '../../db/tenant.ts';
import { type AgentTestApp, bionicPackages, createAgentTestApp, inventoryOf, sendInventory } from '../agents/agents.test-kit.ts';
import { rows } from '../agents/enrollment.repo.ts';
import { createApiKeysService } from '../auth/api-keys/api-keys.service.ts';
import { digestBeforeValidation } from './unchanged-digest.ts';

/**
 * An unchanged inventory is answered from its digest before the schema walks its packages: it
 * must still be refused for anything the digest does not cover, and anything the digest covers
 * that differs must take the full path.
 */
const packages = bionicPackages().slice(0, 200);
const facts: Inventory['configFacts'] = [
  { id: 'ssh.permit_root_login', severity: 'HIGH', observed: 'PermitRootLogin yes', evidence: ['/etc/ssh/sshd_config:32'] },
  { id: 'firewall.active', severity: 'MEDIUM', observed: 'ufw inactive', evidence: [] },
];
const base = inventoryOf(packages, { configFacts: facts });
const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('digestBeforeValidation', () => {
  it('is the inventory’s digest for a body the schema accepts', () => {
    expect(digestBeforeValidation(json(base))).toBe(inventoryDigest(base));
  });

  it.each<[string, (body: Record<string, unknown>) => unknown]>([
    ['collectedAt is not a time', (b) => Object.assign(b, { collectedAt: 'yesterday' })],
    ['collectedAt is missing', (b) => delete b.collectedAt],
    ['a duration is negative', (b) => Object.assign(b, { collectors: [{ name: 'dpkg', status: 'ok', items: 1, durationMs: -1 }] })],
    ['a collector report is not an object', (b) => Object.assign(b, { collectors: [null] })],
    ['collectors is not a list', (b) => Object.assign(b, { collectors: 'dpkg' })],
    ['more services than the limit', (b) => Object.assign(b, { services: new Array(PROTOCOL_LIMITS.services + 1).fill(0) })],
    ['more config facts than the limit', (b) => Object.assign(b, { configFacts: new Array(PROTOCOL_LIMITS.configFacts + 1).fill(0) })],
    ['a package is null', (b) => Object.assign(b, { packages: [null] })],
    ['packages is not a list', (b) => Object.assign(b, { packages: 'all of them' })],
    ['a value nested too deeply to walk', (b) => Object.assign(b, { host: JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`) })],
  ])('is null when %s', (_, change) => {
    const body = json(base) as unknown as Record<string, unknown>;
    change(body);
    expect(digestBeforeValidation(body)).toBeNull();
  });
});

describe('an unchanged inventory over HTTP', () => {
  let ta: AgentTestApp;
  let orgId: string;
  let assetId: string;
  let token: string;

  beforeAll(async () => {
    ta = await createAgentTestApp();
    const org = await ta.f.org();
    orgId = org.id;
    const engineer = await ta.f.actor(org.id, 'ENGINEER');
    const server = await ta.f.asset(org.id, { kind: 'server' });
    assetId = server.id;
    token = (await createApiKeysService({ db: ta.t.database.db }).createAgentToken(engineer.ctx, server.id)).token;
    const first = await sendInventory(ta.app, token, base, { gzip: true });
    if (first.statusCode !== 200) throw new Error(`the first inventory was refused: ${first.body}`);
  });
  afterAll(() => ta?.close());

  const lastSeen = async () => {
    const [row] = await withTenant(ta.t.database.db, seedContext(orgId), (tx) =>
      rows<{ seen: string; inventories: number }>(
        tx,
        sql`SELECT last_seen_at::text AS seen, (SELECT count(*)::int FROM vigil.inventories WHERE asset_id = ${assetId}::uuid) AS inventories
              FROM vigil.assets WHERE id = ${assetId}::uuid`,
      ),
    );
    return row;
  };

  it('is answered unchanged however its lists are ordered and whenever it was collected', async () => {
    const again = { ...base, collectedAt: new Date(Date.now() + 5_000).toISOString(), packages: [...packages].reverse() };
    const response = await sendInventory(ta.app, token, again, { gzip: true });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ changed: false, digest: inventoryDigest(base) });
  });

  it('is still answered unchanged when it leaves out what the schema fills in', async () => {
    // `evidence` defaults to []: the body's digest differs from the validated inventory's.
    const { evidence: _none, ...withoutEvidence } = facts[1] as Inventory['configFacts'][number];
    const response = await sendInventory(ta.app, token, { ...base, configFacts: [facts[0], withoutEvidence] }, { gzip: true });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ changed: false, digest: inventoryDigest(base) });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a collectedAt that is not a time', { collectedAt: '2026-13-45' }, /collectedAt/],
    ['a negative duration', { collectors: [{ name: 'dpkg', status: 'ok', items: 200, durationMs: -5 }] }, /collectors\.0\.durationMs/],
    ['an unknown member', { extra: true }, /Unrecognized key/],
  ])('is refused, moving nothing, for %s', async (_, change, detail) => {
    const before = await lastSeen();
    const response = await sendInventory(ta.app, token, { ...base, ...change }, { gzip: true });
    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toMatch(detail);
    expect(await lastSeen()).toEqual(before);
  });

  it('is refused when a package repeats, though the rest is what the server holds', async () => {
    const response = await sendInventory(ta.app, token, { ...base, packages: [...packages, packages[0]] }, { gzip: true });
    expect(response.statusCode).toBe(422);
    expect(response.json().type).toMatch(/inventory-duplicate-package/);
  });
});
