import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFactories, type Factories, seedContext } from '../../../../test/helpers/factories.ts';
import { withTenant } from '../../../db/tenant.ts';
import { type Actor, registerAuth } from '../../../http/auth.ts';
import { registerJsonOnly } from '../../../http/content-type.ts';
import { frameworkErrorHandler, registerErrorHandling } from '../../../http/problem.ts';
import { passkeysRoutes } from './passkeys.routes.ts';
import { createPasskeyKit, type PasskeyKit } from './passkeys.test-kit.ts';

/**
 * The passkey routes through Fastify with the app's error handler, JSON-only parsing and zod
 * compilers; a registry of test actors stands in for sessions and `completeLogin` for the
 * session module. A real software authenticator drives the ceremonies over HTTP.
 */
let kit: PasskeyKit;
let f: Factories;
let app: FastifyInstance;
const actors = new Map<string, Actor>();
const completed: unknown[] = [];

beforeAll(async () => {
  kit = await createPasskeyKit();
  f = createFactories(kit.db);
  app = Fastify({ logger: false, frameworkErrors: frameworkErrorHandler }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerJsonOnly(app);
  registerAuth(app, async (request) => actors.get(request.headers.authorization ?? '') ?? null);
  const routes = passkeysRoutes({
    db: kit.db,
    service: kit.service,
    completeLogin: async (_request, _reply, input) => {
      completed.push(input);
      return { userId: input.userId, secretField: 'never serialized' };
    },
    loginResponse: z.object({ userId: z.uuid() }),
  });
  await app.register(routes, { prefix: '/api/v1' });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await kit?.t.destroy();
});

async function member(kind: Actor['kind'] = 'user') {
  const org = await f.org();
  const a = await f.actor(org.id, 'ENGINEER');
  const header = `Bearer test-${randomUUID()}`;
  // A session that passed its second factor (changing factors needs one once a factor exists).
  actors.set(header, { kind, id: a.user.id, tenant: a.ctx, mfaVerified: true });
  return { header, userId: a.user.id, orgId: org.id };
}

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, auth?: string, body?: unknown) =>
  app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });

async function auditActions(orgId: string): Promise<{ action: string; target_id: string; actor_user_id: string }[]> {
  return withTenant(kit.db, seedContext(orgId), async (tx) => {
    const result = await tx.execute(sql`SELECT action, target_id, actor_user_id FROM vigil.audit_log WHERE org_id = ${orgId} ORDER BY seq`);
    return (result as unknown as { rows: { action: string; target_id: string; actor_user_id: string }[] }).rows;
  });
}

/** Enrols a software authenticator over HTTP and returns it with the passkey's id. */
async function enrolOverHttp(header: string) {
  const auth = kit.authenticator();
  const options = await call('POST', '/auth/passkeys/registration/options', header, {});
  expect(options.statusCode).toBe(200);
  const created = await call('POST', '/auth/passkeys/registration', header, { name: 'Laptop', response: auth.register(options.json()) });
  expect(created.statusCode).toBe(201);
  return { auth, passkeyId: created.json().id as string };
}

describe('passkey routes', () => {
  it('answers 401 without credentials on the signed-in routes, 403 to API keys and agents', async () => {
    for (const [method, url] of [
      ['GET', '/auth/passkeys'],
      ['POST', '/auth/passkeys/registration/options'],
      ['DELETE', `/auth/passkeys/${randomUUID()}`],
    ] as const) {
      expect((await call(method, url, undefined, method === 'POST' ? {} : undefined)).statusCode).toBe(401);
      for (const kind of ['api_key', 'agent'] as const) {
        expect((await call(method, url, (await member(kind)).header, method === 'POST' ? {} : undefined)).statusCode).toBe(403);
      }
    }
  });

  it('enrols, lists, logs in passwordless, and removes a passkey, auditing in the actor organization', async () => {
    const { header, userId, orgId } = await member();
    const { auth, passkeyId } = await enrolOverHttp(header);
    const list = await call('GET', '/auth/passkeys', header);
    expect(list.json().items).toEqual([expect.objectContaining({ id: passkeyId, name: 'Laptop', lastUsedAt: null })]);
    // An allow-list: neither the credential id nor the public key is ever sent back.
    expect(Object.keys(list.json().items[0]).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'transports']);

    const options = await call('POST', '/auth/passkeys/login/options', undefined, {});
    expect(options.statusCode).toBe(200);
    const login = await call('POST', '/auth/passkeys/login', undefined, { response: auth.assert(options.json().options) });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toEqual({ userId });
    expect(completed.at(-1)).toEqual({ userId, method: 'passkey', mfaVerified: true });

    expect((await call('DELETE', `/auth/passkeys/${passkeyId}`, header)).statusCode).toBe(204);
    expect((await call('GET', '/auth/passkeys', header)).json().items).toEqual([]);
    expect(await auditActions(orgId)).toEqual([
      { action: 'auth.passkey.added', target_id: passkeyId, actor_user_id: userId },
      { action: 'auth.passkey.removed', target_id: passkeyId, actor_user_id: userId },
    ]);
  });

  it("answers 404 for another user's passkey and leaves it in place", async () => {
    const owner = await member();
    const { passkeyId } = await enrolOverHttp(owner.header);
    const intruder = await member();
    expect((await call('DELETE', `/auth/passkeys/${passkeyId}`, intruder.header)).statusCode).toBe(404);
    expect((await call('PATCH', `/auth/passkeys/${passkeyId}`, intruder.header, { name: 'x' })).statusCode).toBe(404);
    expect((await call('GET', '/auth/passkeys', owner.header)).json().items).toHaveLength(1);
  });

  it('answers a refused login with one 401 problem that names no reason, and a refused enrolment with 400', async () => {
    const { header } = await member();
    const { auth } = await enrolOverHttp(header);
    const options = (await call('POST', '/auth/passkeys/login/options', undefined, {})).json().options;
    const forged = await call('POST', '/auth/passkeys/login', undefined, { response: auth.assert(options, { corruptSignature: true }) });
    expect(forged.statusCode).toBe(401);
    expect(forged.json()).toMatchObject({ type: 'urn:vigil:problem:passkey-login-failed' });
    expect(forged.json().detail).toBeUndefined();
    const regOptions = (await call('POST', '/auth/passkeys/registration/options', header, {})).json();
    const wrongOrigin = kit.authenticator({ origin: 'https://evil.example' }).register(regOptions);
    const refused = await call('POST', '/auth/passkeys/registration', header, { name: 'Evil', response: wrongOrigin });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ type: 'urn:vigil:problem:passkey-registration-failed' });
  });
});

describe('hostile bodies', () => {
  const assertion = () => kit.authenticator().assert({ challenge: 'A'.repeat(43) });
  const withResponse = (patch: Record<string, unknown>) => {
    const r = assertion();
    return { response: { ...r, response: { ...r.response, ...patch } } };
  };

  it.each([
    ['no response', () => ({})],
    ['an unknown envelope field', () => ({ ...withResponse({}), admin: true })],
    ['a non-base64url signature', () => withResponse({ signature: 'not base64url!' })],
    ['an empty signature', () => withResponse({ signature: '' })],
    ['an oversized signature', () => withResponse({ signature: 'A'.repeat(1025) })],
    ['oversized client data', () => withResponse({ clientDataJSON: 'A'.repeat(4097) })],
    ['an oversized user handle', () => withResponse({ userHandle: 'A'.repeat(87) })],
    ['a wrong credential type', () => ({ response: { ...assertion(), type: 'password' } })],
    ['a credential id of the wrong type', () => ({ response: { ...assertion(), id: 42 } })],
    ['an oversized credential id', () => ({ response: { ...assertion(), id: 'A'.repeat(1401) } })],
    ['a JSON array', () => []],
  ])('login: %s → 400', async (_name, body) => {
    expect((await call('POST', '/auth/passkeys/login', undefined, body())).statusCode).toBe(400);
  });

  it('the unbent body passes validation (so each 400 above is the bend), and is refused with 401', async () => {
    expect((await call('POST', '/auth/passkeys/login', undefined, withResponse({}))).statusCode).toBe(401);
  });

  it('login: malformed JSON → 400, a body over the route limit → 413, never 500', async () => {
    expect((await call('POST', '/auth/passkeys/login', undefined, '{"response":')).statusCode).toBe(400);
    const huge = withResponse({ signature: 'A'.repeat(70 * 1024) });
    expect((await call('POST', '/auth/passkeys/login', undefined, huge)).statusCode).toBe(413);
    expect((await call('POST', '/auth/passkeys/login/options', undefined, { extra: 1 })).statusCode).toBe(400);
  });

  it.each([
    ['an empty name', ''],
    ['a name with control characters', 'Lap\u0000top'],
    ['a name over 100 characters', 'x'.repeat(101)],
  ])('registration: %s → 400', async (_name, name) => {
    const { header } = await member();
    const options = (await call('POST', '/auth/passkeys/registration/options', header, {})).json();
    const response = kit.authenticator().register(options);
    expect((await call('POST', '/auth/passkeys/registration', header, { name, response })).statusCode).toBe(400);
  });

  it('rejects a malformed passkey id with 400', async () => {
    const { header } = await member();
    expect((await call('DELETE', '/auth/passkeys/not-a-uuid', header)).statusCode).toBe(400);
  });
});
