import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSystem } from '../../src/db/tenant.ts';
import { assertMayChangeFactors } from '../../src/modules/auth/factor-guard.ts';
import { get, login, type Member, post, seedMember } from '../helpers/auth-flow.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

let ta: TestApp;

beforeAll(async () => {
  ta = await createTestApp(
    {
      RATE_LIMITS: 'login=100000/min,login_account=100000/hour,public=100000/min,mfa=100000/min,api=100000/min',
      LOGIN_LOCKOUT_AFTER: '100',
    },
    { realAuth: true },
  );
});
afterAll(() => ta.close());

function codeAt(secret: string, offsetSeconds: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSeconds * 1000 });
}

function authed(token: string) {
  return { authorization: `Bearer ${token}` };
}

/** A member with TOTP confirmed through the API; returns the secret and backup codes. */
async function memberWithTotp(): Promise<Member & { secret: string; backupCodes: string[] }> {
  const m = await seedMember(ta);
  const access = (await login(ta, m.email, m.password)).json().accessToken;
  const started = await ta.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: authed(access) });
  expect(started.statusCode).toBe(201);
  const { secret } = started.json();
  const confirmed = await post(ta, '/api/v1/auth/mfa/totp/confirm', { code: codeAt(secret, -30) }, authed(access));
  expect(confirmed.statusCode).toBe(200);
  return { ...m, secret, backupCodes: confirmed.json().backupCodes };
}

async function challengeFor(m: Member): Promise<string> {
  const response = await login(ta, m.email, m.password);
  expect(response.json()).toMatchObject({ status: 'mfa_required', methods: ['totp', 'backup_code'] });
  expect(response.json().accessToken).toBeUndefined();
  return response.json().challenge;
}

const finish = (challenge: string, method: string, code: string) =>
  post(ta, '/api/v1/auth/login/mfa', { challenge, method, code, refreshTokenDelivery: 'body' });

describe('login with a second factor', () => {
  it('a correct password yields only a challenge; the TOTP code opens an mfa_verified session, once', async () => {
    const m = await memberWithTotp();
    const code = codeAt(m.secret, 30);
    const done = await finish(await challengeFor(m), 'totp', code);
    expect(done.statusCode).toBe(200);
    expect(done.json().mfaVerified).toBe(true);
    // The same code again (a fresh challenge) is a replay.
    const replay = await finish(await challengeFor(m), 'totp', code);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().type).toBe('urn:vigil:problem:mfa-failed');
    // Refresh keeps the verified flag.
    const refreshed = await post(ta, '/api/v1/auth/refresh', { refreshToken: done.json().refreshToken, refreshTokenDelivery: 'body' });
    expect(refreshed.json().mfaVerified).toBe(true);
  });

  it('each backup code works once', async () => {
    const m = await memberWithTotp();
    const [first, second] = m.backupCodes as [string, string];
    expect((await finish(await challengeFor(m), 'backup_code', first)).statusCode).toBe(200);
    expect((await finish(await challengeFor(m), 'backup_code', first)).statusCode).toBe(401);
    expect((await finish(await challengeFor(m), 'backup_code', second.toLowerCase().replace('-', ' '))).statusCode).toBe(200);
  });

  it('a challenge dies after five wrong answers, even for the right code', async () => {
    const m = await memberWithTotp();
    const challenge = await challengeFor(m);
    for (let i = 0; i < 5; i++) expect((await finish(challenge, 'totp', '000000')).statusCode).toBe(401);
    expect((await finish(challenge, 'totp', codeAt(m.secret, 30))).statusCode).toBe(401);
  });

  it('50 concurrent answers to one challenge open exactly one session', async () => {
    const m = await memberWithTotp();
    const challenge = await challengeFor(m);
    // Eight different valid backup codes plus the TOTP code: only the challenge can stop them.
    const answers = [...m.backupCodes.map((code) => ['backup_code', code]), ['totp', codeAt(m.secret, 30)]];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => finish(challenge, ...(answers[i % answers.length] as [string, string]))),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    // The losers spent nothing: seven or eight backup codes are still there.
    const status = (await get(ta, '/api/v1/auth/mfa', results.find((r) => r.statusCode === 200)?.json().accessToken)).json();
    expect(status.backupCodesRemaining).toBeGreaterThanOrEqual(7);
  });

  it('50 concurrent uses of one TOTP code on 50 challenges open exactly one session', async () => {
    const m = await memberWithTotp();
    const challenges = await Promise.all(Array.from({ length: 50 }, () => challengeFor(m)));
    const code = codeAt(m.secret, 30);
    const results = await Promise.all(challenges.map((challenge) => finish(challenge, 'totp', code)));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
  });

  it('refuses malformed second-factor requests', async () => {
    const m = await memberWithTotp();
    const challenge = await challengeFor(m);
    for (const body of [
      { challenge, method: 'totp' },
      { challenge, method: 'sms', code: '123456' },
      { challenge: 'x'.repeat(500), method: 'totp', code: '123456' },
      { challenge, method: 'totp', code: 'x'.repeat(100) },
    ]) {
      expect([400, 401]).toContain((await post(ta, '/api/v1/auth/login/mfa', body)).statusCode);
    }
    expect((await finish('A'.repeat(43), 'totp', codeAt(m.secret, 30))).statusCode).toBe(401);
    // None of that spent the real challenge.
    expect((await finish(challenge, 'totp', codeAt(m.secret, 30))).statusCode).toBe(200);
  });
});

describe('an organization that requires a second factor', () => {
  it('is switched on only by a person who passed a second factor, and confines sessions without one to enrolment', async () => {
    const owner = await memberWithTotp();
    const ownerPasswordOnly = await seedMember(ta, { orgId: owner.orgId, role: 'OWNER' });
    const ownerSession = (await finish(await challengeFor(owner), 'totp', codeAt(owner.secret, 30))).json().accessToken;
    const patch = (token: string) =>
      ta.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: authed(token), payload: { settings: { requireMfa: true } } });
    // An owner without a second factor, and an owner's API key, cannot change it.
    expect((await patch((await login(ta, ownerPasswordOnly.email, ownerPasswordOnly.password)).json().accessToken)).statusCode).toBe(403);
    const key = (await post(ta, '/api/v1/api-keys', { name: 'automation', role: 'OWNER' }, authed(ownerSession))).json().token;
    expect((await patch(key)).statusCode).toBe(403);
    const changed = await patch(ownerSession);
    expect(changed.statusCode).toBe(200);
    expect(changed.json().settings).toEqual({ requireMfa: true, requireActionApproval: true });
    const audit = (await get(ta, '/api/v1/audit?action=organization.updated', ownerSession)).json();
    expect(audit.items[0]).toMatchObject({ before: { settings: { requireMfa: false } }, after: { settings: { requireMfa: true } } });

    const m = await seedMember(ta, { orgId: owner.orgId, role: 'ENGINEER' });
    const session = (await login(ta, m.email, m.password)).json();
    expect(session).toMatchObject({ mfaVerified: false, mfaEnrollmentRequired: true });
    const blocked = await get(ta, '/api/v1/clients', session.accessToken);
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().type).toBe('urn:vigil:problem:mfa-required');
    expect((await get(ta, '/api/v1/auth/session', session.accessToken)).json().mfaEnrollmentRequired).toBe(true);
    const other = (await login(ta, m.email, m.password)).json();

    const started = await ta.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: authed(session.accessToken) });
    expect(started.statusCode).toBe(201);
    // Refreshing before confirming changes nothing.
    const refreshed = (await post(ta, '/api/v1/auth/refresh', { refreshToken: session.refreshToken, refreshTokenDelivery: 'body' })).json();
    expect(refreshed.mfaVerified).toBe(false);
    expect((await get(ta, '/api/v1/clients', refreshed.accessToken)).statusCode).toBe(403);

    const confirmed = await post(
      ta,
      '/api/v1/auth/mfa/totp/confirm',
      { code: codeAt(started.json().secret, 0) },
      authed(refreshed.accessToken),
    );
    expect(confirmed.statusCode).toBe(200);
    expect((await get(ta, '/api/v1/clients', refreshed.accessToken)).statusCode).toBe(200);
    // The other password-only session ended with the switch to two factors.
    expect((await get(ta, '/api/v1/auth/session', other.accessToken)).statusCode).toBe(401);
  });
});

describe('changing second factors', () => {
  it('ends password-only sessions when the first factor is enrolled, so a stolen password keeps nothing', async () => {
    const m = await seedMember(ta);
    const attacker = (await login(ta, m.email, m.password)).json().accessToken;
    const owner = (await login(ta, m.email, m.password)).json().accessToken;
    const started = await ta.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers: authed(owner) });
    expect((await post(ta, '/api/v1/auth/mfa/totp/confirm', { code: codeAt(started.json().secret, -30) }, authed(owner))).statusCode).toBe(
      200,
    );
    expect((await get(ta, '/api/v1/auth/session', attacker)).statusCode).toBe(401);
    // The enrolling session passed the factor: it may add a passkey.
    expect((await get(ta, '/api/v1/auth/session', owner)).json().mfaVerified).toBe(true);
    const options = await ta.app.inject({
      method: 'POST',
      url: '/api/v1/auth/passkeys/registration/options',
      headers: authed(owner),
      payload: {},
    });
    expect(options.statusCode).toBe(200);
  });

  it('refuses a session that has not passed the factor once the user has one', async () => {
    const m = await memberWithTotp();
    const actor = {
      kind: 'user' as const,
      id: m.userId,
      mfaVerified: false,
      tenant: { orgId: m.orgId, userId: m.userId, role: 'OWNER' as const, clientIds: 'all' as const },
    };
    await expect(withSystem(ta.t.database.db, (tx) => assertMayChangeFactors(tx, actor))).rejects.toMatchObject({ code: 'MFA_REQUIRED' });
    await expect(
      withSystem(ta.t.database.db, (tx) => assertMayChangeFactors(tx, { ...actor, mfaVerified: true })),
    ).resolves.toBeUndefined();
  });
});
