import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories } from '../../../test/helpers/factories.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import type { Role } from '../../db/schema.ts';
import { encodeCursor } from '../../lib/page-cursor.ts';
import { seedFindings } from '../findings/findings.test-kit.ts';
import { seedInventory, seedPackages, setAgentColumns } from './assets.test-kit.ts';

/**
 * The asset read API with what the agent reported: agent fields and open-finding counts in the
 * list and the detail, the package inventory in cursor pages, the inventory history and its
 * package changes, and the latest facts; other clients' and organizations' servers answer 404.
 */
let ta: TestApp;
let f: Factories;
const tokens: Record<string, string> = {};
let w: { c1: string; c2: string; server: string; other: string; site: string; foreign: string; inventories: string[] };
const DAY = 86_400_000;

beforeAll(async () => {
  ta = await createTestApp();
  f = createFactories(ta.t.database.db);
  const db = ta.t.database.db;
  const [org, orgB] = [await f.org(), await f.org()];
  const [c1, c2] = [await f.client(org.id), await f.client(org.id)];
  const server = await f.asset(org.id, { clientId: c1.id, name: 'a-server.example.test' });
  const other = await f.asset(org.id, { clientId: c2.id, name: 'b-server.example.test' });
  const site = await f.asset(org.id, { clientId: c1.id, kind: 'site', name: 'c-site.example.test' });
  const foreign = await f.asset(orgB.id, { name: 'foreign.example.test' });
  await setAgentColumns(db, org.id, server.id, {
    agentState: 'online',
    hostname: 'web-1',
    os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', ecosystem: 'Debian:12', extra: 'dropped' },
    kernel: '6.1.0-18-amd64',
    agentVersion: '0.1.0',
    lastSeenAt: '2026-11-20T10:00:00.000Z',
    enrolledAt: '2026-11-01T09:00:00.000Z',
    lastInventoryAt: '2026-11-20T09:55:00.000Z',
  });
  await setAgentColumns(db, org.id, other.id, { agentState: 'offline', os: 'not an object' });
  const future = new Date(Date.now() + 30 * DAY).toISOString();
  const past = new Date(Date.now() - DAY).toISOString();
  const base = { assetId: server.id, clientId: c1.id };
  await seedFindings(db, org.id, [
    { ...base, vulnId: 'CVE-1', severity: 'CRITICAL' },
    { ...base, vulnId: 'CVE-2', severity: 'HIGH', triage: 'acknowledged' },
    { ...base, vulnId: 'CVE-3', severity: 'HIGH', triage: 'risk_accepted', triageReason: 'r', triageExpiresAt: past },
    { ...base, vulnId: 'CVE-4', severity: 'HIGH', triage: 'risk_accepted', triageReason: 'r', triageExpiresAt: future },
    { ...base, vulnId: 'CVE-5', severity: 'LOW', triage: 'false_positive', triageReason: 'r' },
    { ...base, vulnId: 'CVE-6', severity: 'MEDIUM', state: 'fixed' },
  ]);
  await seedPackages(db, org.id, server.id, c1.id, [
    { ecosystem: 'Debian', name: 'openssl', version: '3.0.11-1', sourceName: 'openssl' },
    { ecosystem: 'Debian', name: 'libssl3', version: '3.0.11-1', arch: 'amd64', sourceName: 'openssl' },
    { ecosystem: 'Debian', name: 'libssl3', version: '3.0.11-1', arch: 'i386', sourceName: 'openssl' },
    { ecosystem: 'Debian', name: 'lib_under', version: '1' },
    { ecosystem: 'Debian', name: 'libXunder', version: '1' },
    { ecosystem: 'npm', name: 'lodash', version: '4.17.20', location: '/srv/app/package-lock.json' },
    { ecosystem: 'npm', name: 'lodash', version: '4.17.21', location: '/srv/other/package-lock.json' },
    { ecosystem: 'npm', name: '100%-pure', version: '1.0.0', location: '/srv/app/package-lock.json' },
  ]);
  const inventories = [
    await seedInventory(db, org.id, server.id, c1.id, {
      receivedAt: '2026-11-19T10:00:00Z',
      packageCount: 7,
      changes: [
        { change: 'added', ecosystem: 'Debian', name: 'openssl', newVersion: '3.0.9-1' },
        { change: 'added', ecosystem: 'npm', name: 'lodash', newVersion: '4.17.20' },
      ],
    }),
    await seedInventory(db, org.id, server.id, c1.id, {
      receivedAt: '2026-11-20T10:00:00Z',
      packageCount: 8,
      host: { hostname: 'web-1', arch: 'x86_64', kernel: { release: '6.1.0-18-amd64', version: '#1 SMP' }, os: null, secret: 'dropped' },
      configFacts: [
        {
          id: 'ssh.permit_root_login',
          severity: 'HIGH',
          observed: 'PermitRootLogin yes',
          evidence: ['/etc/ssh/sshd_config:3'],
          extra: 'x',
        },
        { id: 'broken' },
      ],
      services: [{ protocol: 'tcp', address: '0.0.0.0', port: 22 }, 'junk'],
      collectors: [{ name: 'dpkg', status: 'ok', items: 8, durationMs: 12 }],
      wordpress: 'not an array',
      changes: [
        { change: 'changed', ecosystem: 'Debian', name: 'openssl', oldVersion: '3.0.9-1', newVersion: '3.0.11-1' },
        { change: 'added', ecosystem: 'npm', name: '100%-pure', newVersion: '1.0.0' },
        { change: 'removed', ecosystem: 'Debian', name: 'telnet', oldVersion: '0.17' },
      ],
    }),
  ];
  w = { c1: c1.id, c2: c2.id, server: server.id, other: other.id, site: site.id, foreign: foreign.id, inventories };
  const login = async (orgId: string, role: Role, clientId?: string) => {
    const a = await f.actor(orgId, role, clientId ? { clientId } : {});
    return ta.tokenFor({ kind: 'user', id: a.user.id, tenant: a.ctx });
  };
  tokens.viewer = await login(org.id, 'VIEWER');
  tokens.client = await login(org.id, 'CLIENT_MEMBER', c1.id);
  tokens.ownerB = await login(orgB.id, 'OWNER');
});
afterAll(() => ta?.close());

async function get(url: string, token = tokens.viewer, status = 200) {
  const response = await ta.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: token as string } });
  expect(response.statusCode, response.body).toBe(status);
  return response.json();
}

describe('the asset list and detail', () => {
  it('shows agent fields and open findings by severity (acknowledged and expired acceptances count; fixed, accepted, false positives do not)', async () => {
    const { items } = await get('/assets');
    const server = items.find((a: { id: string }) => a.id === w.server);
    expect(server).toEqual({
      id: w.server,
      kind: 'server',
      name: 'a-server.example.test',
      clientId: w.c1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      agentState: 'online',
      lastSeenAt: '2026-11-20T10:00:00.000Z',
      hostname: 'web-1',
      os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', ecosystem: 'Debian:12' },
      openFindings: { total: 3, CRITICAL: 1, HIGH: 2, MEDIUM: 0, LOW: 0, NEGLIGIBLE: 0, UNKNOWN: 0 },
    });
    const site = items.find((a: { id: string }) => a.id === w.site);
    expect(site).toMatchObject({ agentState: 'none', lastSeenAt: null, hostname: null, os: null, openFindings: { total: 0 } });
    // Stored JSON of another shape is no os at all, never a 500.
    expect(items.find((a: { id: string }) => a.id === w.other)).toMatchObject({ agentState: 'offline', os: null });
  });

  it('filters by agent state, kind and client', async () => {
    const ids = async (query: string) => (await get(`/assets?${query}`)).items.map((a: { id: string }) => a.id);
    expect(await ids('agentState=online')).toEqual([w.server]);
    expect(await ids('agentState=offline')).toEqual([w.other]);
    expect(await ids('agentState=none&kind=site')).toEqual([w.site]);
    expect(await ids(`agentState=online&clientId=${w.c2}`)).toEqual([]);
    await get('/assets?agentState=sleeping', tokens.viewer, 400);
  });

  it('details kernel, agent version and times', async () => {
    expect(await get(`/assets/${w.server}`)).toMatchObject({
      kernel: '6.1.0-18-amd64',
      agentVersion: '0.1.0',
      enrolledAt: '2026-11-01T09:00:00.000Z',
      lastInventoryAt: '2026-11-20T09:55:00.000Z',
      checkInSeconds: 300,
      openFindings: { total: 3 },
    });
  });
});

describe('packages', () => {
  it('lists the current packages by ecosystem and name, in cursor pages without gaps or repeats', async () => {
    const whole = (await get(`/assets/${w.server}/packages?limit=500`)).items;
    // Debian before npm; within a name, the architectures in order (names themselves follow the database's collation).
    const keys = whole.map((p: { ecosystem: string; name: string; arch: string | null }) => `${p.ecosystem} ${p.name} ${p.arch ?? ''}`);
    expect(keys.slice(0, 5).every((k: string) => k.startsWith('Debian '))).toBe(true);
    expect(keys.indexOf('Debian libssl3 amd64')).toBe(keys.indexOf('Debian libssl3 i386') - 1);
    expect(whole).toHaveLength(8);
    expect(whole.find((p: { arch: string | null }) => p.arch === 'i386')).toMatchObject({
      name: 'libssl3',
      sourceName: 'openssl',
      location: null,
    });
    for (const limit of [1, 2, 3]) {
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: unknown[]; nextCursor: string | null } = await get(
          `/assets/${w.server}/packages?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(whole);
    }
  });

  it('filters by ecosystem and by literal name text', async () => {
    const names = async (query: string) => (await get(`/assets/${w.server}/packages?${query}`)).items.map((p: { name: string }) => p.name);
    expect(await names('ecosystem=npm')).toEqual(['100%-pure', 'lodash', 'lodash']);
    expect(await names('q=%25')).toEqual(['100%-pure']);
    expect(await names('q=_under')).toEqual(['lib_under']);
    expect(await names('q=OPENSSL&ecosystem=Debian')).toEqual(['libssl3', 'libssl3', 'openssl']);
  });

  it.each(['limit=0', 'limit=501', 'q=', `q=${'x'.repeat(201)}`, 'q=a%00', 'ecosystem=', 'cursor=zzz', 'other=1'])(
    'answers 400 to %s',
    async (query) => {
      await get(`/assets/${w.server}/packages?${query}`, tokens.viewer, 400);
    },
  );

  it('refuses an edited cursor and one from another list', async () => {
    const { nextCursor } = await get(`/assets/${w.server}/packages?limit=2`);
    await get(`/assets/${w.server}/packages?cursor=${nextCursor.slice(0, -2)}`, tokens.viewer, 400);
    await get(`/assets/${w.server}/packages?cursor=${encodeCursor('inventories:desc', ['1'])}`, tokens.viewer, 400);
    await get(`/assets/${w.server}/inventory-history?cursor=${nextCursor}`, tokens.viewer, 400);
  });
});

describe('history, changes and facts', () => {
  it('lists the inventories newest first with their counts', async () => {
    const page = await get(`/assets/${w.server}/inventory-history?limit=1`);
    expect(page.items).toEqual([
      expect.objectContaining({
        id: w.inventories[1],
        receivedAt: '2026-11-20T10:00:00.000Z',
        packageCount: 8,
        added: 1,
        removed: 1,
        changed: 1,
      }),
    ]);
    const next = await get(`/assets/${w.server}/inventory-history?limit=1&cursor=${page.nextCursor}`);
    expect(next).toEqual({ items: [expect.objectContaining({ id: w.inventories[0], added: 2 })], nextCursor: null });
  });

  it('lists package changes newest first, for one inventory on request', async () => {
    const all = (await get(`/assets/${w.server}/package-changes`)).items;
    expect(all.map((c: { name: string; change: string }) => `${c.change} ${c.name}`)).toEqual([
      'removed telnet',
      'added 100%-pure',
      'changed openssl',
      'added lodash',
      'added openssl',
    ]);
    const first = (await get(`/assets/${w.server}/package-changes?inventoryId=${w.inventories[0]}`)).items;
    expect(first.map((c: { name: string }) => c.name)).toEqual(['lodash', 'openssl']);
    expect(all[2]).toMatchObject({ oldVersion: '3.0.9-1', newVersion: '3.0.11-1', inventoryId: w.inventories[1] });
    await get(`/assets/${w.server}/package-changes?inventoryId=abc`, tokens.viewer, 400);
    await get(`/assets/${w.server}/package-changes?inventoryId=0`, tokens.viewer, 400);
  });

  it('shows the latest facts through an allow-list, leaving malformed elements out', async () => {
    const { latest } = await get(`/assets/${w.server}/facts`, tokens.client);
    expect(latest).toEqual({
      inventoryId: w.inventories[1],
      receivedAt: '2026-11-20T10:00:00.000Z',
      collectedAt: expect.any(String),
      host: {
        hostname: 'web-1',
        arch: 'x86_64',
        kernel: { release: '6.1.0-18-amd64', version: '#1 SMP' },
        os: null,
        packagesUpdatedAt: null,
        rebootRequired: null,
      },
      configFacts: [
        { id: 'ssh.permit_root_login', severity: 'HIGH', observed: 'PermitRootLogin yes', evidence: ['/etc/ssh/sshd_config:3'] },
      ],
      services: [{ protocol: 'tcp', address: '0.0.0.0', port: 22 }],
      collectors: [{ name: 'dpkg', status: 'ok', items: 8, durationMs: 12 }],
      wordpress: [],
    });
    expect(await get(`/assets/${w.site}/facts`)).toEqual({ latest: null });
  });
});

describe('tenancy', () => {
  it.each(['packages', 'inventory-history', 'package-changes', 'facts'])(
    '%s: another client’s, another organization’s or an unknown server is 404',
    async (sub) => {
      await get(`/assets/${w.other}/${sub}`, tokens.client, 404);
      await get(`/assets/${w.server}/${sub}`, tokens.ownerB, 404);
      await get(`/assets/${randomUUID()}/${sub}`, tokens.viewer, 404);
      await get(`/assets/${w.server}/${sub}`, tokens.client, 200);
    },
  );
});
