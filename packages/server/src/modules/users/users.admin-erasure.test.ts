import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories } from '../../../test/helpers/factories.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import type { Role } from '../../db/schema.ts';
import { withSystem } from '../../db/tenant.ts';
import { verifyAuditChains } from '../audit/audit.verify.ts';
import { asOwner, call, dumpVigil, type Person, seedPerson, signIn, tracesOf } from './users.test-kit.ts';

/**
 * DELETE /members/:memberId/personal-data: who may erase whom (table-driven over roles), another
 * organization's member, and what happens to a person who also belongs elsewhere.
 */

let ta: TestApp;

beforeAll(async () => {
  ta = await createTestApp({ RATE_LIMITS: 'login=1000/min,login_account=1000/hour,public=1000/min' }, { realAuth: true });
});
afterAll(() => ta.close());

const eraseMember = (token: string, memberId: string, as?: Person) =>
  call(ta, 'DELETE', `/members/${memberId}/personal-data`, { token, ...(as ? { as } : {}) });

async function orgWith(role: Role): Promise<{ actor: Person; token: string }> {
  const owner = await seedPerson(ta);
  if (role === 'OWNER') return { actor: owner, token: (await signIn(ta, owner)).accessToken };
  const f = createFactories(ta.t.database.db);
  const clientOpts = role.startsWith('CLIENT') ? { clientId: (await f.client(owner.orgId)).id } : {};
  const actor = await seedPerson(ta, { role, orgId: owner.orgId, ...clientOpts });
  return { actor, token: (await signIn(ta, actor)).accessToken };
}

async function userRow(userId: string) {
  const [row] = await asOwner(ta, 'SELECT email, display_name, erased_at FROM vigil.users WHERE id = $1', [userId]);
  return row;
}

describe('who may erase whom', () => {
  it('refuses ENGINEER, VIEWER and client roles (403), an ADMIN erasing an OWNER (403), and oneself (409)', async () => {
    for (const role of ['ENGINEER', 'VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER'] as const) {
      const { actor, token } = await orgWith(role);
      const target = await seedPerson(ta, { role: 'VIEWER', orgId: actor.orgId });
      expect((await eraseMember(token, target.membershipId)).statusCode, role).toBe(403);
      expect((await userRow(target.userId))?.erased_at, role).toBeNull();
    }
    const { actor: admin, token } = await orgWith('ADMIN');
    const owner = await seedPerson(ta, { role: 'OWNER', orgId: admin.orgId });
    expect((await eraseMember(token, owner.membershipId)).statusCode).toBe(403);
    const self = await eraseMember(token, admin.membershipId);
    expect(self.statusCode).toBe(409);
    expect(self.json().type).toBe('urn:vigil:problem:erase-self-with-users-me');
    expect((await userRow(owner.userId))?.erased_at).toBeNull();
  });

  it('answers 404 for another organization’s member and an unknown id, 400 for a malformed one', async () => {
    const { token } = await orgWith('OWNER');
    const foreign = await seedPerson(ta, { role: 'VIEWER' });
    const crossed = await eraseMember(token, foreign.membershipId);
    expect(crossed.statusCode).toBe(404);
    expect((await eraseMember(token, randomUUID())).json().type).toBe(crossed.json().type);
    expect((await userRow(foreign.userId))?.email).toBe(foreign.email);
    for (const bad of ['not-a-uuid', `${randomUUID()}x`, '%00', "1' OR '1'='1"]) {
      expect((await eraseMember(token, encodeURIComponent(bad))).statusCode, bad).toBe(400);
    }
  });
});

describe('an owner erases a member', () => {
  it('who belongs nowhere else: the account is erased, the erasure audited with the owner as actor', async () => {
    const { actor: owner, token } = await orgWith('OWNER');
    const target = await seedPerson(ta, { role: 'ENGINEER', orgId: owner.orgId });
    const targetToken = (await signIn(ta, target)).accessToken;
    const response = await eraseMember(token, target.membershipId, owner);
    expect(response.statusCode, response.body).toBe(204);
    expect(response.body).toBe('');

    expect(await userRow(target.userId)).toMatchObject({ email: `erased-${target.userId}@invalid`, display_name: null });
    const dump = await dumpVigil(ta);
    for (const trace of tracesOf(target)) expect(dump).not.toContain(trace);
    expect((await call(ta, 'GET', '/auth/session', { token: targetToken })).statusCode).toBe(401);
    expect((await call(ta, 'POST', '/auth/login', { payload: { email: target.email, password: target.password } })).statusCode).toBe(401);

    const audit = (await call(ta, 'GET', `/audit?action=member.erased&targetId=${target.userId}`, { token })).json().items;
    expect(audit).toEqual([
      expect.objectContaining({
        actorUserId: owner.userId,
        targetType: 'user',
        targetId: target.userId,
        ip: owner.ip,
        userAgent: owner.userAgent,
        details: { membershipId: target.membershipId, role: 'ENGINEER' },
      }),
    ]);
    expect((await verifyAuditChains(ta.t.database.db)).broken).toBeNull();
  });

  it('who also belongs to another organization: only this organization’s records of them go, with the same answer', async () => {
    const { actor: owner, token } = await orgWith('OWNER');
    const target = await seedPerson(ta, { role: 'ENGINEER', orgId: owner.orgId });
    const elsewhere = await seedPerson(ta);
    await withSystem(ta.t.database.db, async (tx) => {
      await tx.execute(
        sql`INSERT INTO vigil.memberships (org_id, user_id, role) VALUES (${elsewhere.orgId}::uuid, ${target.userId}::uuid, 'VIEWER')`,
      );
      for (const orgId of [owner.orgId, elsewhere.orgId]) {
        await tx.execute(sql`INSERT INTO vigil.invitations (org_id, email, role, token_hash, expires_at)
          VALUES (${orgId}::uuid, ${target.email}, 'VIEWER', ${randomBytes(32).toString('hex')}, now() + interval '1 day')`);
      }
    });
    const here = await signIn(ta, target, owner.orgId);
    const there = await signIn(ta, target, elsewhere.orgId);
    const elsewhereToken = (await signIn(ta, elsewhere)).accessToken;

    const response = await eraseMember(token, target.membershipId, owner);
    expect(response.statusCode, response.body).toBe(204);
    expect(response.body).toBe('');

    // The account stays for the other organization: its session and login still work.
    expect((await userRow(target.userId))?.email).toBe(target.email);
    expect((await call(ta, 'GET', '/auth/session', { token: here.accessToken })).statusCode).toBe(401);
    expect((await call(ta, 'GET', '/auth/session', { token: there.accessToken })).statusCode).toBe(200);
    const invitations = await asOwner<{ org_id: string }>(ta, 'SELECT org_id::text AS org_id FROM vigil.invitations WHERE email = $1', [
      target.email,
    ]);
    expect(invitations.map((r) => r.org_id)).toEqual([elsewhere.orgId]);

    // This organization can no longer read where they logged in from; the other one still can.
    const ours = (await call(ta, 'GET', `/audit?actor=${target.userId}&action=auth.login.succeeded`, { token })).json().items;
    expect(ours.length).toBeGreaterThan(0);
    for (const entry of ours) expect(entry).toMatchObject({ ip: null, userAgent: null, personalDataErased: true });
    const theirs = (await call(ta, 'GET', `/audit?actor=${target.userId}&action=auth.login.succeeded`, { token: elsewhereToken })).json()
      .items;
    expect(theirs.length).toBeGreaterThan(0);
    for (const entry of theirs) expect(entry).toMatchObject({ ip: target.ip, userAgent: target.userAgent, personalDataErased: false });
    expect((await verifyAuditChains(ta.t.database.db)).broken).toBeNull();
  });
});
