import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import { withSystem } from '../../db/tenant.ts';
import { asOwner, call, type Person, seedPerson, signIn } from './users.test-kit.ts';

/**
 * Erasing one's account cannot be undone, so DELETE /users/me must not yield to a stolen access
 * token, a guessed password, a malformed body or a credential that is not the person's.
 */

let ta: TestApp;

beforeAll(async () => {
  // login_account=3/hour: password confirmations here count against the same budget as logins.
  ta = await createTestApp({ RATE_LIMITS: 'login=1000/min,login_account=3/hour,public=1000/min' }, { realAuth: true });
});
afterAll(() => ta.close());

async function member(): Promise<{ p: Person; token: string }> {
  const owner = await seedPerson(ta);
  const p = await seedPerson(ta, { role: 'ENGINEER', orgId: owner.orgId });
  return { p, token: (await signIn(ta, p)).accessToken };
}

async function stillThere(p: Person): Promise<boolean> {
  const [row] = await asOwner(ta, 'SELECT email, erased_at FROM vigil.users WHERE id = $1', [p.userId]);
  return row?.email === p.email && row?.erased_at === null;
}

const erase = (token: string | undefined, payload: unknown) => call(ta, 'DELETE', '/users/me', { ...(token ? { token } : {}), payload });

describe('re-authentication', () => {
  it('refuses no token (401), a missing password (401) and a wrong one (401); nothing is erased', async () => {
    const { p, token } = await member();
    expect((await erase(undefined, { password: p.password })).statusCode).toBe(401);
    const missing = await erase(token, {});
    expect(missing.statusCode).toBe(401);
    expect(missing.json().type).toBe('urn:vigil:problem:reauthentication-required');
    const wrong = await erase(token, { password: `${p.password}x` });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().type).toBe('urn:vigil:problem:password-incorrect');
    expect(await stillThere(p)).toBe(true);
    expect((await call(ta, 'GET', '/auth/session', { token })).statusCode).toBe(200);
  });

  it('counts tries against the account’s login budget: once spent, even the right password waits (429, Retry-After)', async () => {
    const { p, token } = await member();
    // The login spent one of the three; two wrong passwords spend the rest.
    for (let i = 0; i < 2; i++) expect((await erase(token, { password: `guess-${i}-not-it` })).statusCode).toBe(401);
    const limited = await erase(token, { password: p.password });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(await stillThere(p)).toBe(true);
  });

  it('refuses malformed, oversized and hostile bodies with 400', async () => {
    const { p, token } = await member();
    for (const payload of [
      { password: p.password, extra: 1 },
      { password: 'x'.repeat(257) },
      { password: 12345678 },
      { password: [p.password] },
      { password: '' },
      [],
      'password',
      null,
    ]) {
      const response = await erase(token, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const query = await call(ta, 'DELETE', `/users/me?password=${encodeURIComponent(p.password)}`, { token, payload: {} });
    expect(query.statusCode).toBe(400);
    const notJson = await ta.app.inject({
      method: 'DELETE',
      url: '/api/v1/users/me',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      payload: p.password,
    });
    expect(notJson.statusCode).toBe(415);
    expect(await stillThere(p)).toBe(true);
  });

  it('refuses an API key, even one its owner created: it is not the person (403)', async () => {
    const owner = await seedPerson(ta);
    const session = (await signIn(ta, owner)).accessToken;
    const key = await call(ta, 'POST', '/api-keys', { token: session, payload: { name: 'ci', role: 'ADMIN' } });
    expect(key.statusCode, key.body).toBe(201);
    const refused = await erase(key.json().token, { password: owner.password });
    expect(refused.statusCode).toBe(403);
    expect(await stillThere(owner)).toBe(true);
  });
});

describe('an account without a password (passkeys only)', () => {
  async function passwordless(): Promise<{ p: Person; token: string; sessionId: string }> {
    const owner = await seedPerson(ta);
    const p = await seedPerson(ta, { role: 'VIEWER', orgId: owner.orgId });
    const login = await call(ta, 'POST', '/auth/login', {
      payload: { email: p.email, password: p.password, refreshTokenDelivery: 'body' },
    });
    await withSystem(ta.t.database.db, (tx) => tx.execute(sql`DELETE FROM vigil.user_passwords WHERE user_id = ${p.userId}::uuid`));
    return { p, token: login.json().accessToken, sessionId: login.json().sessionId };
  }

  it('is erased from a session that logged in within the last 5 minutes', async () => {
    const { p, token } = await passwordless();
    // A password sent anyway proves nothing and changes nothing.
    const response = await erase(token, { password: 'irrelevant-but-sent' });
    expect(response.statusCode, response.body).toBe(204);
    expect(await stillThere(p)).toBe(false);
  });

  it('is refused from an older session: log in again first (401)', async () => {
    const { p, token, sessionId } = await passwordless();
    await asOwner(ta, "UPDATE vigil.sessions SET created_at = now() - interval '6 minutes' WHERE id = $1", [sessionId]);
    const response = await erase(token, {});
    expect(response.statusCode).toBe(401);
    expect(response.json().type).toBe('urn:vigil:problem:reauthentication-required');
    expect(await stillThere(p)).toBe(true);
  });
});
