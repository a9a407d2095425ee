import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories } from '../../../test/helpers/factories.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import type { Role } from '../../db/schema.ts';
import type { AuditPage } from '../audit/audit.schemas.ts';
import type { FindingDetailView, FindingView } from './findings.schemas.ts';
import { seedFindings } from './findings.test-kit.ts';

/**
 * Status changes through the real app: who may triage, what each status requires, the audit
 * entries (without the typed reason), the history on the detail, and the bulk change that is
 * all or nothing.
 */
let ta: TestApp;
let f: Factories;
let orgId: string;
let clientId: string;
let assetId: string;
let foreign: string;
const tokens: Record<string, string> = {};
const DAY = 86_400_000;

beforeAll(async () => {
  ta = await createTestApp();
  f = createFactories(ta.t.database.db);
  const [org, orgB] = [await f.org(), await f.org()];
  orgId = org.id;
  clientId = (await f.client(orgId)).id;
  assetId = (await f.asset(orgId, { clientId })).id;
  const bAsset = await f.asset(orgB.id);
  [foreign] = (await seedFindings(ta.t.database.db, orgB.id, [{ assetId: bAsset.id, clientId: null, vulnId: 'CVE-2099-0001' }])) as [
    string,
  ];
  const login = async (o: string, role: Role, client?: string) => {
    const a = await f.actor(o, role, client ? { clientId: client } : {});
    return ta.tokenFor({ kind: 'user', id: a.user.id, tenant: a.ctx });
  };
  for (const role of ['OWNER', 'ADMIN', 'ENGINEER', 'VIEWER'] as const) tokens[role] = await login(orgId, role);
  tokens.CLIENT_OWNER = await login(orgId, 'CLIENT_OWNER', clientId);
  tokens.CLIENT_MEMBER = await login(orgId, 'CLIENT_MEMBER', clientId);
  tokens.ownerB = await login(orgB.id, 'OWNER');
});
afterAll(() => ta?.close());

async function freshFinding(): Promise<string> {
  const [id] = await seedFindings(ta.t.database.db, orgId, [{ assetId, clientId, vulnId: `CVE-2026-${randomUUID().slice(0, 4)}` }]);
  return id as string;
}
const post = (url: string, payload: unknown, token = tokens.ENGINEER) =>
  ta.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: token as string }, payload: payload as object });
const get = (url: string, token = tokens.OWNER) =>
  ta.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: token as string } });
async function auditOf(findingId: string) {
  const response = await get(`/audit?targetId=${findingId}&targetType=finding`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<AuditPage>().items.reverse();
}

describe('who may change a status', () => {
  it.each([
    ['OWNER', 200],
    ['ADMIN', 200],
    ['ENGINEER', 200],
    ['VIEWER', 403],
    ['CLIENT_OWNER', 403],
    ['CLIENT_MEMBER', 403],
  ])('%s → %i', async (role, expected) => {
    const id = await freshFinding();
    const response = await post(`/findings/${id}/status`, { status: 'acknowledged' }, tokens[role]);
    expect(response.statusCode, response.body).toBe(expected);
    const detail = (await get(`/findings/${id}`)).json<FindingDetailView>();
    expect(detail.status).toBe(expected === 200 ? 'acknowledged' : 'open');
  });

  it('answers 404 for another organization’s finding and for an unknown id, changing nothing', async () => {
    for (const id of [foreign, randomUUID()]) {
      const response = await post(`/findings/${id}/status`, { status: 'false_positive', reason: 'x' }, tokens.OWNER);
      expect(response.statusCode).toBe(404);
    }
    const b = (await get(`/findings/${foreign}`, tokens.ownerB)).json<FindingDetailView>();
    expect(b).toMatchObject({ status: 'open', triage: null, history: [] });
  });
});

describe('each status', () => {
  it('acknowledges, with or without a reason, and audits it without the reason text', async () => {
    const id = await freshFinding();
    const response = await post(`/findings/${id}/status`, { status: 'acknowledged', reason: 'patch window Friday for ACME' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<FindingView>()).toMatchObject({
      id,
      status: 'acknowledged',
      triage: 'acknowledged',
      triageInfo: { reason: 'patch window Friday for ACME', expiresAt: null },
    });
    const [entry] = await auditOf(id);
    expect(entry).toMatchObject({
      action: 'finding.acknowledged',
      targetType: 'finding',
      targetId: id,
      clientId,
      before: { status: 'open', triage: null },
      after: { status: 'acknowledged' },
      details: { reasonLength: 28 },
    });
    expect(JSON.stringify(entry)).not.toContain('ACME');
  });

  it('accepts a risk until a date within a year, then reopens it on request', async () => {
    const id = await freshFinding();
    const expiresAt = new Date(Date.now() + 90 * DAY).toISOString();
    const accepted = await post(`/findings/${id}/status`, { status: 'risk_accepted', reason: 'compensating control', expiresAt });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json<FindingView>()).toMatchObject({
      status: 'risk_accepted',
      triageInfo: { reason: 'compensating control', expiresAt },
    });

    const reopened = await post(`/findings/${id}/status`, { status: 'open' });
    expect(reopened.json<FindingView>()).toMatchObject({
      status: 'open',
      triage: null,
      triageInfo: { reason: null, expiresAt: null, by: null },
    });

    const detail = (await get(`/findings/${id}`, tokens.CLIENT_MEMBER)).json<FindingDetailView>();
    expect(detail.history.map((h) => [h.action, h.status, h.expiresAt])).toEqual([
      ['finding.risk_accepted', 'risk_accepted', expiresAt],
      ['finding.reopened_by_user', 'open', null],
    ]);
    expect((await auditOf(id)).map((e) => e.action)).toEqual(['finding.risk_accepted', 'finding.reopened_by_user']);
  });

  it('marks a false positive with a reason', async () => {
    const id = await freshFinding();
    const response = await post(`/findings/${id}/status`, { status: 'false_positive', reason: 'backported fix' });
    expect(response.json<FindingView>()).toMatchObject({ status: 'false_positive' });
    expect((await auditOf(id))[0]).toMatchObject({ action: 'finding.false_positive', details: { reasonLength: 14 } });
  });

  it('keeps a fixed finding fixed while recording the triage', async () => {
    const [id] = (await seedFindings(ta.t.database.db, orgId, [{ assetId, clientId, vulnId: 'CVE-2026-FIXD', state: 'fixed' }])) as [
      string,
    ];
    const response = await post(`/findings/${id}/status`, { status: 'acknowledged' });
    expect(response.json<FindingView>()).toMatchObject({ status: 'fixed', triage: 'acknowledged' });
  });
});

describe('validation', () => {
  const soon = () => new Date(Date.now() + DAY).toISOString();
  it.each([
    ['risk accepted without a reason', { status: 'risk_accepted', expiresAt: soon() }],
    ['risk accepted without an expiry', { status: 'risk_accepted', reason: 'r' }],
    ['risk accepted with a blank reason', { status: 'risk_accepted', reason: '   ', expiresAt: soon() }],
    ['risk accepted with a non-date expiry', { status: 'risk_accepted', reason: 'r', expiresAt: 'next week' }],
    ['false positive without a reason', { status: 'false_positive' }],
    ['a reason of 2,001 characters', { status: 'false_positive', reason: 'x'.repeat(2001) }],
    ['a reason with a control character', { status: 'false_positive', reason: 'fine\u0000' }],
    ['an unknown status', { status: 'fixed' }],
    ['an unknown field', { status: 'open', reason: 'why' }],
    ['no body at all', undefined],
    ['an array', [{ status: 'open' }]],
  ])('answers 400 to %s', async (_, body) => {
    const id = await freshFinding();
    const response = await post(`/findings/${id}/status`, body);
    expect(response.statusCode, response.body).toBe(400);
    expect(await auditOf(id)).toEqual([]);
  });

  it.each([
    ['in the past', -DAY],
    ['now', 0],
    ['more than a year ahead', 367 * DAY],
  ])('refuses an expiry %s (FINDING_EXPIRY_INVALID)', async (_, offset) => {
    const id = await freshFinding();
    const response = await post(`/findings/${id}/status`, {
      status: 'risk_accepted',
      reason: 'r',
      expiresAt: new Date(Date.now() + offset).toISOString(),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ type: 'urn:vigil:problem:finding-expiry-invalid' });
    expect((await get(`/findings/${id}`)).json<FindingDetailView>().status).toBe('open');
  });
});

describe('bulk', () => {
  it('changes every listed finding and audits each', async () => {
    const ids = [await freshFinding(), await freshFinding(), await freshFinding()];
    const response = await post('/findings/bulk-status', {
      findingIds: [...ids, ids[0]],
      status: 'false_positive',
      reason: 'scanner noise',
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<{ updated: number; items: FindingView[] }>();
    expect(body.updated).toBe(3);
    expect(body.items.every((i) => i.status === 'false_positive')).toBe(true);
    for (const id of ids)
      expect((await auditOf(id)).map((e) => [e.action, e.details])).toEqual([['finding.false_positive', { reasonLength: 13, bulk: 3 }]]);
  });

  it('changes none when one id is out of reach (another organization’s, unknown)', async () => {
    const mine = await freshFinding();
    for (const other of [foreign, randomUUID()]) {
      const response = await post('/findings/bulk-status', { findingIds: [mine, other], status: 'acknowledged' });
      expect(response.statusCode).toBe(404);
    }
    expect((await get(`/findings/${mine}`)).json<FindingDetailView>()).toMatchObject({ status: 'open', history: [] });
  });

  it.each([
    ['no ids', { findingIds: [], status: 'open' }],
    ['501 ids', { findingIds: Array.from({ length: 501 }, () => randomUUID()), status: 'open' }],
    ['a non-uuid id', { findingIds: ['1'], status: 'open' }],
    ['no status', { findingIds: [randomUUID()] }],
  ])('answers 400 to %s', async (_, body) => {
    expect((await post('/findings/bulk-status', body)).statusCode).toBe(400);
  });

  it('refuses client roles and viewers', async () => {
    const id = await freshFinding();
    for (const role of ['VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER']) {
      expect((await post('/findings/bulk-status', { findingIds: [id], status: 'acknowledged' }, tokens[role])).statusCode).toBe(403);
    }
  });
});
