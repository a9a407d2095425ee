import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories } from '../../../test/helpers/factories.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import { pgError } from '../../db/pg-errors.ts';
import { withSystem } from '../../db/tenant.ts';
import { verifyAuditChains } from '../audit/audit.verify.ts';
import { accountKey } from '../auth/login/login.service.ts';
import { asOwner, call, dumpVigil, type Person, rowsOf, seedPerson, signIn, tracesOf } from './users.test-kit.ts';

/**
 * DELETE /users/me through the real app (real login, sessions, API keys, audit chain) on a real
 * database: afterwards not one table of schema vigil holds the person's email, name, address or
 * user agent, while the audit chain still verifies and still names them by their pseudonym.
 */

let ta: TestApp;
const hex = (n: number) => randomBytes(n).toString('hex');

beforeAll(async () => {
  ta = await createTestApp({ RATE_LIMITS: 'login=1000/min,login_account=1000/hour,public=1000/min' }, { realAuth: true });
});
afterAll(() => ta.close());

/** Everything a working member leaves behind: sessions, audit entries, a key, an invitation, mail. */
async function leaveTraces(victim: Person, owner: Person): Promise<{ accessToken: string; refreshToken: string; apiKeyId: string }> {
  const db = ta.t.database.db;
  const tokens = await signIn(ta, victim);
  await signIn(ta, victim); // a second session
  // A failed login, audited against the account with the address it came from.
  expect(
    (await call(ta, 'POST', '/auth/login', { payload: { email: victim.email, password: 'wrong-password-123' }, as: victim })).statusCode,
  ).toBe(401);
  // An action audited in the tenant scope, with the person's address and browser.
  const key = await call(ta, 'POST', '/api-keys', { token: tokens.accessToken, payload: { name: 'deploys', role: 'VIEWER' }, as: victim });
  expect(key.statusCode, key.body).toBe(201);
  const other = await createFactories(db).org();
  await withSystem(db, async (tx) => {
    for (const orgId of [victim.orgId, other.id]) {
      await tx.execute(sql`INSERT INTO vigil.invitations (org_id, email, role, token_hash, invited_by, expires_at)
        VALUES (${orgId}::uuid, ${victim.email.toUpperCase()}, 'VIEWER', ${hex(32)}, ${owner.userId}::uuid, now() + interval '1 day')`);
    }
    await tx.execute(sql`INSERT INTO vigil.mail_outbox (org_id, to_address, subject, text_body, html_body, purpose)
      VALUES (${victim.orgId}::uuid, ${victim.email}, 'You are invited', 'Join us', '<p>Join us</p>', 'invitation'),
             (${victim.orgId}::uuid, ${owner.email}, 'New member', ${`${victim.displayName} joined`}, null, 'notice'),
             (${victim.orgId}::uuid, ${owner.email}, 'Weekly report', 'All quiet', null, 'report'),
             (NULL, ${victim.email}, 'Reset your password', 'Use this link', null, 'password_reset')`);
    await tx.execute(sql`INSERT INTO vigil.mfa_backup_codes (user_id, code_hash) VALUES (${victim.userId}::uuid, ${hex(32)})`);
    await tx.execute(sql`INSERT INTO vigil.password_resets (user_id, token_hash, expires_at)
      VALUES (${victim.userId}::uuid, ${hex(32)}, now() + interval '1 hour')`);
    await tx.execute(sql`INSERT INTO vigil.webauthn_credentials (user_id, credential_id, public_key, name)
      VALUES (${victim.userId}::uuid, ${hex(16)}, decode('00', 'hex'), ${`${victim.displayName}'s key`})`);
  });
  return { ...tokens, apiKeyId: key.json().id };
}

async function auditAs(owner: Person, token: string) {
  const page = await call(ta, 'GET', '/audit?limit=200', { token, as: owner });
  expect(page.statusCode, page.body).toBe(200);
  return page.json().items as Array<Record<string, unknown>>;
}

describe('DELETE /users/me', () => {
  it('erases the person everywhere; the audit trail keeps their pseudonym, verifies, and records the erasure', async () => {
    const owner = await seedPerson(ta);
    const victim = await seedPerson(ta, { role: 'ADMIN', orgId: owner.orgId });
    const { accessToken, refreshToken, apiKeyId } = await leaveTraces(victim, owner);
    const ownerToken = (await signIn(ta, owner)).accessToken;

    // Before: the dump holds every trace (so the check below can fail), and the owner reads the
    // person's address and browser in the trail, stored sealed rather than in the clear.
    const before = await dumpVigil(ta);
    for (const trace of tracesOf(victim)) expect(before).toContain(trace);
    const [sealed] = await asOwner<{ n: number }>(
      ta,
      'SELECT count(*)::int AS n FROM vigil.audit_log WHERE actor_user_id = $1 AND personal IS NOT NULL AND ip IS NULL',
      [victim.userId],
    );
    expect(sealed?.n).toBeGreaterThanOrEqual(4);
    const trail = (await auditAs(owner, ownerToken)).filter((e) => e.actorUserId === victim.userId);
    expect(trail.map((e) => e.action)).toEqual(expect.arrayContaining(['api_key.created', 'auth.login.failed', 'auth.login.succeeded']));
    for (const entry of trail) expect(entry).toMatchObject({ ip: victim.ip, userAgent: victim.userAgent, personalDataErased: false });

    const erased = await call(ta, 'DELETE', '/users/me', { token: accessToken, payload: { password: victim.password }, as: victim });
    expect(erased.statusCode, erased.body).toBe(204);
    expect(String(erased.headers['set-cookie'])).toMatch(/vigil_refresh=;/);

    // After: no table holds the email, name, address or user agent, nor the email's login hash.
    const after = await dumpVigil(ta);
    for (const trace of [...tracesOf(victim), accountKey(victim.email)]) expect(after).not.toContain(trace);
    expect(await rowsOf(ta, victim.userId)).toEqual({
      user_passwords: 0,
      mfa_totp: 0,
      mfa_backup_codes: 0,
      webauthn_credentials: 0,
      password_resets: 0,
      auth_challenges: 0,
      setup_tokens: 0,
      sessions: 0,
      memberships: 0,
    });
    const [user] = await asOwner(ta, 'SELECT email, display_name, erased_at, disabled_at FROM vigil.users WHERE id = $1', [victim.userId]);
    expect(user).toMatchObject({ email: `erased-${victim.userId}@invalid`, display_name: null });
    expect(user?.erased_at).not.toBeNull();
    expect(user?.disabled_at).not.toBeNull();
    const [key] = await asOwner(ta, 'SELECT revoked_at, created_by::text AS created_by FROM vigil.api_keys WHERE id = $1', [apiKeyId]);
    expect(key?.revoked_at).not.toBeNull();
    expect(key?.created_by).toBe(victim.userId);
    // Mail to or about the person went; the owner's other mail stayed.
    const mail = await asOwner<{ subject: string }>(ta, 'SELECT subject FROM vigil.mail_outbox WHERE to_address = $1', [owner.email]);
    expect(mail.map((m) => m.subject)).toEqual(['Weekly report']);

    // The chain still verifies, and the trail shows the pseudonym with no personal data.
    expect((await verifyAuditChains(ta.t.database.db)).broken).toBeNull();
    const afterTrail = await auditAs(owner, ownerToken);
    const theirs = afterTrail.filter((e) => e.actorUserId === victim.userId);
    expect(theirs.length).toBe(trail.length + 1);
    for (const entry of theirs) expect(entry).toMatchObject({ ip: null, userAgent: null });
    expect(theirs.filter((e) => e.personalDataErased).length).toBe(trail.length);
    expect(theirs[0]).toMatchObject({
      action: 'user.erased',
      actorKind: 'user',
      targetType: 'user',
      targetId: victim.userId,
      details: { by: 'self', role: 'ADMIN' },
      personalDataErased: false,
    });
    const shown = JSON.stringify(afterTrail).toLowerCase();
    for (const trace of tracesOf(victim)) expect(shown).not.toContain(trace);

    // The person is gone: no login, no token, no refresh.
    expect((await call(ta, 'POST', '/auth/login', { payload: { email: victim.email, password: victim.password } })).statusCode).toBe(401);
    expect((await call(ta, 'GET', '/auth/session', { token: accessToken })).statusCode).toBe(401);
    expect((await call(ta, 'POST', '/auth/refresh', { payload: { refreshToken, refreshTokenDelivery: 'body' } })).statusCode).toBe(401);
    const pseudonym = `erased-${victim.userId}@invalid`;
    expect((await call(ta, 'POST', '/auth/login', { payload: { email: pseudonym, password: victim.password } })).statusCode).toBe(401);
    // Nor can any flow bring the pseudonym back: the database refuses it a membership or credentials.
    for (const insert of [
      sql`INSERT INTO vigil.memberships (org_id, user_id, role) VALUES (${owner.orgId}::uuid, ${victim.userId}::uuid, 'VIEWER')`,
      sql`INSERT INTO vigil.user_passwords (user_id, password_hash) VALUES (${victim.userId}::uuid, ${'x'.repeat(40)})`,
    ]) {
      const refused = await withSystem(ta.t.database.db, (tx) => tx.execute(insert)).then(
        () => 'inserted',
        (error: unknown) => pgError(error)?.message,
      );
      expect(refused).toMatch(/was erased/);
    }
  });

  it('refuses the last owner of an organization (409), and lets them go once another owner exists', async () => {
    const owner = await seedPerson(ta);
    const { accessToken } = await signIn(ta, owner);
    const refused = await call(ta, 'DELETE', '/users/me', { token: accessToken, payload: { password: owner.password } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ type: 'urn:vigil:problem:last-owner', organizations: [owner.orgId] });
    expect((await call(ta, 'GET', '/auth/session', { token: accessToken })).statusCode).toBe(200);

    await seedPerson(ta, { role: 'OWNER', orgId: owner.orgId });
    const done = await call(ta, 'DELETE', '/users/me', { token: accessToken, payload: { password: owner.password } });
    expect(done.statusCode, done.body).toBe(204);
  });

  it('lets exactly one of two owners who erase themselves at once go: the organization keeps an owner', async () => {
    const a = await seedPerson(ta);
    const b = await seedPerson(ta, { role: 'OWNER', orgId: a.orgId });
    const [ta1, tb1] = [(await signIn(ta, a)).accessToken, (await signIn(ta, b)).accessToken];
    const results = await Promise.all([
      call(ta, 'DELETE', '/users/me', { token: ta1, payload: { password: a.password } }),
      call(ta, 'DELETE', '/users/me', { token: tb1, payload: { password: b.password } }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([204, 409]);
    const [owners] = await asOwner<{ n: number }>(
      ta,
      "SELECT count(*)::int AS n FROM vigil.memberships WHERE org_id = $1 AND role = 'OWNER'",
      [a.orgId],
    );
    expect(owners?.n).toBe(1);
    expect((await verifyAuditChains(ta.t.database.db)).broken).toBeNull();
  });
});
