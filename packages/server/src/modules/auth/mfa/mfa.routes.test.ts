import Fastify, { type FastifyBaseLogger, type FastifyInstance, type InjectOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { Secret, TOTP } from 'otpauth';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories, seedContext } from '../../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/test-database.ts';
import { type Actor, registerAuth } from '../../../http/auth.ts';
import { registerJsonOnly } from '../../../http/content-type.ts';
import { registerErrorHandling } from '../../../http/problem.ts';
import { createEphemeralKeyring, createKeyring, type Keyring, PURPOSE_NAMES } from '../../../lib/keys/index.ts';
import { materialFromRaw, randomKid } from '../../../lib/keys/key-material.ts';
import { createAuditService } from '../../audit/audit.service.ts';
import { createMfaModule } from './index.ts';

/**
 * The MFA routes over real HTTP handling (Fastify's inject) and a real database. app.ts does not
 * register them yet, so the test mounts them the way it will: JSON-only bodies, the one
 * problem+json error handler, the auth seam filled by a registry of test actors.
 */
let t: TestDatabase;
let f: Factories;
let app: FastifyInstance;
const actors = new Map<string, Actor>();
const STEP_MS = 30_000;
let clock = 1_800_000_000_000 + STEP_MS / 2;
/** What the process's KeyringSource would hand out now; a test rotates it. */
let currentRing: Keyring = createEphemeralKeyring();
const tick = () => {
  clock += STEP_MS;
};

beforeAll(async () => {
  t = await createTestDatabase();
  f = createFactories(t.database.db);
  const mfa = createMfaModule({
    db: t.database.db,
    keyring: { current: () => currentRing },
    logger: pino({ level: 'silent' }),
    now: () => clock,
  });
  app = Fastify({ loggerInstance: pino({ level: 'silent' }) as FastifyBaseLogger }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerJsonOnly(app);
  registerAuth(app, async (request) => actors.get(request.headers.authorization ?? '') ?? null);
  await app.register(mfa.routes, { prefix: '/api/v1' });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await t?.destroy();
});

async function signIn(kind: Actor['kind'] = 'user', role: 'OWNER' | 'VIEWER' | 'CLIENT_MEMBER' = 'VIEWER') {
  const org = await f.org();
  const member = await f.actor(org.id, role);
  const token = `Bearer test-${actors.size + 1}`;
  // A session that passed its second factor (changing factors needs one once a factor exists).
  actors.set(token, { kind, id: member.user.id, tenant: member.ctx, mfaVerified: true });
  return { org, member, token };
}

function call(token: string | null, method: InjectOptions['method'], url: string, body?: unknown) {
  return app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(token ? { authorization: token } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

/** Enrols through the routes and returns the app (authenticator) that computes the user's codes. */
async function enrol(token: string) {
  const started = await call(token, 'POST', '/auth/mfa/totp');
  expect(started.statusCode, started.body).toBe(201);
  const totp = new TOTP({ secret: Secret.fromBase32(started.json().secret) });
  const confirmed = await call(token, 'POST', '/auth/mfa/totp/confirm', { code: totp.generate({ timestamp: clock }) });
  expect(confirmed.statusCode, confirmed.body).toBe(200);
  tick();
  return { totp, backupCodes: confirmed.json().backupCodes as string[], code: () => totp.generate({ timestamp: clock }) };
}

describe('who may call', () => {
  it.each([
    ['GET', '/auth/mfa', undefined],
    ['POST', '/auth/mfa/totp', undefined],
    ['POST', '/auth/mfa/totp/confirm', { code: '123456' }],
    ['DELETE', '/auth/mfa/totp', { code: '123456' }],
    ['POST', '/auth/mfa/backup-codes', { code: '123456' }],
  ] as const)('%s %s answers 401 without credentials and 403 to an API key or agent', async (method, url, body) => {
    expect((await call(null, method, url, body)).statusCode).toBe(401);
    const apiKey = await call((await signIn('api_key')).token, method, url, body);
    expect(apiKey.statusCode, apiKey.body).toBe(403);
    expect(apiKey.json().type).toBe('urn:vigil:problem:mfa-users-only');
    // Agents are refused by the auth hook already (agent routes only), or else by the service.
    expect((await call((await signIn('agent')).token, method, url, body)).statusCode).toBe(403);
  });
});

describe('the set-up and life of an authenticator', () => {
  it('enrols, confirms, regenerates backup codes, and disables, with an audit entry for each change', async () => {
    const { org, member, token } = await signIn('user', 'CLIENT_MEMBER');
    expect((await call(token, 'GET', '/auth/mfa')).json()).toEqual({
      totpEnabled: false,
      totpEnrolmentPending: false,
      backupCodesRemaining: 0,
    });

    const started = await call(token, 'POST', '/auth/mfa/totp');
    expect(started.statusCode).toBe(201);
    expect(started.headers['cache-control']).toBe('no-store');
    expect(Object.keys(started.json()).sort()).toEqual(['otpauthUri', 'qrCodeDataUrl', 'secret']);
    expect(started.json().otpauthUri).toContain(encodeURIComponent(member.user.email));
    expect((await call(token, 'GET', '/auth/mfa')).json()).toMatchObject({ totpEnabled: false, totpEnrolmentPending: true });

    const totp = new TOTP({ secret: Secret.fromBase32(started.json().secret) });
    const wrong = await call(token, 'POST', '/auth/mfa/totp/confirm', { code: totp.generate({ timestamp: clock + 5 * STEP_MS }) });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ type: 'urn:vigil:problem:mfa-code-invalid', status: 400 });
    expect(wrong.json().detail).toBeUndefined();

    const confirmed = await call(token, 'POST', '/auth/mfa/totp/confirm', { code: totp.generate({ timestamp: clock }) });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.headers['cache-control']).toBe('no-store');
    const firstCodes: string[] = confirmed.json().backupCodes;
    expect(firstCodes).toHaveLength(8);
    expect((await call(token, 'GET', '/auth/mfa')).json()).toEqual({
      totpEnabled: true,
      totpEnrolmentPending: false,
      backupCodesRemaining: 8,
    });
    expect((await call(token, 'POST', '/auth/mfa/totp')).statusCode).toBe(409);

    tick();
    // A backup code cannot mint new backup codes; a current TOTP code can.
    expect((await call(token, 'POST', '/auth/mfa/backup-codes', { code: firstCodes[0] })).statusCode).toBe(400);
    const regenerated = await call(token, 'POST', '/auth/mfa/backup-codes', { code: totp.generate({ timestamp: clock }) });
    expect(regenerated.statusCode).toBe(200);
    const secondCodes: string[] = regenerated.json().backupCodes;
    expect(secondCodes.some((c) => firstCodes.includes(c))).toBe(false);

    // The old backup codes died with the regeneration; a new one turns 2FA off.
    expect((await call(token, 'DELETE', '/auth/mfa/totp', { code: firstCodes[1] })).statusCode).toBe(400);
    const disabled = await call(token, 'DELETE', '/auth/mfa/totp', { code: secondCodes[0] });
    expect(disabled.statusCode, disabled.body).toBe(204);
    expect((await call(token, 'GET', '/auth/mfa')).json()).toEqual({
      totpEnabled: false,
      totpEnrolmentPending: false,
      backupCodesRemaining: 0,
    });

    const audit = await createAuditService({ db: t.database.db }).list(seedContext(org.id), { limit: 20 });
    expect(audit.items.map((e) => [e.action, e.actorUserId, e.targetId, e.clientId, e.details])).toEqual([
      ['auth.mfa.totp_disabled', member.user.id, member.user.id, member.membership.clientId, { method: 'backup_code' }],
      ['auth.mfa.backup_codes_regenerated', member.user.id, member.user.id, member.membership.clientId, null],
      ['auth.mfa.totp_enabled', member.user.id, member.user.id, member.membership.clientId, null],
    ]);
    // Nothing secret went into the audit trail.
    const trail = JSON.stringify(audit.items);
    for (const secret of [started.json().secret, ...firstCodes, ...secondCodes]) expect(trail).not.toContain(secret);
  });

  it('disables with a current TOTP code, and refuses a replayed one, a wrong one and no factor at all', async () => {
    const { token } = await signIn();
    const { code } = await enrol(token);
    const current = code();
    expect((await call(token, 'POST', '/auth/mfa/backup-codes', { code: current })).statusCode).toBe(200);
    // The same code again: accepted once only.
    expect((await call(token, 'DELETE', '/auth/mfa/totp', { code: current })).statusCode).toBe(400);
    tick();
    expect((await call(token, 'DELETE', '/auth/mfa/totp', { code: code() })).statusCode).toBe(204);
    expect((await call(token, 'DELETE', '/auth/mfa/totp', { code: code() })).json().type).toBe('urn:vigil:problem:mfa-not-enabled');
    expect((await call(token, 'POST', '/auth/mfa/backup-codes', { code: code() })).statusCode).toBe(409);
  });

  it("works on the caller's own factor only: another user's codes mean nothing to it", async () => {
    const alice = await signIn();
    const bob = await signIn('user', 'OWNER');
    const aliceApp = await enrol(alice.token);
    const bobApp = await enrol(bob.token);
    // Bob (an owner, even) presents Alice's codes: they are checked against Bob's own secret.
    expect((await call(bob.token, 'DELETE', '/auth/mfa/totp', { code: aliceApp.code() })).statusCode).toBe(400);
    expect((await call(bob.token, 'DELETE', '/auth/mfa/totp', { code: aliceApp.backupCodes[0] })).statusCode).toBe(400);
    expect((await call(alice.token, 'GET', '/auth/mfa')).json()).toMatchObject({ totpEnabled: true, backupCodesRemaining: 8 });
    expect((await call(bob.token, 'DELETE', '/auth/mfa/totp', { code: bobApp.code() })).statusCode).toBe(204);
    expect((await call(alice.token, 'GET', '/auth/mfa')).json()).toMatchObject({ totpEnabled: true, backupCodesRemaining: 8 });
  });
});

/** SQL as the table owner (superuser), bypassing RLS: an attacker with write access to the database. */
async function asOwner<R>(text: string, params: unknown[]): Promise<R[]> {
  if (t.admin) return (await t.admin.query(text, params)).rows as R[];
  await t.database.exec('RESET ROLE');
  try {
    return (await t.database.query(text, params)).rows as R[];
  } finally {
    await t.database.exec('SET ROLE vigil_app');
  }
}

const sealedKid = async (userId: string) =>
  (await asOwner<{ kid: string }>("SELECT split_part(secret_sealed, '.', 2) AS kid FROM vigil.mfa_totp WHERE user_id = $1", [userId]))[0]
    ?.kid;

describe('key rotation', () => {
  it('uses the keyring the source holds now: after `keys rotate mfa`, a secret is re-sealed under the new key', async () => {
    const { member, token } = await signIn();
    const { code } = await enrol(token);
    const oldRing = currentRing;
    expect(await sealedKid(member.user.id)).toBe(oldRing.active('mfa').kid);
    const newKid = randomKid();
    currentRing = createKeyring(
      PURPOSE_NAMES.flatMap((purpose) =>
        purpose === 'mfa'
          ? [
              {
                ...materialFromRaw('mfa', newKid, Buffer.alloc(32, 3)),
                purpose,
                status: 'active' as const,
                createdAt: null,
                source: 'file' as const,
              },
              { ...oldRing.active('mfa'), status: 'verify-only' as const },
            ]
          : oldRing.verifying(purpose),
      ),
    );
    try {
      expect((await call(token, 'POST', '/auth/mfa/backup-codes', { code: code() })).statusCode).toBe(200);
      expect(await sealedKid(member.user.id)).toBe(newKid);
      // A new enrolment is sealed under the new key straight away.
      const other = await signIn();
      await enrol(other.token);
      expect(await sealedKid(other.member.user.id)).toBe(newKid);
    } finally {
      currentRing = oldRing;
    }
  });
});

describe('hostile input', () => {
  it("answers a secret copied from another user's row as a wrong code: 400 without detail, never a 500", async () => {
    const victim = await signIn();
    const attacker = await signIn();
    await enrol(victim.token);
    const attackerApp = await enrol(attacker.token);
    await asOwner(
      'UPDATE vigil.mfa_totp SET secret_sealed = (SELECT secret_sealed FROM vigil.mfa_totp WHERE user_id = $1) WHERE user_id = $2',
      [attacker.member.user.id, victim.member.user.id],
    );
    const res = await call(victim.token, 'POST', '/auth/mfa/backup-codes', { code: attackerApp.code() });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      type: 'urn:vigil:problem:mfa-code-invalid',
      title: 'The code is not valid',
      status: 400,
      instance: expect.any(String),
    });
  });

  it.each([
    ['a missing code', {}],
    ['an extra field', { code: '123456', userId: '00000000-0000-4000-8000-000000000000' }],
    ['a number', { code: 123456 }],
    ['an empty code', { code: '' }],
    ['a 10 kB code', { code: '1'.repeat(10_240) }],
  ])('refuses %s with 400 and changes nothing', async (_name, body) => {
    const { token } = await signIn();
    await enrol(token);
    for (const [method, url] of [
      ['POST', '/auth/mfa/totp/confirm'],
      ['DELETE', '/auth/mfa/totp'],
      ['POST', '/auth/mfa/backup-codes'],
    ] as const) {
      const res = await call(token, method, url, body);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
      expect(res.json().type).toBe('urn:vigil:problem:validation-failed');
    }
    expect((await call(token, 'GET', '/auth/mfa')).json()).toMatchObject({ totpEnabled: true, backupCodesRemaining: 8 });
  });

  it.each([['12345'], ['1234567'], ['12a456'], ['١٢٣٤٥٦'], ['１２３４５６']])(
    'answers the malformed code %j like a wrong one',
    async (code) => {
      const { token } = await signIn();
      await enrol(token);
      const res = await call(token, 'DELETE', '/auth/mfa/totp', { code });
      expect(res.statusCode).toBe(400);
      expect(res.json().type).toBe('urn:vigil:problem:mfa-code-invalid');
    },
  );

  it('refuses a body that is not JSON and a query string', async () => {
    const { token } = await signIn();
    const form = await app.inject({
      method: 'DELETE',
      url: '/api/v1/auth/mfa/totp',
      headers: { authorization: token, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'code=123456',
    });
    expect(form.statusCode).toBe(415);
    expect((await call(token, 'GET', '/auth/mfa?userId=someone')).statusCode).toBe(400);
  });
});
