import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparable, get, login, type Member, post, seedMember, setCookie } from '../helpers/auth-flow.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

let ta: TestApp;
let alice: Member;

beforeAll(async () => {
  // Generous limits: this file is about sessions; the limits have their own tests.
  ta = await createTestApp(
    { RATE_LIMITS: 'login=1000/min,login_account=1000/hour,public=1000/min', LOGIN_LOCKOUT_AFTER: '50' },
    { realAuth: true },
  );
  alice = await seedMember(ta);
});
afterAll(() => ta.close());

describe('login', () => {
  it('answers a correct password with an EdDSA access token that opens the API', async () => {
    const response = await login(ta, alice.email.toUpperCase(), alice.password);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      status: 'authenticated',
      tokenType: 'Bearer',
      expiresIn: 900,
      userId: alice.userId,
      orgId: alice.orgId,
      mfaVerified: false,
    });
    expect(response.headers['cache-control']).toBe('no-store');
    const session = await get(ta, '/api/v1/auth/session', body.accessToken);
    expect(session.statusCode).toBe(200);
    expect(session.json()).toMatchObject({ userId: alice.userId, email: alice.email, role: 'OWNER', sessionId: body.sessionId });
    // The token's key is published.
    const header = JSON.parse(Buffer.from(body.accessToken.split('.')[0], 'base64url').toString());
    const jwks = (await get(ta, '/.well-known/jwks.json')).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
  });

  it('answers a wrong password and an unknown account identically', async () => {
    const wrong = await login(ta, alice.email, `${alice.password}x`);
    const unknown = await login(ta, `nobody-${Date.now()}@example.com`, alice.password);
    const noPassword = await login(ta, (await seedMemberWithoutPassword()).email, alice.password);
    expect(wrong.statusCode).toBe(401);
    expect(comparable(unknown)).toEqual(comparable(wrong));
    expect(comparable(noPassword)).toEqual(comparable(wrong));
  });

  it('audits every attempt on a real account, failed and successful, with address and user agent', async () => {
    const bob = await seedMember(ta, { orgId: alice.orgId, role: 'VIEWER' });
    const ua = { 'user-agent': 'audit-probe/1.0' };
    expect((await login(ta, bob.email, 'wrong-password-123', {}, ua)).statusCode).toBe(401);
    expect((await login(ta, bob.email, bob.password, {}, ua)).statusCode).toBe(200);
    const owner = (await login(ta, alice.email, alice.password)).json().accessToken;
    let entries: Array<{ action: string; actorUserId: string; userAgent: string; ip: string }> = [];
    for (let i = 0; i < 50 && entries.length < 2; i++) {
      entries = (await get(ta, `/api/v1/audit?action=auth.login`, owner))
        .json()
        .items.filter((e: { actorUserId: string }) => e.actorUserId === bob.userId);
      if (entries.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(entries.map((e) => e.action).sort()).toEqual(['auth.login.failed', 'auth.login.succeeded']);
    for (const entry of entries) expect(entry).toMatchObject({ userAgent: 'audit-probe/1.0', ip: '127.0.0.1' });
  });

  it('refuses bodies that are malformed, oversized or hostile with 400 and no session', async () => {
    for (const payload of [
      {},
      { email: alice.email },
      { email: alice.email, password: '' },
      { email: alice.email, password: 'x'.repeat(1025) },
      { email: 'x'.repeat(400), password: alice.password },
      { email: alice.email, password: alice.password, extra: 1 },
      { email: ['a'], password: alice.password },
      { email: alice.email, password: alice.password, refreshTokenDelivery: 'url' },
    ]) {
      const response = await post(ta, '/api/v1/auth/login', payload);
      expect(response.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
    }
    for (const email of [`${alice.email}\u0000`, `${alice.email}\ud800`, `\u202e${alice.email}`]) {
      expect((await login(ta, email, alice.password)).statusCode).toBe(401);
    }
  });

  it('sets the refresh cookie HttpOnly, Secure and SameSite=Strict for browsers, and a readable CSRF cookie', async () => {
    const response = await login(ta, alice.email, alice.password, { refreshTokenDelivery: 'cookie' });
    const refresh = setCookie(response, 'vigil_refresh');
    const csrf = setCookie(response, 'vigil_csrf');
    expect(refresh?.attributes).toEqual(expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']));
    expect(csrf?.attributes).toEqual(expect.arrayContaining(['Secure', 'SameSite=Strict']));
    expect(csrf?.attributes).not.toContain('HttpOnly');
    expect(response.json().refreshToken).toBeUndefined();
    expect(response.json().csrfToken).toBe(csrf?.value);
  });
});

async function seedMemberWithoutPassword() {
  const { createFactories } = await import('../helpers/factories.ts');
  const f = createFactories(ta.t.database.db);
  return (await f.actor(alice.orgId, 'VIEWER')).user;
}

describe('refresh tokens', () => {
  it('rotate on every use; a reused one revokes the whole family', async () => {
    const first = (await login(ta, alice.email, alice.password)).json();
    const second = await post(ta, '/api/v1/auth/refresh', { refreshToken: first.refreshToken, refreshTokenDelivery: 'body' });
    expect(second.statusCode).toBe(200);
    const rotated = second.json();
    expect(rotated.sessionId).toBe(first.sessionId);
    expect(rotated.refreshToken).not.toBe(first.refreshToken);

    const reuse = await post(ta, '/api/v1/auth/refresh', { refreshToken: first.refreshToken, refreshTokenDelivery: 'body' });
    expect(reuse.statusCode).toBe(401);
    // The family is gone: the newest refresh token and the access token die with it.
    expect((await post(ta, '/api/v1/auth/refresh', { refreshToken: rotated.refreshToken, refreshTokenDelivery: 'body' })).statusCode).toBe(
      401,
    );
    expect((await get(ta, '/api/v1/auth/session', rotated.accessToken)).statusCode).toBe(401);
    // …and the reuse is in the audit trail.
    const other = (await login(ta, alice.email, alice.password)).json();
    const audit = (await get(ta, `/api/v1/audit?action=auth.refresh.reused`, other.accessToken)).json();
    expect(audit.items.some((entry: { targetId: string }) => entry.targetId === first.sessionId)).toBe(true);
  });

  it('50 concurrent uses of one refresh token give exactly one success', async () => {
    const first = (await login(ta, alice.email, alice.password)).json();
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        post(ta, '/api/v1/auth/refresh', { refreshToken: first.refreshToken, refreshTokenDelivery: 'body' }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 401)).toHaveLength(49);
  });

  it('refuses malformed refresh tokens without touching a session', async () => {
    for (const refreshToken of ['', 'x', 'x'.repeat(200), '../../etc/passwd', `${'a'.repeat(42)}\u00e9`]) {
      const response = await post(ta, '/api/v1/auth/refresh', { refreshToken, refreshTokenDelivery: 'body' });
      expect([400, 401]).toContain(response.statusCode);
    }
  });

  it('keeps mfa_verified false through refresh for a session that never passed a second factor', async () => {
    const first = (await login(ta, alice.email, alice.password)).json();
    expect(first.mfaVerified).toBe(false);
    const refreshed = (await post(ta, '/api/v1/auth/refresh', { refreshToken: first.refreshToken, refreshTokenDelivery: 'body' })).json();
    expect(refreshed.mfaVerified).toBe(false);
    const claims = JSON.parse(Buffer.from(refreshed.accessToken.split('.')[1], 'base64url').toString());
    expect(claims.mfa).toBe(false);
    // A client cannot ask for it either: the body is strict.
    const asking = await post(ta, '/api/v1/auth/refresh', {
      refreshToken: refreshed.refreshToken,
      refreshTokenDelivery: 'body',
      mfaVerified: true,
    });
    expect(asking.statusCode).toBe(400);
  });
});

describe('cookie-authenticated refresh and logout (CSRF)', () => {
  async function browserLogin() {
    const response = await login(ta, alice.email, alice.password, { refreshTokenDelivery: 'cookie' });
    const refresh = setCookie(response, 'vigil_refresh')?.value as string;
    return { refresh, csrf: response.json().csrfToken as string, access: response.json().accessToken as string };
  }
  const withCookie = (refresh: string, headers: Record<string, string> = {}) => ({ cookie: `vigil_refresh=${refresh}`, ...headers });

  it('refreshes with the cookie and the matching X-CSRF-Token from the same origin', async () => {
    const { refresh, csrf } = await browserLogin();
    const response = await post(
      ta,
      '/api/v1/auth/refresh',
      {},
      withCookie(refresh, { 'x-csrf-token': csrf, origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' }),
    );
    expect(response.statusCode).toBe(200);
    expect(setCookie(response, 'vigil_refresh')?.value).not.toBe(refresh);
    expect(response.json().csrfToken).not.toBe(csrf);
  });

  it.each([
    ['no CSRF token', {}],
    ['a wrong CSRF token', { 'x-csrf-token': 'A'.repeat(43) }],
    ['a foreign Origin', { 'x-csrf-token': 'RIGHT', origin: 'https://evil.example' }],
    ['Sec-Fetch-Site: cross-site', { 'x-csrf-token': 'RIGHT', 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'x-csrf-token': 'RIGHT', 'sec-fetch-site': 'same-site' }],
    ['Origin: null', { 'x-csrf-token': 'RIGHT', origin: 'null' }],
  ])('refuses a cookie refresh with %s, and the session survives', async (_label, extra: Record<string, string>) => {
    const { refresh, csrf, access } = await browserLogin();
    const headers = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, v === 'RIGHT' ? csrf : v]));
    const response = await post(ta, '/api/v1/auth/refresh', {}, withCookie(refresh, headers));
    expect(response.statusCode).toBe(403);
    expect(response.json().type).toBe('urn:vigil:problem:csrf-rejected');
    const logout = await post(ta, '/api/v1/auth/logout', {}, withCookie(refresh, headers));
    expect(logout.statusCode).toBe(403);
    expect((await get(ta, '/api/v1/auth/session', access)).statusCode).toBe(200);
  });

  it('refuses a login from another site (login CSRF)', async () => {
    expect((await login(ta, alice.email, alice.password, {}, { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await login(ta, alice.email, alice.password, {}, { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect(
      (await login(ta, alice.email, alice.password, {}, { origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' })).statusCode,
    ).toBe(200);
  });
});

describe('logout', () => {
  it('is immediate: the access token stops working at once', async () => {
    const session = (await login(ta, alice.email, alice.password)).json();
    expect((await get(ta, '/api/v1/auth/session', session.accessToken)).statusCode).toBe(200);
    expect((await post(ta, '/api/v1/auth/logout', { refreshToken: session.refreshToken })).statusCode).toBe(204);
    expect((await get(ta, '/api/v1/auth/session', session.accessToken)).statusCode).toBe(401);
    expect((await post(ta, '/api/v1/auth/refresh', { refreshToken: session.refreshToken, refreshTokenDelivery: 'body' })).statusCode).toBe(
      401,
    );
  });

  it('"everywhere" ends every session of the user, and only theirs', async () => {
    const bob = await seedMember(ta, { orgId: alice.orgId, role: 'ADMIN' });
    const bobs = (await login(ta, bob.email, bob.password)).json();
    const a = (await login(ta, alice.email, alice.password)).json();
    const b = (await login(ta, alice.email, alice.password)).json();
    const response = await ta.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout-all',
      headers: { authorization: `Bearer ${a.accessToken}` },
    });
    expect(response.statusCode).toBe(204);
    expect((await get(ta, '/api/v1/auth/session', a.accessToken)).statusCode).toBe(401);
    expect((await get(ta, '/api/v1/auth/session', b.accessToken)).statusCode).toBe(401);
    expect((await get(ta, '/api/v1/auth/session', bobs.accessToken)).statusCode).toBe(200);
  });

  it('lists own sessions and revokes one, never another user’s', async () => {
    const bob = await seedMember(ta, { orgId: alice.orgId, role: 'ADMIN' });
    const bobs = (await login(ta, bob.email, bob.password)).json();
    const mine = (
      await login(ta, alice.email, alice.password, {}, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' })
    ).json();
    const list = (await get(ta, '/api/v1/auth/sessions', mine.accessToken)).json();
    const current = list.items.find((s: { current: boolean }) => s.current);
    expect(current).toMatchObject({ id: mine.sessionId, device: 'Firefox on Linux' });
    expect(list.items.some((s: { id: string }) => s.id === bobs.sessionId)).toBe(false);
    const foreign = await ta.app.inject({
      method: 'DELETE',
      url: `/api/v1/auth/sessions/${bobs.sessionId}`,
      headers: { authorization: `Bearer ${mine.accessToken}` },
    });
    expect(foreign.statusCode).toBe(404);
    expect((await get(ta, '/api/v1/auth/session', bobs.accessToken)).statusCode).toBe(200);
  });
});

describe('post-login redirects', () => {
  it.each([
    ['/assets?tab=servers#top', '/assets?tab=servers#top'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['https:evil.example', '/'],
    ['https://evil.example/', '/'],
    ['%2F%2Fevil.example', '/'],
    ['/%2F%2Fevil.example', '/'],
    ['/%252F%252Fevil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/\tjavascript:alert(1)', '/'],
    [' /assets', '/'],
    ['assets', '/'],
  ])('redirectTo %s → %s', async (redirectTo, expected) => {
    const response = await login(ta, alice.email, alice.password, { redirectTo });
    expect(response.statusCode).toBe(200);
    expect(response.json().redirectTo).toBe(expected);
  });
});
