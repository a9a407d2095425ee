import { setTimeout as sleep } from 'node:timers/promises';
import { Secret, TOTP } from 'otpauth';
import { afterAll, describe, expect, it } from 'vitest';
import { comparable, get, login, post, seedMember } from '../helpers/auth-flow.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const apps: TestApp[] = [];
async function app(env: Record<string, string>) {
  const ta = await createTestApp({ RATE_LIMITS: 'login=1000/min,login_account=1000/hour,public=1000/min', ...env }, { realAuth: true });
  apps.push(ta);
  return ta;
}
afterAll(async () => {
  for (const ta of apps) await ta.close();
});

function retryAfter(response: { headers: Record<string, unknown> }): number {
  return Number(response.headers['retry-after']);
}

describe('per-account lockout', () => {
  it('locks after the threshold, refuses even the right password, then lets it in and resets', async () => {
    const ta = await app({ LOGIN_LOCKOUT_AFTER: '3', LOGIN_LOCKOUT_BASE_S: '2', LOGIN_LOCKOUT_MAX_S: '60' });
    const m = await seedMember(ta);
    for (let i = 0; i < 3; i++) expect((await login(ta, m.email, 'wrong-password-123')).statusCode).toBe(401);
    const locked = await login(ta, m.email, m.password);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().type).toBe('urn:vigil:problem:account-locked');
    expect(retryAfter(locked)).toBeGreaterThanOrEqual(1);
    expect(retryAfter(locked)).toBeLessThanOrEqual(2);
    await sleep(retryAfter(locked) * 1000 + 200);
    expect((await login(ta, m.email, m.password)).statusCode).toBe(200);
    // The success forgave the failures: three more are needed for the next lock.
    for (let i = 0; i < 2; i++) expect((await login(ta, m.email, 'wrong-password-123')).statusCode).toBe(401);
    expect((await login(ta, m.email, m.password)).statusCode).toBe(200);
  });

  it('backs off exponentially and locks an unknown account exactly as a known one', async () => {
    const ta = await app({ LOGIN_LOCKOUT_AFTER: '2', LOGIN_LOCKOUT_BASE_S: '1', LOGIN_LOCKOUT_MAX_S: '60' });
    const m = await seedMember(ta);
    const ghost = `ghost-${Date.now()}@example.com`;
    for (const email of [m.email, ghost]) for (let i = 0; i < 2; i++) await login(ta, email, 'wrong-password-123');
    const [known, unknown] = [await login(ta, m.email, 'x-password-123'), await login(ta, ghost, 'x-password-123')];
    expect(known.statusCode).toBe(429);
    expect(comparable(unknown)).toEqual(comparable(known));
    await sleep(1200);
    // Third failure: the lock doubles.
    expect((await login(ta, m.email, 'wrong-password-123')).statusCode).toBe(401);
    const longer = await login(ta, m.email, m.password);
    expect(longer.statusCode).toBe(429);
    expect(retryAfter(longer)).toBe(2);
  });

  it('counts concurrent guesses before checking them, so a burst cannot pass the threshold', async () => {
    const ta = await app({ LOGIN_LOCKOUT_AFTER: '5', LOGIN_LOCKOUT_BASE_S: '600' });
    const m = await seedMember(ta);
    const burst = await Promise.all(Array.from({ length: 30 }, () => login(ta, m.email, 'wrong-password-123')));
    expect(burst.filter((r) => r.statusCode === 401).length).toBeLessThanOrEqual(5);
    expect(burst.filter((r) => r.statusCode === 429).length).toBeGreaterThanOrEqual(25);
  });
});

describe('second-factor guessing', () => {
  it('counts wrong codes towards the account lockout, so a known password does not buy endless guesses', async () => {
    const ta = await app({ LOGIN_LOCKOUT_AFTER: '3', LOGIN_LOCKOUT_BASE_S: '600' });
    const m = await seedMember(ta);
    const access = (await login(ta, m.email, m.password)).json().accessToken;
    const headers = { authorization: `Bearer ${access}` };
    const { secret } = (await ta.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp', headers })).json();
    const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() - 30_000 });
    expect((await post(ta, '/api/v1/auth/mfa/totp/confirm', { code }, headers)).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) {
      const challenge = (await login(ta, m.email, m.password)).json().challenge;
      expect(challenge).toBeTruthy();
      const wrong = await post(ta, '/api/v1/auth/login/mfa', { challenge, method: 'totp', code: '000000', refreshTokenDelivery: 'body' });
      expect(wrong.statusCode).toBe(401);
    }
    expect((await login(ta, m.email, m.password)).statusCode).toBe(429);
  });
});

describe('per-IP and per-account rate limits', () => {
  it('caps logins per IP with a right Retry-After, and a spoofed X-Forwarded-For changes nothing', async () => {
    const ta = await app({ RATE_LIMITS: 'login=4/min,login_account=1000/hour', LOGIN_LOCKOUT_AFTER: '100' });
    const m = await seedMember(ta);
    for (let i = 0; i < 4; i++) {
      expect((await login(ta, m.email, 'wrong-password-123', {}, { 'x-forwarded-for': `203.0.113.${i}` })).statusCode).toBe(401);
    }
    const limited = await login(ta, m.email, m.password, {}, { 'x-forwarded-for': '198.51.100.7' });
    expect(limited.statusCode).toBe(429);
    expect(retryAfter(limited)).toBeGreaterThanOrEqual(1);
    expect(retryAfter(limited)).toBeLessThanOrEqual(60);
    // Another address (a real peer, not a header) is its own bucket.
    const elsewhere = await ta.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '192.0.2.9',
      payload: { email: m.email, password: m.password, refreshTokenDelivery: 'body' },
    });
    expect(elsewhere.statusCode).toBe(200);
  });

  it('believes X-Forwarded-For from a trusted proxy only, and still caps one account across many IPs', async () => {
    const ta = await app({ TRUST_PROXY: '127.0.0.1', RATE_LIMITS: 'login=2/min,login_account=5/hour', LOGIN_LOCKOUT_AFTER: '100' });
    const m = await seedMember(ta);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await login(ta, m.email, 'wrong-password-123', {}, { 'x-forwarded-for': `203.0.113.${i + 10}` })).statusCode);
    }
    // Each IP is fresh (the proxy is trusted), but the account allows five attempts an hour.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });

  it('resets when the window ends', async () => {
    const ta = await app({ RATE_LIMITS: 'login=2/s,login_account=1000/hour', LOGIN_LOCKOUT_AFTER: '100' });
    const m = await seedMember(ta);
    await login(ta, m.email, m.password);
    await login(ta, m.email, m.password);
    const limited = await login(ta, m.email, m.password);
    expect(limited.statusCode).toBe(429);
    expect(retryAfter(limited)).toBe(1);
    await sleep(1100);
    expect((await login(ta, m.email, m.password)).statusCode).toBe(200);
  });

  it('caps unauthenticated writes per IP across every public route', async () => {
    const ta = await app({ RATE_LIMITS: 'public=3/min,login=1000/min,login_account=1000/hour' });
    const statuses: number[] = [];
    for (const url of ['/api/v1/auth/refresh', '/api/v1/auth/passkeys/login/options', '/api/v1/auth/logout', '/api/v1/auth/refresh']) {
      statuses.push((await ta.app.inject({ method: 'POST', url, payload: {} })).statusCode);
    }
    expect(statuses.slice(0, 3).every((status) => status !== 429)).toBe(true);
    expect(statuses[3]).toBe(429);
    // Reads stay open (health, the OpenAPI document).
    expect((await ta.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).statusCode).toBe(200);
  });

  it('caps API requests per token, not per user agent or IP', async () => {
    const ta = await app({ RATE_LIMITS: 'api=5/min,login=1000/min,login_account=1000/hour' });
    const m = await seedMember(ta);
    const one = (await login(ta, m.email, m.password)).json().accessToken;
    const two = (await login(ta, m.email, m.password)).json().accessToken;
    for (let i = 0; i < 5; i++) expect((await get(ta, '/api/v1/clients', one)).statusCode).toBe(200);
    const limited = await get(ta, '/api/v1/clients', one);
    expect(limited.statusCode).toBe(429);
    expect(retryAfter(limited)).toBeGreaterThan(0);
    expect((await get(ta, '/api/v1/clients', two)).statusCode).toBe(200);
  });
});
