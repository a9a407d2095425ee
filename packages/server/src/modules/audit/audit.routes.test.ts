import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories, seedContext } from '../../../test/helpers/factories.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import { withTenant } from '../../db/tenant.ts';
import type { AuditPage } from './audit.schemas.ts';
import { recordAudit } from './audit.service.ts';

/**
 * GET /api/v1/audit through the real app, with the auth seam filled by the test authenticator:
 * 401 without credentials, 400 for a bad filter, 403 below ADMIN, and another organization's
 * entries never shown.
 */
let ta: TestApp;
let f: Factories;
let ownerA: string;
let viewerA: string;
let ownerB: string;

beforeAll(async () => {
  ta = await createTestApp();
  f = createFactories(ta.t.database.db);
  const [orgA, orgB] = [await f.org(), await f.org()];
  for (const [org, n] of [
    [orgA, 3],
    [orgB, 1],
  ] as const) {
    const ctx = seedContext(org.id);
    for (let i = 1; i <= n; i++) {
      await withTenant(ta.t.database.db, ctx, (tx) =>
        recordAudit(tx, ctx, { action: `test.entry_${i}`, ip: '192.0.2.10', userAgent: 'curl/8', details: { org: org.slug } }),
      );
    }
  }
  const login = async (orgId: string, role: 'OWNER' | 'VIEWER') => {
    const a = await f.actor(orgId, role);
    return ta.tokenFor({ kind: 'user', id: a.user.id, tenant: a.ctx });
  };
  ownerA = await login(orgA.id, 'OWNER');
  viewerA = await login(orgA.id, 'VIEWER');
  ownerB = await login(orgB.id, 'OWNER');
});
afterAll(() => ta?.close());

const get = (url: string, token?: string) =>
  ta.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: token ? { authorization: token } : {} });

describe('GET /api/v1/audit', () => {
  it('answers 401 without credentials', async () => {
    expect((await get('/audit')).statusCode).toBe(401);
  });

  it('answers 403 to a role without audit:read', async () => {
    expect((await get('/audit', viewerA)).statusCode).toBe(403);
  });

  it.each([
    ['limit=0'],
    ['limit=201'],
    ['cursor=nonsense'],
    ['action=Auth.Login'],
    ['actor=not-a-uuid'],
    ['from=yesterday'],
    ['unknown=1'],
  ])('answers 400 to %s', async (query) => {
    expect((await get(`/audit?${query}`, ownerA)).statusCode).toBe(400);
  });

  it('lists the organization’s entries newest first, in pages, and none of another organization’s', async () => {
    const first = await get('/audit?limit=2', ownerA);
    expect(first.statusCode, first.body).toBe(200);
    const page = first.json<AuditPage>();
    expect(page.items.map((e) => [e.seq, e.action, e.ip, e.userAgent])).toEqual([
      [3, 'test.entry_3', '192.0.2.10', 'curl/8'],
      [2, 'test.entry_2', '192.0.2.10', 'curl/8'],
    ]);
    expect(page.nextCursor).toEqual(expect.any(String));
    const second = (await get(`/audit?limit=2&cursor=${page.nextCursor}`, ownerA)).json<AuditPage>();
    expect(second).toMatchObject({ items: [{ seq: 1 }], nextCursor: null });

    const b = (await get('/audit', ownerB)).json<AuditPage>();
    expect(b.items.map((e) => e.action)).toEqual(['test.entry_1']);
    // B's cursor over A's seq numbers still shows only B.
    expect((await get(`/audit?cursor=${page.nextCursor}`, ownerB)).json<AuditPage>().items.map((e) => e.seq)).toEqual([1]);
    expect((await get('/audit?action=test.entry_2', ownerA)).json<AuditPage>().items.map((e) => e.seq)).toEqual([2]);
  });
});
