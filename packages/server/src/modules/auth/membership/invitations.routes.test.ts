import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, type Member, seedMember, strongPassword } from '../../../../test/helpers/auth-flow.ts';
import { createFactories, type Factories } from '../../../../test/helpers/factories.ts';
import type { TestApp } from '../../../../test/helpers/test-app.ts';
import { invitations, memberships, users } from '../../../db/schema.ts';
import { withSystem, withTenant } from '../../../db/tenant.ts';
import { hashToken } from '../sessions/session.service.ts';
import { invitationsRepo } from './invitations.repo.ts';
import { eventually, linkToken, membershipApp, outboxFor, PUBLIC_URL, send } from './membership.test-kit.ts';

let ta: TestApp;
let f: Factories;
let owner: Member;
let ownerToken: string;

beforeAll(async () => {
  ta = await membershipApp();
  f = createFactories(ta.t.database.db);
  owner = await seedMember(ta);
  ownerToken = (await login(ta, owner.email, owner.password)).json().accessToken;
});
afterAll(() => ta?.close());

const newEmail = () => `invitee-${randomBytes(5).toString('hex')}@example.test`;

async function invite(token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return send(ta, 'POST', '/api/v1/invitations', { token, payload: body, headers });
}

/** Invites `email` as the owner and returns the token read from the mailed link. */
async function invited(email: string, role = 'ENGINEER', clientId?: string): Promise<{ id: string; token: string }> {
  const response = await invite(ownerToken, { email, role, ...(clientId ? { clientId } : {}) });
  expect(response.statusCode, response.body).toBe(201);
  const [mail] = await eventually(async () => {
    const rows = await outboxFor(ta, email);
    return rows.length > 0 ? rows : null;
  });
  return { id: response.json().id, token: linkToken(mail?.textBody ?? '', 'invite').token };
}

const accept = (payload: unknown, headers: Record<string, string> = {}) =>
  send(ta, 'POST', '/api/v1/invitations/accept', { payload, headers });

async function membershipsOf(email: string) {
  return withSystem(ta.t.database.db, (tx) =>
    tx
      .select({ id: memberships.id, orgId: memberships.orgId, role: memberships.role })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(sql`lower(${users.email}) = ${email.toLowerCase()}`),
  );
}

describe('inviting', () => {
  it('mails a single-use link built from PUBLIC_URL (whatever Host says) and never returns the token', async () => {
    const email = newEmail();
    const response = await invite(
      ownerToken,
      { email: email.toUpperCase(), role: 'ENGINEER' },
      {
        host: 'evil.example',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'http',
      },
    );
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ email, role: 'ENGINEER', clientId: null, invitedBy: owner.userId });
    expect(Object.keys(body).sort()).toEqual(['clientId', 'createdAt', 'email', 'expiresAt', 'id', 'invitedBy', 'role']);
    const ttl = Date.parse(body.expiresAt) - Date.parse(body.createdAt);
    expect(Math.abs(ttl - 7 * 24 * 3600 * 1000)).toBeLessThan(60_000);

    const [mail, ...more] = await outboxFor(ta, email);
    expect(more).toEqual([]);
    expect(mail).toMatchObject({ orgId: owner.orgId, purpose: 'invite' });
    const { link, token } = linkToken(mail?.textBody ?? '', 'invite');
    expect(link).toBe(`${PUBLIC_URL}/invite#token=${token}`);
    expect(mail?.htmlBody).toContain(`href="${PUBLIC_URL}/invite#token=${token}"`);
    expect(`${mail?.textBody}${mail?.htmlBody}`).not.toContain('evil.example');
    expect(response.body).not.toContain(token);
    // Stored as its SHA-256 only.
    const [row] = await withSystem(ta.t.database.db, (tx) => tx.select().from(invitations).where(eq(invitations.id, body.id)));
    expect(row?.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(row)).not.toContain(token);

    const listed = await send(ta, 'GET', '/api/v1/invitations', { token: ownerToken });
    expect(listed.json().items.map((i: { id: string }) => i.id)).toContain(body.id);
  });

  it('refuses an email that is already a member (409) and a second pending invitation (409)', async () => {
    const member = await seedMember(ta, { orgId: owner.orgId, role: 'VIEWER' });
    const again = await invite(ownerToken, { email: member.email.toUpperCase(), role: 'ENGINEER' });
    expect(again.statusCode).toBe(409);
    expect(again.json().type).toBe('urn:vigil:problem:already-member');
    const email = newEmail();
    await invited(email);
    expect((await invite(ownerToken, { email, role: 'VIEWER' })).statusCode).toBe(409);
  });

  it('lets a CLIENT_OWNER invite client roles of their own client only', async () => {
    const clientA = await f.client(owner.orgId);
    const clientB = await f.client(owner.orgId);
    const clientOwner = await seedMember(ta, { orgId: owner.orgId, role: 'CLIENT_OWNER', clientId: clientA.id });
    const token = (await login(ta, clientOwner.email, clientOwner.password)).json().accessToken;
    const before = await withSystem(ta.t.database.db, (tx) => tx.select({ id: invitations.id }).from(invitations));

    expect((await invite(token, { email: newEmail(), role: 'ADMIN' })).statusCode).toBe(403);
    expect((await invite(token, { email: newEmail(), role: 'OWNER' })).statusCode).toBe(403);
    expect((await invite(token, { email: newEmail(), role: 'CLIENT_MEMBER', clientId: clientB.id })).statusCode).toBe(404);
    const foreign = await f.client((await f.org()).id);
    expect((await invite(token, { email: newEmail(), role: 'CLIENT_MEMBER', clientId: foreign.id })).statusCode).toBe(404);
    expect((await invite(token, { email: newEmail(), role: 'CLIENT_MEMBER' })).statusCode).toBe(400);
    const after = await withSystem(ta.t.database.db, (tx) => tx.select({ id: invitations.id }).from(invitations));
    expect(after).toHaveLength(before.length);

    const ok = await invite(token, { email: newEmail(), role: 'CLIENT_MEMBER', clientId: clientA.id });
    expect(ok.statusCode).toBe(201);
    // The owner's org-level invitations are not theirs to see or revoke.
    const ownerInvite = await invited(newEmail());
    const listed = (await send(ta, 'GET', '/api/v1/invitations', { token })).json().items.map((i: { id: string }) => i.id);
    expect(listed).toEqual([ok.json().id]);
    expect((await send(ta, 'DELETE', `/api/v1/invitations/${ownerInvite.id}`, { token })).statusCode).toBe(404);
  });

  it('refuses roles without member:invite, and another organization sees nothing', async () => {
    for (const role of ['VIEWER', 'ENGINEER', 'CLIENT_MEMBER'] as const) {
      const client = role === 'CLIENT_MEMBER' ? (await f.client(owner.orgId)).id : undefined;
      const m = await seedMember(ta, { orgId: owner.orgId, role, ...(client ? { clientId: client } : {}) });
      const token = (await login(ta, m.email, m.password)).json().accessToken;
      expect((await invite(token, { email: newEmail(), role: 'VIEWER' })).statusCode, role).toBe(403);
    }
    const mine = await invited(newEmail());
    const other = await seedMember(ta);
    const otherToken = (await login(ta, other.email, other.password)).json().accessToken;
    expect((await send(ta, 'GET', '/api/v1/invitations', { token: otherToken })).json().items).toEqual([]);
    expect((await send(ta, 'DELETE', `/api/v1/invitations/${mine.id}`, { token: otherToken })).statusCode).toBe(404);
    expect((await send(ta, 'GET', '/api/v1/invitations')).statusCode).toBe(401);
  });

  it('refuses malformed, oversized and hostile input with 400 and stores and mails nothing', async () => {
    const before = await withSystem(ta.t.database.db, (tx) => tx.select({ id: invitations.id }).from(invitations));
    for (const payload of [
      {},
      { email: newEmail() },
      { email: newEmail(), role: 'ROOT' },
      { email: ['a@example.test'], role: 'VIEWER' },
      { email: 42, role: 'VIEWER' },
      { email: `${'a'.repeat(250)}@example.test`, role: 'VIEWER' },
      { email: 'a\u0000b@example.test', role: 'VIEWER' },
      { email: 'victim@example.test\r\nBcc: x@example.test', role: 'VIEWER' },
      { email: 'ünï@exämple.test', role: 'VIEWER' },
      { email: 'Alice <alice@example.test>', role: 'VIEWER' },
      { email: 'not-an-address', role: 'VIEWER' },
      { email: newEmail(), role: 'VIEWER', clientId: 'nope' },
      { email: newEmail(), role: 'VIEWER', extra: true },
    ]) {
      const response = await invite(ownerToken, payload);
      expect(response.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
    }
    const after = await withSystem(ta.t.database.db, (tx) => tx.select({ id: invitations.id }).from(invitations));
    expect(after).toHaveLength(before.length);
  });
});

describe('accepting', () => {
  it('creates the account with a policy-checked password, joins it and signs it in; audited', async () => {
    const email = newEmail();
    const { token } = await invited(email, 'VIEWER');
    const weak = await accept({ token, password: 'password1234', refreshTokenDelivery: 'body' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().type).toBe('urn:vigil:problem:weak-password');
    expect((await accept({ token, refreshTokenDelivery: 'body' })).json().type).toBe('urn:vigil:problem:invitation-password-required');
    expect(await membershipsOf(email)).toEqual([]);

    const password = strongPassword();
    const response = await accept({ token, password, displayName: 'Iva Invitee', refreshTokenDelivery: 'body' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ status: 'authenticated', orgId: owner.orgId, mfaVerified: false });
    const session = await send(ta, 'GET', '/api/v1/auth/session', { token: response.json().accessToken });
    expect(session.json()).toMatchObject({ email, displayName: 'Iva Invitee', role: 'VIEWER', orgId: owner.orgId });
    expect((await login(ta, email, password)).statusCode).toBe(200);

    // Single use.
    const again = await accept({ token, password: strongPassword(), refreshTokenDelivery: 'body' });
    expect(again.statusCode).toBe(400);
    expect(again.json().type).toBe('urn:vigil:problem:invitation-invalid');
    const audit = await send(ta, 'GET', '/api/v1/audit?action=member', { token: ownerToken });
    const actions = audit.json().items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['member.invited', 'member.joined']));
  });

  it('of 50 concurrent accepts of one invitation, exactly one succeeds', async () => {
    const email = newEmail();
    const { token } = await invited(email);
    const password = strongPassword();
    const results = await Promise.all(Array.from({ length: 50 }, () => accept({ token, password, refreshTokenDelivery: 'body' })));
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 400 || s === 409)).toBe(true);
    expect(await membershipsOf(email)).toHaveLength(1);
  });

  it('refuses expired and revoked invitations', async () => {
    // An expired one, written as the service would but a week ago.
    const token = randomBytes(32).toString('base64url');
    const ctx = { orgId: owner.orgId, userId: owner.userId, role: 'OWNER' as const, clientIds: 'all' as const };
    await withTenant(ta.t.database.db, ctx, (tx) =>
      invitationsRepo.insert(tx, ctx, {
        email: newEmail(),
        role: 'VIEWER',
        clientId: null,
        tokenHash: hashToken(token),
        expiresAt: new Date(Date.now() - 1000),
      }),
    );
    expect((await accept({ token, password: strongPassword() })).statusCode).toBe(400);

    const revoked = await invited(newEmail());
    expect((await send(ta, 'DELETE', `/api/v1/invitations/${revoked.id}`, { token: ownerToken })).statusCode).toBe(204);
    expect((await send(ta, 'DELETE', `/api/v1/invitations/${revoked.id}`, { token: ownerToken })).statusCode).toBe(404);
    expect((await accept({ token: revoked.token, password: strongPassword() })).statusCode).toBe(400);
    const listed = (await send(ta, 'GET', '/api/v1/invitations', { token: ownerToken })).json().items;
    expect(listed.map((i: { id: string }) => i.id)).not.toContain(revoked.id);
  });

  it('makes an existing account sign in first; only that account may accept, and it gets no new session', async () => {
    const existing = await seedMember(ta); // a member of another organization
    const { token } = await invited(existing.email, 'ENGINEER');
    const anonymous = await accept({ token, password: strongPassword(), refreshTokenDelivery: 'body' });
    expect(anonymous.statusCode).toBe(409);
    expect(anonymous.json().type).toBe('urn:vigil:problem:invitation-login-required');
    expect(await login(ta, existing.email, existing.password).then((r) => r.statusCode)).toBe(200);

    const stranger = await seedMember(ta);
    const strangerToken = (await login(ta, stranger.email, stranger.password)).json().accessToken;
    const wrong = await accept({ token }, { authorization: `Bearer ${strangerToken}` });
    expect(wrong.statusCode).toBe(403);
    expect((await accept({ token }, { authorization: 'Bearer not-a-token' })).statusCode).toBe(401);

    const existingToken = (await login(ta, existing.email, existing.password)).json().accessToken;
    const withPassword = await accept({ token, password: strongPassword() }, { authorization: `Bearer ${existingToken}` });
    expect(withPassword.statusCode).toBe(400);
    const joined = await accept({ token }, { authorization: `Bearer ${existingToken}` });
    expect(joined.statusCode, joined.body).toBe(200);
    expect(joined.json()).toMatchObject({ status: 'joined', orgId: owner.orgId, role: 'ENGINEER', clientId: null });
    expect(joined.json().accessToken).toBeUndefined();
    expect((await membershipsOf(existing.email)).map((m) => m.orgId).sort()).toEqual([existing.orgId, owner.orgId].sort());
    // The password was never changed by the link.
    expect((await login(ta, existing.email, existing.password, { orgId: owner.orgId })).statusCode).toBe(200);
  });

  it('refuses a cross-site request and hostile bodies with no side effects', async () => {
    const email = newEmail();
    const { token } = await invited(email);
    const crossSite = await accept({ token, password: strongPassword() }, { origin: 'https://evil.example' });
    expect(crossSite.statusCode).toBe(403);
    expect((await accept({ token, password: strongPassword() }, { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    for (const payload of [
      {},
      { token: 42, password: strongPassword() },
      { token: `${token}x`, password: strongPassword() },
      { token: `${token.slice(0, 42)}\u0000`, password: strongPassword() },
      { token, password: 'x'.repeat(1025) },
      { token, password: ['a'] },
      { token, password: strongPassword(), displayName: 'Eve\u0000' },
      { token, password: strongPassword(), displayName: 'x'.repeat(101) },
      { token, password: strongPassword(), displayName: 'a\ud800' },
      { token, password: strongPassword(), role: 'OWNER' },
      { token, password: strongPassword(), refreshTokenDelivery: 'url' },
    ]) {
      const response = await accept(payload);
      expect(response.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
    }
    // A 300-character password passes the schema but not the policy.
    expect((await accept({ token, password: 'Ab1!'.repeat(75) })).statusCode).toBe(400);
    expect(await membershipsOf(email)).toEqual([]);
    expect((await accept({ token, password: strongPassword(), displayName: 'Zoë 🚀', refreshTokenDelivery: 'body' })).statusCode).toBe(200);
  });
});
