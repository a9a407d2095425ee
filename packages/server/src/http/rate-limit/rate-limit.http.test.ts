import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type Config, DEFAULT_RATE_LIMITS } from '../../config/config.ts';
import { registerErrorHandling } from '../problem.ts';
import { clientIp, enforceRateLimit, ipRateLimitKey, rateLimitHeaders } from './rate-limit.http.ts';
import { createRateLimiter } from './rate-limiter.ts';

/**
 * Over real HTTP: a small app with Vigil's error handler and one route limited per client IP,
 * the way the login route uses it. Shows the 429 a client gets, and which address is counted.
 */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const rules = { ...structuredClone(DEFAULT_RATE_LIMITS), login: { limit: 3, windowSeconds: 60 } } as Config['rateLimit']['rules'];

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function serve(trustProxy: string[] | false) {
  const clock = { ms: T0 };
  const limiter = createRateLimiter(
    { rules, store: 'memory', redisUrl: null },
    { logger: { warn: () => {}, info: () => {} }, now: () => clock.ms },
  );
  const app = Fastify({ trustProxy });
  registerErrorHandling(app);
  app.post('/login', async (request, reply) => {
    const decision = await enforceRateLimit(limiter, 'login', ipRateLimitKey(clientIp(request)));
    rateLimitHeaders(reply, decision, clock.ms);
    return { ok: true };
  });
  app.addHook('onClose', () => limiter.close());
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const post = (headers: Record<string, string> = {}) =>
    fetch(`${base}/login`, { method: 'POST', headers, signal: AbortSignal.timeout(5_000) });
  return { clock, post };
}

describe('rate-limited route over HTTP', () => {
  it('answers 429 problem+json with the right Retry-After once the limit is used up', async () => {
    const { clock, post } = await serve(false);
    for (const remaining of ['2', '1', '0']) {
      const ok = await post();
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-limit')).toBe('3');
      expect(ok.headers.get('ratelimit-remaining')).toBe(remaining);
      expect(ok.headers.get('ratelimit-reset')).toBe('60');
      await ok.arrayBuffer();
    }
    clock.ms = T0 + 15_200; // 44.8 s of the window left
    const refused = await post();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('45');
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({
      type: 'urn:vigil:problem:rate-limited',
      title: 'Too many requests',
      status: 429,
      retryAfter: 45,
      detail: 'try again in 45 s',
    });
    clock.ms = T0 + 60_000;
    expect((await post()).status).toBe(200);
  });

  it('a spoofed X-Forwarded-For from an untrusted peer changes nothing', async () => {
    for (const trustProxy of [false, ['10.0.0.0/8']] as const) {
      const { post } = await serve(trustProxy === false ? false : [...trustProxy]);
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await post({ 'x-forwarded-for': `203.0.113.${i}` })).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    }
  });

  it('behind a configured proxy, the forwarded client counts; IPv6 clients per /64', async () => {
    const { post } = await serve(['127.0.0.1']);
    const status = async (ip: string) => (await post({ 'x-forwarded-for': ip })).status;
    for (let i = 0; i < 3; i++) expect(await status('198.51.100.1')).toBe(200);
    expect(await status('198.51.100.1')).toBe(429);
    expect(await status('198.51.100.2')).toBe(200);
    // One host's /64: rotating the interface id does not buy a fresh limit.
    expect(await status('2001:db8:1:2::1')).toBe(200);
    expect(await status('2001:db8:1:2::ffff')).toBe(200);
    expect(await status('2001:db8:1:2:dead:beef:0:1')).toBe(200);
    expect(await status('2001:db8:1:2:1:2:3:4')).toBe(429);
    expect(await status('2001:db8:1:3::1')).toBe(200);
  });
});

describe('ipRateLimitKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:DB8:0:0:ffff::1', '2001:db8:0:0::/64'],
    ['2001:db8:aaaa:bbbb:cccc::1', '2001:db8:aaaa:bbbb::/64'],
    ['not an address', 'not an address'],
  ])('%s counts as %s', (ip, key) => {
    expect(ipRateLimitKey(ip)).toBe(key);
  });
});
