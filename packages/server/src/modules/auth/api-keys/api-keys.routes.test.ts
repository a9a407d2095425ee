import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories } from '../../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/test-database.ts';
import type { Role } from '../../../db/schema.ts';
import { type Actor, actorOf, registerAuth } from '../../../http/auth.ts';
import { registerJsonOnly } from '../../../http/content-type.ts';
import { registerOpenApi } from '../../../http/openapi.ts';
import { frameworkErrorHandler, registerErrorHandling } from '../../../http/problem.ts';
import { createApiKeysModule, looksLikeVigilToken } from './index.ts';

/**
 * The routes through Fastify with the app's error handler, JSON-only parsing and zod compilers,
 * and a chain of authenticators as the app will have it: `Bearer vgl_…` goes to the real API-key
 * authenticator, any other bearer to a registry of test users (standing in for sessions).
 */
let t: TestDatabase;
let f: Factories;
let app: FastifyInstance;
const people = new Map<string, Actor>();

beforeAll(async () => {
  t = await createTestDatabase();
  f = createFactories(t.database.db);
  const module = createApiKeysModule({ db: t.database.db });
  app = Fastify({ logger: false, frameworkErrors: frameworkErrorHandler }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerJsonOnly(app);
  await registerOpenApi(app, { version: 'test', serverUrl: 'http://localhost/' });
  registerAuth(app, async (request) => {
    const header = request.headers.authorization;
    if (looksLikeVigilToken(header)) return module.authenticate(request);
    return people.get(header ?? '') ?? null;
  });
  await app.register(
    async (api) => {
      await api.register(module.routes);
      // What an agent route will look like: open to agent tokens, closed to nothing else.
      api.get('/agent/whoami', { config: { agent: true } }, async (request) => {
        const actor = actorOf(request);
        return { kind: actor.kind, id: actor.id, assetId: actor.assetId ?? null };
      });
      api.get('/whoami', async (request) => ({ kind: actorOf(request).kind, id: actorOf(request).id }));
    },
    { prefix: '/api/v1' },
  );
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await t?.destroy();
});

async function person(orgId: string, role: Role, clientId?: string): Promise<string> {
  const a = await f.actor(orgId, role, clientId ? { clientId } : {});
  const header = `Bearer person-${randomUUID()}`;
  people.set(header, { kind: 'user', id: a.user.id, tenant: a.ctx });
  return header;
}

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, auth?: string, body?: unknown) =>
  app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });

async function scene() {
  const org = await f.org();
  const client = await f.client(org.id);
  const other = await f.client(org.id);
  return { org, client, other, admin: await person(org.id, 'ADMIN') };
}

describe('authentication and validation', () => {
  it('answers 401 without credentials, or with a hostile bearer', async () => {
    const { org } = await scene();
    const server = await f.asset(org.id, { kind: 'server' });
    for (const [method, url] of [
      ['GET', '/api-keys'],
      ['POST', '/api-keys'],
      ['DELETE', `/api-keys/${randomUUID()}`],
      ['POST', `/assets/${server.id}/agent-token`],
    ] as const) {
      expect((await call(method, url)).statusCode).toBe(401);
    }
    for (const header of [
      'Bearer vgl_live_',
      `Bearer vgl_live_${'a'.repeat(10_000)}`,
      'Bearer vgl_agent_\u00e9',
      'vgl_live_x',
      'Bearer ',
    ]) {
      const response = await call('GET', '/api-keys', header);
      expect(response.statusCode, header.slice(0, 30)).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it.each([
    ['an unknown field', { name: 'k', role: 'VIEWER', token: 'mine' }],
    ['a NUL in the name', { name: 'k\u0000', role: 'VIEWER' }],
    ['an unknown role', { name: 'k', role: 'GOD' }],
    ['a malformed client id', { name: 'k', role: 'CLIENT_MEMBER', clientId: 'x' }],
    ['an expiry in the past', { name: 'k', role: 'VIEWER', expiresAt: '2001-01-01T00:00:00Z' }],
  ])('answers 400 to %s', async (_what, body) => {
    const { admin } = await scene();
    expect((await call('POST', '/api-keys', admin, body)).statusCode).toBe(400);
  });

  it('answers 400 to a malformed key id and an unknown query parameter', async () => {
    const { admin } = await scene();
    expect((await call('DELETE', '/api-keys/not-a-uuid', admin)).statusCode).toBe(400);
    expect((await call('GET', '/api-keys?all=1', admin)).statusCode).toBe(400);
  });
});

describe('the OpenAPI document', () => {
  it('describes the routes, and only the creation answers carry a token', () => {
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const responses = (path: string, method: string) => JSON.stringify(doc.paths[path]?.[method]?.responses);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/api-keys', '/api/v1/api-keys/{apiKeyId}', '/api/v1/assets/{assetId}/agent-token']),
    );
    expect(responses('/api/v1/api-keys', 'post')).toContain('"token"');
    expect(responses('/api/v1/assets/{assetId}/agent-token', 'post')).toContain('"token"');
    expect(responses('/api/v1/api-keys', 'get')).not.toContain('"token"');
    expect(responses('/api/v1/api-keys', 'get')).not.toMatch(/hash/i);
  });
});

describe('API keys over HTTP', () => {
  it('shows the token once, with no-store, and the key then authenticates as itself', async () => {
    const { admin } = await scene();
    const created = await call('POST', '/api-keys', admin, { name: 'automation', role: 'ADMIN' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const body = created.json();
    expect(Object.keys(body).sort()).toEqual(
      [
        'assetId',
        'clientId',
        'createdAt',
        'createdBy',
        'expiresAt',
        'id',
        'kind',
        'lastUsedAt',
        'name',
        'prefix',
        'revokedAt',
        'role',
        'token',
      ].sort(),
    );
    const key = `Bearer ${body.token}`;
    expect((await call('GET', '/whoami', key)).json()).toEqual({ kind: 'api_key', id: body.id });

    const listed = await call('GET', '/api-keys', key);
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(body.token);
    expect(listed.json().items).toEqual([expect.objectContaining({ id: body.id, prefix: body.prefix, lastUsedAt: expect.any(String) })]);

    // A key cannot mint keys (it would outlive, and act without, any member).
    expect((await call('POST', '/api-keys', key, { name: 'child', role: 'VIEWER' })).statusCode).toBe(403);
  });

  it('revokes with 204, after which the key answers 401', async () => {
    const { admin } = await scene();
    const body = (await call('POST', '/api-keys', admin, { name: 'k', role: 'VIEWER' })).json();
    expect((await call('GET', '/whoami', `Bearer ${body.token}`)).statusCode).toBe(200);
    expect((await call('DELETE', `/api-keys/${body.id}`, admin)).statusCode).toBe(204);
    expect((await call('DELETE', `/api-keys/${body.id}`, admin)).statusCode).toBe(204);
    expect((await call('GET', '/whoami', `Bearer ${body.token}`)).statusCode).toBe(401);
  });

  it('answers 404 to another organization’s admin, and the key keeps working', async () => {
    const a = await scene();
    const b = await scene();
    const body = (await call('POST', '/api-keys', a.admin, { name: 'k', role: 'VIEWER' })).json();
    expect((await call('DELETE', `/api-keys/${body.id}`, b.admin)).statusCode).toBe(404);
    expect((await call('GET', '/api-keys', b.admin)).json().items).toEqual([]);
    expect((await call('GET', '/whoami', `Bearer ${body.token}`)).statusCode).toBe(200);
  });

  it('refuses a VIEWER, and a CLIENT_OWNER both an ADMIN key and a key for another client', async () => {
    const { org, client, other } = await scene();
    const viewer = await person(org.id, 'VIEWER');
    expect((await call('POST', '/api-keys', viewer, { name: 'k', role: 'VIEWER' })).statusCode).toBe(403);
    const clientOwner = await person(org.id, 'CLIENT_OWNER', client.id);
    expect((await call('POST', '/api-keys', clientOwner, { name: 'k', role: 'ADMIN' })).statusCode).toBe(403);
    expect((await call('POST', '/api-keys', clientOwner, { name: 'k', role: 'CLIENT_MEMBER', clientId: other.id })).statusCode).toBe(403);
    expect((await call('GET', '/api-keys', clientOwner)).statusCode).toBe(403);
  });

  it('refuses an admin a key for another organization’s client with 404', async () => {
    const a = await scene();
    const b = await scene();
    const response = await call('POST', '/api-keys', a.admin, { name: 'k', role: 'CLIENT_MEMBER', clientId: b.client.id });
    expect(response.statusCode).toBe(404);
  });
});

describe('agent tokens over HTTP', () => {
  it('issues one (no body needed) with no-store; it works on agent routes only', async () => {
    const { org } = await scene();
    const engineer = await person(org.id, 'ENGINEER');
    const server = await f.asset(org.id, { kind: 'server' });
    const created = await call('POST', `/assets/${server.id}/agent-token`, engineer);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const body = created.json();
    expect(body).toMatchObject({ kind: 'agent', assetId: server.id, role: 'VIEWER' });
    const agent = `Bearer ${body.token}`;
    expect((await call('GET', '/agent/whoami', agent)).json()).toEqual({ kind: 'agent', id: body.id, assetId: server.id });
    // The agent's read-only tenant must not open the rest of the API to whoever holds the server
    // (registerAuth's rule), and an API key is no agent token either.
    expect((await call('GET', '/whoami', agent)).statusCode).toBe(403);
    expect((await call('GET', '/api-keys', agent)).statusCode).toBe(403);
    const admin = await person(org.id, 'ADMIN');
    const key = (await call('POST', '/api-keys', admin, { name: 'k', role: 'VIEWER' })).json();
    expect((await call('GET', '/agent/whoami', `Bearer ${key.token}`)).statusCode).toBe(403);
  });

  it('revokes the previous token of the server, refuses sites and other organizations’ servers', async () => {
    const { org, admin } = await scene();
    const server = await f.asset(org.id, { kind: 'server' });
    const first = (await call('POST', `/assets/${server.id}/agent-token`, admin, { name: 'rack 1' })).json();
    const second = (await call('POST', `/assets/${server.id}/agent-token`, admin, {})).json();
    expect((await call('GET', '/agent/whoami', `Bearer ${first.token}`)).statusCode).toBe(401);
    expect((await call('GET', '/agent/whoami', `Bearer ${second.token}`)).statusCode).toBe(200);

    const site = await f.asset(org.id, { kind: 'site' });
    expect((await call('POST', `/assets/${site.id}/agent-token`, admin)).statusCode).toBe(400);
    const foreign = await f.asset((await f.org()).id, { kind: 'server' });
    expect((await call('POST', `/assets/${foreign.id}/agent-token`, admin)).statusCode).toBe(404);
    expect((await call('POST', `/assets/${server.id}/agent-token`, await person(org.id, 'VIEWER'))).statusCode).toBe(403);
    expect((await call('POST', `/assets/${server.id}/agent-token`, admin, { name: '' })).statusCode).toBe(400);
  });
});
