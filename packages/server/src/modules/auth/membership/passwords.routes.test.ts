import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparable, login, type Member, post, seedMember, strongPassword } from '../../../../test/helpers/auth-flow.ts';
import type { TestApp } from '../../../../test/helpers/test-app.ts';
import { passwordResets } from '../../../db/schema.ts';
import { withSystem } from '../../../db/tenant.ts';
import { hashToken } from '../sessions/session.service.ts';
import { eventually, linkToken, membershipApp, outboxFor, PUBLIC_URL, send } from './membership.test-kit.ts';
import { passwordsRepo } from './passwords.repo.ts';

let ta: TestApp;

beforeAll(async () => {
  ta = await membershipApp();
});
afterAll(() => ta?.close());

const requestReset = (email: unknown, opts: { remoteAddress?: string; headers?: Record<string, string> } = {}) =>
  send(ta, 'POST', '/api/v1/auth/password-reset', { payload: { email }, ...opts });
const complete = (payload: unknown, headers: Record<string, string> = {}) =>
  send(ta, 'POST', '/api/v1/auth/password-reset/complete', { payload, headers });

/** Asks for a reset and reads the token from the mail (sent after the answer). */
async function resetToken(member: Member, before = 0): Promise<string> {
  expect((await requestReset(member.email)).statusCode).toBe(202);
  const mails = await eventually(async () => {
    const rows = await outboxFor(ta, member.email);
    return rows.length > before ? rows : null;
  });
  return linkToken(mails.at(-1)?.textBody ?? '', 'reset-password').token;
}

async function signIn(member: Member, password = member.password) {
  const body = (await login(ta, member.email, password)).json();
  return { access: body.accessToken as string, refresh: body.refreshToken as string };
}

const stillWorks = async (access: string) => (await send(ta, 'GET', '/api/v1/auth/session', { token: access })).statusCode === 200;
const refreshes = async (refresh: string) =>
  (await post(ta, '/api/v1/auth/refresh', { refreshToken: refresh, refreshTokenDelivery: 'body' })).statusCode === 200;

describe('password reset request', () => {
  it('answers an existing and an unknown address identically, and mails only the real account', async () => {
    const alice = await seedMember(ta);
    const unknown = `nobody-${randomBytes(5).toString('hex')}@example.test`;
    const known = await requestReset(alice.email, { headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' } });
    const missing = await requestReset(unknown);
    expect(known.statusCode).toBe(202);
    expect(comparable(missing)).toEqual(comparable(known));
    expect(missing.body).toBe(known.body);
    expect(known.headers['cache-control']).toBe('no-store');

    const [mail] = await eventually(async () => {
      const rows = await outboxFor(ta, alice.email);
      return rows.length > 0 ? rows : null;
    });
    // A reset link is the account holder's alone: no organization's outbox shows it.
    expect(mail).toMatchObject({ orgId: null, purpose: 'password_reset', subject: 'Reset your Vigil password' });
    const { link, token } = linkToken(mail?.textBody ?? '', 'reset-password');
    expect(link).toBe(`${PUBLIC_URL}/reset-password#token=${token}`);
    expect(mail?.htmlBody).toContain(`href="${PUBLIC_URL}/reset-password#token=${token}"`);
    expect(`${mail?.textBody}${mail?.htmlBody}`).not.toContain('evil.example');
    const [stored] = await withSystem(ta.t.database.db, (tx) =>
      tx.select().from(passwordResets).where(eq(passwordResets.userId, alice.userId)),
    );
    expect(stored?.tokenHash).toBe(hashToken(token));
    expect(Math.abs((stored?.expiresAt.getTime() ?? 0) - (stored?.createdAt.getTime() ?? 0) - 3600_000)).toBeLessThan(5_000);
  });

  it('refuses malformed, oversized and hostile input with 400 and stores nothing; odd but valid strings get the same 202', async () => {
    const before = await withSystem(ta.t.database.db, (tx) => tx.select({ id: passwordResets.id }).from(passwordResets));
    for (const payload of [
      {},
      { email: 42 },
      { email: ['a@example.test'] },
      { email: '' },
      { email: 'a'.repeat(321) },
      { email: 'a@b', x: 1 },
    ]) {
      const response = await send(ta, 'POST', '/api/v1/auth/password-reset', { payload });
      expect(response.statusCode, JSON.stringify(payload).slice(0, 60)).toBe(400);
    }
    const reference = await requestReset('nobody@example.test');
    for (const email of ['a\u0000b@example.test', 'x\ud800@example.test', '\u202eevil@example.test', 'ünï@exämple.test', 'a'.repeat(300)]) {
      expect(comparable(await requestReset(email))).toEqual(comparable(reference));
    }
    const after = await withSystem(ta.t.database.db, (tx) => tx.select({ id: passwordResets.id }).from(passwordResets));
    expect(after).toHaveLength(before.length);
    expect((await requestReset('a@example.test', { headers: { origin: 'https://evil.example' } })).statusCode).toBe(403);
  });
});

describe('password reset completion', () => {
  it('sets the password, ends every session, kills other links, signs nobody in; audited', async () => {
    const bob = await seedMember(ta);
    const sessionA = await signIn(bob);
    const sessionB = await signIn(bob);
    const first = await resetToken(bob);
    const second = await resetToken(bob, 1);
    const password = strongPassword();
    const done = await complete({ token: second, password });
    expect(done.statusCode, done.body).toBe(204);
    expect(done.body).toBe('');
    expect(done.headers['set-cookie']).toBeUndefined();
    for (const s of [sessionA, sessionB]) {
      expect(await stillWorks(s.access)).toBe(false);
      expect(await refreshes(s.refresh)).toBe(false);
    }
    expect((await login(ta, bob.email, bob.password)).statusCode).toBe(401);
    expect((await login(ta, bob.email, password)).statusCode).toBe(200);
    // Used, and the other outstanding link died with it.
    expect((await complete({ token: second, password: strongPassword() })).statusCode).toBe(400);
    const other = await complete({ token: first, password: strongPassword() });
    expect(other.statusCode).toBe(400);
    expect(other.json().type).toBe('urn:vigil:problem:reset-link-invalid');
    const owner = await signIn(bob, password);
    const audit = await send(ta, 'GET', '/api/v1/audit?action=auth.password', { token: owner.access });
    expect(audit.json().items.map((e: { action: string }) => e.action)).toContain('auth.password.reset');
  });

  it('of 50 concurrent uses of one link, exactly one succeeds', async () => {
    const carol = await seedMember(ta);
    const token = await resetToken(carol);
    const password = strongPassword();
    const results = await Promise.all(Array.from({ length: 50 }, () => complete({ token, password })));
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 204).every((s) => s === 400)).toBe(true);
  });

  it('refuses expired, unknown and policy-failing attempts without spending the link', async () => {
    const dave = await seedMember(ta);
    const expired = randomBytes(32).toString('base64url');
    await withSystem(ta.t.database.db, (tx) =>
      passwordsRepo.insertReset(tx, { userId: dave.userId, tokenHash: hashToken(expired), expiresAt: new Date(Date.now() - 1000) }),
    );
    expect((await complete({ token: expired, password: strongPassword() })).statusCode).toBe(400);
    expect((await complete({ token: randomBytes(32).toString('base64url'), password: strongPassword() })).statusCode).toBe(400);
    const token = await resetToken(dave);
    const weak = await complete({ token, password: dave.email });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().type).toBe('urn:vigil:problem:weak-password');
    for (const payload of [
      {},
      { token },
      { token, password: 'x'.repeat(1025) },
      { token: 7, password: strongPassword() },
      { token: `${token}=`, password: strongPassword() },
      { token: token.replace(/.$/, '\u0000'), password: strongPassword() },
      { token, password: strongPassword(), extra: true },
    ]) {
      expect((await complete(payload)).statusCode, JSON.stringify(payload).slice(0, 60)).toBe(400);
    }
    expect((await complete({ token, password: strongPassword() }, { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await login(ta, dave.email, dave.password)).statusCode).toBe(200);
    expect((await complete({ token, password: strongPassword() })).statusCode).toBe(204);
  });
});

describe('password change', () => {
  const change = (access: string | undefined, payload: unknown) =>
    send(ta, 'POST', '/api/v1/auth/password', { payload, ...(access ? { token: access } : {}) });

  it('needs the current password, applies the policy, ends the other sessions but not this one', async () => {
    const erin = await seedMember(ta);
    const current = await signIn(erin);
    const other = await signIn(erin);
    const next = strongPassword();
    expect((await change(undefined, { currentPassword: erin.password, newPassword: next })).statusCode).toBe(401);
    const wrong = await change(current.access, { currentPassword: `${erin.password}x`, newPassword: next });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().type).toBe('urn:vigil:problem:password-incorrect');
    const weak = await change(current.access, { currentPassword: erin.password, newPassword: 'short' });
    expect(weak.statusCode).toBe(400);
    for (const payload of [
      {},
      { currentPassword: erin.password },
      { currentPassword: 1, newPassword: next },
      { currentPassword: erin.password, newPassword: 'x'.repeat(1025) },
    ]) {
      expect((await change(current.access, payload)).statusCode).toBe(400);
    }
    expect(await stillWorks(other.access)).toBe(true);

    expect((await change(current.access, { currentPassword: erin.password, newPassword: next })).statusCode).toBe(204);
    expect(await stillWorks(current.access)).toBe(true);
    expect(await refreshes(current.refresh)).toBe(true);
    expect(await stillWorks(other.access)).toBe(false);
    expect(await refreshes(other.refresh)).toBe(false);
    expect((await login(ta, erin.email, erin.password)).statusCode).toBe(401);
    expect((await login(ta, erin.email, next)).statusCode).toBe(200);
    const audit = await send(ta, 'GET', '/api/v1/audit?action=auth.password', { token: current.access });
    expect(audit.json().items.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['auth.password.changed', 'auth.password.change_failed']),
    );
  });

  it('kills outstanding reset links', async () => {
    const fay = await seedMember(ta);
    const token = await resetToken(fay);
    const s = await signIn(fay);
    expect((await change(s.access, { currentPassword: fay.password, newPassword: strongPassword() })).statusCode).toBe(204);
    expect((await complete({ token, password: strongPassword() })).statusCode).toBe(400);
  });
});

describe('rate limits', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await membershipApp({
      RATE_LIMITS: 'login=10000/min,login_account=4/hour,public=10000/min,password_reset=3/hour,password_reset_ip=6/hour',
    });
  });
  afterAll(() => limited?.close());
  const ask = (email: string, remoteAddress: string) =>
    send(limited, 'POST', '/api/v1/auth/password-reset', { payload: { email }, remoteAddress });

  it('caps requests per email (3/hour) whatever the IP, the same way for unknown addresses, with Retry-After', async () => {
    const member = await seedMember(limited);
    const unknown = `nobody-${randomBytes(5).toString('hex')}@example.test`;
    for (const [i, ip] of ['198.51.100.1', '198.51.100.2', '198.51.100.3'].entries()) {
      expect((await ask(member.email, ip)).statusCode, `known #${i}`).toBe(202);
      expect((await ask(unknown, ip)).statusCode, `unknown #${i}`).toBe(202);
    }
    const known = await ask(member.email.toUpperCase(), '198.51.100.4');
    const missing = await ask(unknown, '198.51.100.4');
    expect(known.statusCode).toBe(429);
    expect(Number(known.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(known.headers['retry-after'])).toBeLessThanOrEqual(3600);
    expect(comparable(missing)).toEqual(comparable(known));
    await eventually(async () => ((await outboxFor(limited, member.email)).length === 3 ? true : null));
  });

  it('caps requests per IP (6/hour) across addresses; another IP is unaffected', async () => {
    const ip = '203.0.113.7';
    for (let i = 0; i < 6; i++) expect((await ask(`spray-${i}-${randomBytes(3).toString('hex')}@example.test`, ip)).statusCode).toBe(202);
    const refused = await ask(`spray-x@example.test`, ip);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await ask(`spray-y-${randomBytes(3).toString('hex')}@example.test`, '203.0.113.8')).statusCode).toBe(202);
  });

  it('counts password changes against the account like logins', async () => {
    const member = await seedMember(limited);
    const token = (await login(limited, member.email, member.password)).json().accessToken;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await send(limited, 'POST', '/api/v1/auth/password', {
        token,
        payload: { currentPassword: 'Wrong-Password-123', newPassword: strongPassword() },
      });
      statuses.push(r.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});
