import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, type Member, post, seedMember } from '../../../test/helpers/auth-flow.ts';
import { createFactories } from '../../../test/helpers/factories.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import { apiKeys, sessions } from '../../db/schema.ts';
import { withSystem } from '../../db/tenant.ts';

/**
 * Removing a member through the API, with real logins and API keys: what they held in the
 * organization stops working on the very next request, and the removal and role changes are
 * in the audit log.
 */
let ta: TestApp;

beforeAll(async () => {
  ta = await createTestApp(
    { RATE_LIMITS: 'login=10000/min,login_account=10000/hour,public=10000/min', LOGIN_LOCKOUT_AFTER: '100' },
    { realAuth: true },
  );
});
afterAll(() => ta?.close());

function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token: string, payload?: unknown) {
  return ta.app.inject({
    method,
    url,
    ...(payload !== undefined ? { payload: payload as object } : {}),
    headers: { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
  });
}

async function signIn(member: Member, orgId?: string) {
  const body = (await login(ta, member.email, member.password, orgId ? { orgId } : {})).json();
  return { access: body.accessToken as string, refresh: body.refreshToken as string, sessionId: body.sessionId as string };
}

async function auditActions(token: string, action: string) {
  const response = await call('GET', `/api/v1/audit?action=${action}`, token);
  expect(response.statusCode).toBe(200);
  return response.json().items as { action: string; targetId: string; before: unknown; after: unknown; details: unknown }[];
}

describe('removing a member', () => {
  it('ends their sessions and API keys in that organization at once, and nowhere else', async () => {
    const owner = await seedMember(ta);
    const ownerSession = await signIn(owner);
    const admin = await seedMember(ta, { orgId: owner.orgId, role: 'ADMIN' });
    // The admin also belongs to another organization, where nothing must change.
    const elsewhere = (await createFactories(ta.t.database.db).org()).id;
    await createFactories(ta.t.database.db).membership(elsewhere, admin.userId, 'VIEWER');
    const first = await signIn(admin, owner.orgId);
    const second = await signIn(admin, owner.orgId);
    const other = await signIn(admin, elsewhere);
    const key = await call('POST', '/api/v1/api-keys', first.access, { name: 'ci', role: 'VIEWER' });
    expect(key.statusCode, key.body).toBe(201);
    const apiKey = key.json().token as string;
    expect((await call('GET', '/api/v1/members', apiKey)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/auth/session', first.access)).statusCode).toBe(200);

    const removed = await call('DELETE', `/api/v1/members/${admin.membershipId}`, ownerSession.access);
    expect(removed.statusCode).toBe(204);

    for (const s of [first, second]) {
      expect((await call('GET', '/api/v1/auth/session', s.access)).statusCode).toBe(401);
      expect((await post(ta, '/api/v1/auth/refresh', { refreshToken: s.refresh, refreshTokenDelivery: 'body' })).statusCode).toBe(401);
    }
    expect((await call('GET', '/api/v1/members', apiKey)).statusCode).toBe(401);
    expect((await call('GET', '/api/v1/auth/session', other.access)).statusCode).toBe(200);

    const rows = await withSystem(ta.t.database.db, (tx) => tx.select().from(sessions).where(eq(sessions.userId, admin.userId)));
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(first.sessionId)?.revokedReason).toBe('member_removed');
    expect(byId.get(second.sessionId)?.revokedReason).toBe('member_removed');
    expect(byId.get(other.sessionId)?.revokedAt).toBeNull();
    const [keyRow] = await withSystem(ta.t.database.db, (tx) => tx.select().from(apiKeys).where(eq(apiKeys.id, key.json().id)));
    expect(keyRow?.revokedAt).not.toBeNull();

    const [entry] = await auditActions(ownerSession.access, 'member.removed');
    expect(entry).toMatchObject({
      targetId: admin.membershipId,
      before: { role: 'ADMIN', clientId: null },
      details: { userId: admin.userId, sessionsRevoked: 2, apiKeysRevoked: 1 },
    });
    expect((await auditActions(ownerSession.access, 'api_key.revoked')).map((e) => e.targetId)).toContain(key.json().id);
  });

  it('works the same for a CLIENT_OWNER removing a member of their client', async () => {
    const owner = await seedMember(ta);
    const client = await createFactories(ta.t.database.db).client(owner.orgId);
    const clientOwner = await seedMember(ta, { orgId: owner.orgId, role: 'CLIENT_OWNER', clientId: client.id });
    const mate = await seedMember(ta, { orgId: owner.orgId, role: 'CLIENT_MEMBER', clientId: client.id });
    const bySession = await signIn(clientOwner);
    const mateSession = await signIn(mate);
    expect((await call('DELETE', `/api/v1/members/${mate.membershipId}`, bySession.access)).statusCode).toBe(204);
    expect((await call('GET', '/api/v1/auth/session', mateSession.access)).statusCode).toBe(401);
    const [row] = await withSystem(ta.t.database.db, (tx) => tx.select().from(sessions).where(eq(sessions.id, mateSession.sessionId)));
    expect(row?.revokedReason).toBe('member_removed');
  });

  it('leaves everything as it was when the removal is refused', async () => {
    const owner = await seedMember(ta);
    const admin = await seedMember(ta, { orgId: owner.orgId, role: 'ADMIN' });
    const adminSession = await signIn(admin);
    const ownerSession = await signIn(owner);
    // An ADMIN cannot remove an OWNER.
    expect((await call('DELETE', `/api/v1/members/${owner.membershipId}`, adminSession.access)).statusCode).toBe(403);
    expect((await call('GET', '/api/v1/auth/session', ownerSession.access)).statusCode).toBe(200);
  });
});

describe('changing a role', () => {
  it('is audited with the role before and after; a no-op change is not', async () => {
    const owner = await seedMember(ta);
    const ownerSession = await signIn(owner);
    const engineer = await seedMember(ta, { orgId: owner.orgId, role: 'ENGINEER' });
    const changed = await call('PATCH', `/api/v1/members/${engineer.membershipId}`, ownerSession.access, { role: 'VIEWER' });
    expect(changed.statusCode, changed.body).toBe(200);
    await call('PATCH', `/api/v1/members/${engineer.membershipId}`, ownerSession.access, { role: 'VIEWER' });
    const entries = await auditActions(ownerSession.access, 'member.role_changed');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      targetId: engineer.membershipId,
      before: { role: 'ENGINEER', clientId: null },
      after: { role: 'VIEWER', clientId: null },
    });
  });
});
