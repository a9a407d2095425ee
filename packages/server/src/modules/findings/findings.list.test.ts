import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories } from '../../../test/helpers/factories.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import type { Role } from '../../db/schema.ts';
import type { FindingPage, FindingView } from './findings.schemas.ts';
import { type SeedFinding, seedFindings } from './findings.test-kit.ts';

/**
 * GET /api/v1/findings and /findings/:id through the real app on a real database: every filter,
 * the text search taken literally, tenant and client confinement, and bad input answered 400.
 */
let ta: TestApp;
let f: Factories;
const tokens: Record<string, string> = {};
let ids: Record<string, string> = {};
let world: { c1: string; c2: string; s1: string; s2: string; s3: string; foreign: string };

const DAY = 86_400_000;
const future = new Date(Date.now() + 30 * DAY).toISOString();
const past = new Date(Date.now() - DAY).toISOString();

beforeAll(async () => {
  ta = await createTestApp();
  f = createFactories(ta.t.database.db);
  const db = ta.t.database.db;
  const [orgA, orgB] = [await f.org(), await f.org()];
  const [c1, c2] = [await f.client(orgA.id), await f.client(orgA.id)];
  const s1 = await f.asset(orgA.id, { clientId: c1.id, name: 'alpha.example.test' });
  const s2 = await f.asset(orgA.id, { clientId: c2.id, name: 'bravo.example.test' });
  const s3 = await f.asset(orgA.id, { clientId: null, name: 'charlie.example.test' });
  const b1 = await f.asset(orgB.id, { clientId: null, name: 'foreign.example.test' });
  const named: Array<[string, SeedFinding]> = [
    [
      'critKev',
      {
        assetId: s1.id,
        clientId: c1.id,
        vulnId: 'CVE-2024-0001',
        severity: 'CRITICAL',
        kev: true,
        kevDueDate: '2026-01-15',
        fixedVersion: '1.2',
        aliases: ['DSA-5001-1'],
        packageName: 'openssl',
        title: 'Remote code execution',
        cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, extra: 'dropped' },
        match: 'openssl 1.0 < 1.2 (Debian:12)',
      },
    ],
    [
      'high',
      {
        assetId: s1.id,
        clientId: c1.id,
        vulnId: 'CVE-2024-0002',
        severity: 'HIGH',
        fixState: 'fixed',
        packageName: 'curl',
        title: '100% broken parser',
      },
    ],
    [
      'highNoFix',
      {
        assetId: s2.id,
        clientId: c2.id,
        vulnId: 'GHSA-aaaa-bbbb-cccc',
        severity: 'HIGH',
        fixState: 'not_fixed',
        packageName: 'lodash',
        title: 'under_score trouble',
        ecosystem: 'npm',
      },
    ],
    [
      'medium',
      {
        assetId: s2.id,
        clientId: c2.id,
        vulnId: 'CVE-2024-0004',
        severity: 'MEDIUM',
        packageName: 'zlib',
        title: 'plain100x broken',
        triage: 'acknowledged',
      },
    ],
    [
      'accepted',
      {
        assetId: s3.id,
        clientId: null,
        vulnId: 'CVE-2024-0005',
        severity: 'LOW',
        packageName: 'bash',
        title: 'underXscore',
        triage: 'risk_accepted',
        triageReason: 'isolated',
        triageExpiresAt: future,
      },
    ],
    [
      'expired',
      {
        assetId: s3.id,
        clientId: null,
        vulnId: 'CVE-2024-0006',
        severity: 'LOW',
        packageName: 'sudo',
        triage: 'risk_accepted',
        triageReason: 'was fine',
        triageExpiresAt: past,
      },
    ],
    [
      'falsePositive',
      {
        assetId: s1.id,
        clientId: c1.id,
        vulnId: 'CVE-2024-0007',
        severity: 'UNKNOWN',
        packageName: 'vim',
        triage: 'false_positive',
        triageReason: 'not used',
      },
    ],
    [
      'fixed',
      {
        assetId: s1.id,
        clientId: c1.id,
        vulnId: 'CVE-2024-0008',
        severity: 'HIGH',
        packageName: 'git',
        state: 'fixed',
        triage: 'acknowledged',
      },
    ],
    [
      'config',
      {
        assetId: s1.id,
        clientId: c1.id,
        kind: 'config',
        vulnId: 'ssh.permit_root_login',
        severity: 'HIGH',
        packageName: null,
        title: 'Root can log in over SSH',
        subject: null,
        observed: 'PermitRootLogin yes',
        evidence: ['/etc/ssh/sshd_config:12'],
        remediation: 'Set PermitRootLogin no',
      },
    ],
  ];
  const seeded = await seedFindings(
    db,
    orgA.id,
    named.map(([, s]) => s),
  );
  ids = Object.fromEntries(named.map(([name], i) => [name, seeded[i] as string]));
  const [foreign] = await seedFindings(db, orgB.id, [{ assetId: b1.id, clientId: null, vulnId: 'CVE-2024-0001', title: 'foreign-marker' }]);
  world = { c1: c1.id, c2: c2.id, s1: s1.id, s2: s2.id, s3: s3.id, foreign: foreign as string };

  const login = async (orgId: string, role: Role, clientId?: string) => {
    const a = await f.actor(orgId, role, clientId ? { clientId } : {});
    return ta.tokenFor({ kind: 'user', id: a.user.id, tenant: a.ctx });
  };
  tokens.owner = await login(orgA.id, 'OWNER');
  tokens.viewer = await login(orgA.id, 'VIEWER');
  tokens.client = await login(orgA.id, 'CLIENT_MEMBER', c1.id);
  tokens.ownerB = await login(orgB.id, 'OWNER');
});
afterAll(() => ta?.close());

const get = (url: string, token?: string) =>
  ta.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: token ? { authorization: token } : {} });
async function list(query: string, token = tokens.viewer): Promise<FindingPage> {
  const response = await get(`/findings?${query.includes('limit=') ? '' : 'limit=200&'}${query}`, token);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<FindingPage>();
}
const names = (page: { items: FindingView[] }) =>
  page.items.map((item) => Object.entries(ids).find(([, id]) => id === item.id)?.[0] ?? item.id).sort();

describe('filters', () => {
  it.each([
    ['severity=HIGH', ['config', 'fixed', 'high', 'highNoFix']],
    ['severity=CRITICAL,LOW', ['accepted', 'critKev', 'expired']],
    ['kev=true', ['critKev']],
    ['fixable=true', ['critKev', 'high']],
    ['fixable=false&severity=HIGH', ['config', 'fixed', 'highNoFix']],
    ['status=open', ['config', 'critKev', 'expired', 'high', 'highNoFix']],
    ['status=fixed', ['fixed']],
    ['status=acknowledged', ['medium']],
    ['status=risk_accepted', ['accepted']],
    ['status=false_positive', ['falsePositive']],
    ['status=acknowledged,false_positive', ['falsePositive', 'medium']],
    ['kind=config', ['config']],
    ['kind=package&severity=HIGH&status=open', ['high', 'highNoFix']],
  ])('%s', async (query, expected) => {
    expect(names(await list(query))).toEqual([...expected].sort());
  });

  it('filters by client and by asset', async () => {
    expect(names(await list(`clientId=${world.c2}`))).toEqual(['highNoFix', 'medium']);
    expect(names(await list(`assetId=${world.s3}`))).toEqual(['accepted', 'expired']);
    expect(names(await list(`assetId=${world.s3}&clientId=${world.c1}`))).toEqual([]);
  });

  it('counts a risk acceptance past its expiry as open again, keeping the acceptance on record', async () => {
    const [item] = (await list(`assetId=${world.s3}&q=CVE-2024-0006`)).items;
    expect(item).toMatchObject({ status: 'open', triage: 'risk_accepted', triageInfo: { reason: 'was fine', expiresAt: past } });
  });

  it('adds counts by severity over the whole filtered set on request', async () => {
    const page = await list('summary=true&limit=1&status=open');
    expect(page.items).toHaveLength(1);
    expect(page.summary).toEqual({ total: 5, bySeverity: { CRITICAL: 1, HIGH: 3, MEDIUM: 0, LOW: 1, NEGLIGIBLE: 0, UNKNOWN: 0 } });
    expect((await list('status=open')).summary).toBeUndefined();
  });
});

describe('text search', () => {
  it.each([
    ['cve-2024-000', ['accepted', 'critKev', 'expired', 'falsePositive', 'fixed', 'high', 'medium']],
    ['dsa-5001', ['critKev']],
    ['LODASH', ['highNoFix']],
    ['root can', ['config']],
    // LIKE wildcards are literal text: `100%` is not "100 and anything", `_` is not "any character".
    ['100%', ['high']],
    ['%', ['high']],
    ['under_score', ['highNoFix']],
    ['_', ['config', 'highNoFix']],
    ['permit_root', ['config']],
    ['\\', []],
  ])('q=%s', async (q, expected) => {
    expect(names(await list(`q=${encodeURIComponent(q)}`))).toEqual([...expected].sort());
  });
});

describe('response', () => {
  it('shows a package finding with its package, a config finding without one', async () => {
    const page = await list('q=CVE-2024-0001', tokens.owner);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      id: ids.critKev,
      asset: { id: world.s1, name: 'alpha.example.test' },
      clientId: world.c1,
      kind: 'package',
      vulnId: 'CVE-2024-0001',
      aliases: ['DSA-5001-1'],
      package: { ecosystem: 'Debian:12', name: 'openssl', version: '1.0', sourceName: null, location: null },
      fixedVersion: '1.2',
      severity: 'CRITICAL',
      kev: true,
      kevDueDate: '2026-01-15',
      status: 'open',
      triage: null,
      reopenCount: 0,
    });
    const [config] = (await list('kind=config')).items;
    expect(config).toMatchObject({ kind: 'config', package: null, vulnId: 'ssh.permit_root_login' });
  });

  it('details a package finding with its match and CVSS vector', async () => {
    const response = await get(`/findings/${ids.critKev}`, tokens.viewer);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      match: 'openssl 1.0 < 1.2 (Debian:12)',
      cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
      observed: null,
      evidence: [],
      history: [],
    });
    expect(response.json().cvss).not.toHaveProperty('extra');
  });

  it('details a config finding with observation, evidence and remediation', async () => {
    const response = await get(`/findings/${ids.config}`, tokens.client);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      id: ids.config,
      observed: 'PermitRootLogin yes',
      evidence: ['/etc/ssh/sshd_config:12'],
      remediation: 'Set PermitRootLogin no',
      history: [],
      cvss: null,
    });
  });
});

describe('tenancy', () => {
  it('shows a client role only its client’s findings, whatever it filters by', async () => {
    expect(names(await list('', tokens.client))).toEqual(['config', 'critKev', 'falsePositive', 'fixed', 'high']);
    expect((await list(`clientId=${world.c2}`, tokens.client)).items).toEqual([]);
    expect((await list(`assetId=${world.s3}`, tokens.client)).items).toEqual([]);
    for (const id of [ids.highNoFix, ids.accepted, world.foreign, randomUUID()]) {
      const response = await get(`/findings/${id}`, tokens.client);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ type: 'urn:vigil:problem:finding-not-found' });
    }
  });

  it('never lists or shows another organization’s finding', async () => {
    const all = await list('', tokens.owner);
    expect(all.items.map((i) => i.id)).not.toContain(world.foreign);
    expect(JSON.stringify(all)).not.toContain('foreign-marker');
    expect((await get(`/findings/${world.foreign}`, tokens.owner)).statusCode).toBe(404);
    expect((await list('', tokens.ownerB)).items.map((i) => i.id)).toEqual([world.foreign]);
    expect((await get(`/findings/${ids.critKev}`, tokens.ownerB)).statusCode).toBe(404);
  });

  it('answers 401 without credentials', async () => {
    expect((await get('/findings')).statusCode).toBe(401);
    expect((await get(`/findings/${ids.critKev}`)).statusCode).toBe(401);
  });
});

describe('bad input', () => {
  it.each([
    'limit=0',
    'limit=201',
    'limit=ten',
    'severity=BOGUS',
    'severity=HIGH,bogus',
    'severity=',
    'status=closed',
    'kev=yes',
    'fixable=1',
    'kind=website',
    'sort=random',
    'order=up',
    'clientId=not-a-uuid',
    'assetId=1',
    `q=${'x'.repeat(201)}`,
    'q=%00abc',
    'q=a%1bb',
    'q=',
    'unknown=1',
    `cursor=${'A'.repeat(2049)}`,
    'cursor=!!!',
    `severity=${'HIGH,'.repeat(60)}HIGH`,
  ])('answers 400 to %s', async (query) => {
    const response = await get(`/findings?${query}`, tokens.owner);
    expect(response.statusCode, response.body).toBe(400);
  });

  it('answers 400 to a finding id that is not a UUID', async () => {
    expect((await get('/findings/not-a-uuid', tokens.owner)).statusCode).toBe(400);
    expect((await get(`/findings/${ids.critKev}?extra=1`, tokens.owner)).statusCode).toBe(400);
  });
});
