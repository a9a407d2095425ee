import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.ts';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config/config.ts';
import { organizations } from '../db/schema.ts';
import { withTenant } from '../db/tenant.ts';
import { AppError } from '../lib/app-error.ts';

let ta: TestApp;
let auth: string;
const orgId = randomUUID();

beforeAll(async () => {
  ta = await createTestApp();
  const tenant = { orgId, userId: null, role: 'OWNER' as const, clientIds: 'all' as const };
  await withTenant(ta.t.database.db, tenant, (tx) =>
    tx.insert(organizations).values({ id: orgId, name: 'Acme', slug: `acme-${orgId.slice(0, 8)}` }),
  );
  auth = ta.tokenFor({ kind: 'user', id: randomUUID(), tenant });
});
afterAll(() => ta?.close());

function postClients(payload: string | Buffer, headers: Record<string, string> = {}) {
  return ta.app.inject({
    method: 'POST',
    url: '/api/v1/clients',
    headers: { authorization: auth, 'content-type': 'application/json', ...headers },
    payload,
  });
}

function expectProblem(response: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, type: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const body = JSON.parse(response.body);
  expect(body).toMatchObject({ type: `urn:vigil:problem:${type}`, status });
  expect(body.instance).toBe(response.headers['x-request-id']);
  // Nothing internal travels: no stack frames, no SQL, no file paths.
  expect(response.body).not.toMatch(/\bat .*\.ts:\d+|select |insert |vigil\.|node_modules|\/src\//i);
  return body;
}

describe('health', () => {
  it('answers /healthz and /readyz without credentials', async () => {
    expect((await ta.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await ta.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
  });
});

describe('problem details', () => {
  it('answers an unknown route with a 404 problem', async () => {
    expectProblem(await ta.app.inject('/api/v1/nope'), 404, 'not-found');
  });

  it('refuses an API route without credentials with 401 and a challenge', async () => {
    const response = await ta.app.inject('/api/v1/clients');
    expectProblem(response, 401, 'unauthenticated');
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('gives every response its own request id', async () => {
    const a = await ta.app.inject('/healthz');
    const b = await ta.app.inject('/healthz');
    expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('ignores a request id chosen by the client', async () => {
    const response = await ta.app.inject({ url: '/healthz', headers: { 'x-request-id': 'forged\nline' } });
    expect(response.headers['x-request-id']).not.toBe('forged\nline');
  });
});

describe('bad input', () => {
  it('refuses malformed JSON with 400', async () => {
    const body = expectProblem(await postClients('{"name": "x",'), 400, 'malformed-json');
    expect(body.title).toMatch(/not valid JSON/);
  });

  it('refuses an empty JSON body with 400', async () => {
    expectProblem(await postClients(''), 400, 'malformed-json');
  });

  it('refuses wrong types with 400 naming the field', async () => {
    const body = expectProblem(await postClients(JSON.stringify({ name: 42 })), 400, 'validation-failed');
    expect(body.errors).toEqual([expect.objectContaining({ path: 'body.name' })]);
  });

  it('refuses unknown fields instead of ignoring them', async () => {
    const body = expectProblem(await postClients(JSON.stringify({ name: 'ok', isAdmin: true })), 400, 'validation-failed');
    expect(body.detail).toMatch(/isAdmin/);
  });

  it('refuses prototype pollution keys', async () => {
    expectProblem(await postClients('{"name":"x","__proto__":{"polluted":true}}'), 400, 'malformed-json');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a 2 MB body with 413 and writes nothing', async () => {
    const huge = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) });
    expectProblem(await postClients(huge), 413, 'payload-too-large');
    const list = await ta.app.inject({ url: '/api/v1/clients', headers: { authorization: auth } });
    expect(list.json().items).toEqual([]);
  });

  it('refuses invalid path parameters and query strings', async () => {
    expectProblem(await ta.app.inject({ url: '/api/v1/clients/not-a-uuid', headers: { authorization: auth } }), 400, 'validation-failed');
    expectProblem(await ta.app.inject({ url: '/api/v1/assets?kind=laptop', headers: { authorization: auth } }), 400, 'validation-failed');
    expectProblem(await ta.app.inject({ url: '/api/v1/assets?surprise=1', headers: { authorization: auth } }), 400, 'validation-failed');
  });

  it.each([
    'application/json',
    'Application/JSON',
    ' application/json',
    '\tapplication/json',
    'application/json;',
    'application/json; charset=utf-8',
    'APPLICATION/JSON; CHARSET="UTF-8"',
  ])('validates a %j body exactly like application/json', async (contentType) => {
    const bad = await postClients(JSON.stringify({ name: 'x', extra: 1 }), { 'content-type': contentType });
    expectProblem(bad, 400, 'validation-failed');
  });

  it.each([
    'application/json\tx',
    'application/jsonx',
    'application/json, text/plain',
    'application/json; charset=latin1',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'text/json',
  ])('refuses a %j body with 415', async (contentType) => {
    expectProblem(await postClients(JSON.stringify({ name: 'x' }), { 'content-type': contentType }), 415, 'unsupported-media-type');
  });

  it('refuses a body without a content type with 415', async () => {
    const response = await ta.app.inject({
      method: 'POST',
      url: '/api/v1/clients',
      headers: { authorization: auth },
      payload: '{"name":"x"}',
    });
    expectProblem(response, 415, 'unsupported-media-type');
  });

  it('accepts a valid body through all of that', async () => {
    const response = await postClients(JSON.stringify({ name: 'Globex' }), { 'content-type': 'Application/JSON; charset=utf-8' });
    expect(response.statusCode).toBe(201);
    expect(Object.keys(response.json()).sort()).toEqual(['createdAt', 'id', 'name', 'updatedAt']);
  });
});

describe('security headers', () => {
  it('sends a strict policy on pages and API answers', async () => {
    for (const url of ['/', '/api/v1/openapi.json', '/healthz']) {
      const { headers } = await ta.app.inject(url);
      expect(headers['content-security-policy']).toContain("default-src 'self'");
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['content-security-policy']).toContain("object-src 'none'");
      expect(headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(headers['x-frame-options']).toBe('DENY');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['referrer-policy']).toBe('no-referrer');
      expect(headers['strict-transport-security']).toBeUndefined();
    }
    expect((await ta.app.inject({ url: '/api/v1/clients', headers: { authorization: auth } })).headers['cache-control']).toBe('no-store');
  });

  it('adds HSTS when the public URL is https', async () => {
    const app = await buildApp({
      config: loadConfig({ PUBLIC_URL: 'https://vigil.example.com', LOG_LEVEL: 'silent' }),
      database: ta.t.database,
      logger: pino({ level: 'silent' }),
    });
    const { headers } = await app.inject('/healthz');
    expect(headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    await app.close();
  });
});

describe('proxies', () => {
  async function ipSeenWith(trustProxy: string, remoteAddress: string) {
    const app = await buildApp({
      config: loadConfig({ TRUST_PROXY: trustProxy, LOG_LEVEL: 'silent' }),
      database: ta.t.database,
      logger: pino({ level: 'silent' }),
    });
    app.get('/whoami', { config: { public: true } }, async (request) => ({
      ip: request.ip,
      protocol: request.protocol,
      host: request.host,
    }));
    const response = await app.inject({
      url: '/whoami',
      remoteAddress,
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' },
    });
    await app.close();
    return response.json();
  }

  it('ignores X-Forwarded-* from anyone by default', async () => {
    expect(await ipSeenWith('', '10.0.0.5')).toMatchObject({ ip: '10.0.0.5', protocol: 'http' });
  });

  it('believes X-Forwarded-* only from a configured proxy', async () => {
    expect(await ipSeenWith('10.0.0.5', '10.0.0.5')).toMatchObject({ ip: '203.0.113.9', protocol: 'https' });
    expect(await ipSeenWith('10.0.0.5', '10.0.0.6')).toMatchObject({ ip: '10.0.0.6', protocol: 'http' });
    expect(await ipSeenWith('10.0.0.0/24', '10.0.0.77')).toMatchObject({ ip: '203.0.113.9' });
  });
});

describe('OpenAPI', () => {
  it('serves a 3.1 document generated from the route schemas', async () => {
    const response = await ta.app.inject('/api/v1/openapi.json');
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/clients', '/api/v1/assets/{assetId}', '/healthz', '/readyz']));
    const body = doc.paths['/api/v1/clients'].post.requestBody.content['application/json'].schema;
    expect(body).toMatchObject({ type: 'object', additionalProperties: false, required: ['name'] });
    expect(doc.paths['/api/v1/assets'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'agentState',
      'clientId',
      'kind',
    ]);
    expect(doc.paths['/api/v1/clients'].post.responses['201']).toBeDefined();
  });
});

describe('the web placeholder', () => {
  it('is served at / with its stylesheet and no inline script', async () => {
    const page = await ta.app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('Vigil');
    expect(page.body).not.toMatch(/<script|style=/i);
    expect((await ta.app.inject('/assets/placeholder.css')).statusCode).toBe(200);
  });
});

describe('database failure', () => {
  it('answers 500 with only a request id, and /readyz turns 503', async () => {
    const local = await createTestApp();
    const tenant = { orgId: randomUUID(), userId: null, role: 'OWNER' as const, clientIds: 'all' as const };
    const token = local.tokenFor({ kind: 'user', id: randomUUID(), tenant });
    await local.t.database.close();
    const response = await local.app.inject({ url: '/api/v1/clients', headers: { authorization: token } });
    const body = expectProblem(response, 500, 'internal');
    expect(Object.keys(body).sort()).toEqual(['instance', 'status', 'title', 'type']);
    expectProblem(await local.app.inject('/readyz'), 503, 'service-unavailable');
    await local.app.close();
    await local.t.destroy().catch(() => {});
  });
});

describe('error mapping', () => {
  async function appWith(route: (app: Awaited<ReturnType<typeof buildApp>>) => void) {
    const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), database: ta.t.database, logger: pino({ level: 'silent' }) });
    route(app);
    return app;
  }

  it('answers a server-side AppError with its kind only, never its detail', async () => {
    const app = await appWith((a) =>
      a.get('/boom', { config: { public: true } }, async () => {
        throw new AppError('MIGRATION_FAILED', 500, 'A database migration failed', 'SELECT secret FROM vigil.users at db.internal:5432');
      }),
    );
    const response = await app.inject('/boom');
    const body = expectProblem(response, 500, 'migration-failed');
    expect(body.detail).toBeUndefined();
    expect(response.body).not.toContain('db.internal');
    await app.close();
  });

  it('never lets extra fields overwrite the problem’s own', async () => {
    const app = await appWith((a) =>
      a.get('/conflict', { config: { public: true } }, async () => {
        throw new AppError('CONFLICT', 409, 'Conflict', 'x', {
          type: 'https://evil.example',
          status: 200,
          instance: 'forged',
          hint: 'kept',
        });
      }),
    );
    const body = expectProblem(await app.inject('/conflict'), 409, 'conflict');
    expect(body.hint).toBe('kept');
    await app.close();
  });

  it('names framework refusals by their status', async () => {
    expectProblem(await ta.app.inject({ url: `/api/v1/assets/${'a'.repeat(300)}`, headers: { authorization: auth } }), 414, 'uri-too-long');
    const badUrl = await ta.app.inject({ url: '/api/v1/%E0%A4%A' });
    expectProblem(badUrl, 400, 'bad-request');
    // The undecodable URL is not reflected back.
    expect(badUrl.body).not.toContain('%E0');
  });
});
