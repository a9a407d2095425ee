import { AGENT_PATHS } from '@vigil/protocol';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedContext } from '../../../test/helpers/factories.ts';
import { withTenant } from '../../db/tenant.ts';
import { type AgentTestApp, checkIn, createAgentTestApp, userActor } from './agents.test-kit.ts';
import { rows } from './enrollment.repo.ts';

/**
 * Enrollment through the real app: tokens made on the dashboard (engineers and above), exchanged
 * once by `vigil-agent enroll` for a server and its agent token, and every way an exchange must
 * fail (expired, reused, revoked, malformed, raced) without leaving anything behind.
 */
let ta: AgentTestApp;
beforeAll(async () => {
  ta = await createAgentTestApp();
});
afterAll(() => ta?.close());

async function orgWithEngineer() {
  const org = await ta.f.org();
  const client = await ta.f.client(org.id);
  const engineer = await ta.f.actor(org.id, 'ENGINEER');
  return { org, client, engineer, bearer: ta.bearerFor(userActor(engineer.ctx)) };
}

async function createToken(bearer: string, body: Record<string, unknown>) {
  return ta.app.inject({ method: 'POST', url: '/api/v1/enrollment-tokens', headers: { authorization: bearer }, payload: body });
}

function enroll(token: string, hostname = 'web1.example.test') {
  return ta.app.inject({
    method: 'POST',
    url: AGENT_PATHS.enroll,
    payload: { token, hostname, machineId: 'a'.repeat(32), agentVersion: '1.0.0' },
  });
}

const countAssets = (orgId: string) =>
  withTenant(ta.t.database.db, seedContext(orgId), async (tx) =>
    Number((await rows<{ n: string }>(tx, sql`SELECT count(*) AS n FROM vigil.assets`))[0]?.n),
  );

describe('enrollment tokens on the dashboard', () => {
  it('are created by engineers, shown once, listed without secrets, and audited', async () => {
    const { client, bearer, org } = await orgWithEngineer();
    const created = await createToken(bearer, { name: 'rack 4', clientId: client.id, expiresInHours: 2 });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const body = created.json();
    expect(body.token).toMatch(/^vgl_enroll_[A-Za-z0-9]{12}_[A-Za-z0-9]{43}$/);
    expect(body).toMatchObject({ name: 'rack 4', clientId: client.id, state: 'active' });
    expect(new Date(body.expiresAt).getTime() - Date.now()).toBeGreaterThan(7_100_000);
    const listed = await ta.app.inject({ method: 'GET', url: '/api/v1/enrollment-tokens', headers: { authorization: bearer } });
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(body.token.slice(-43));
    expect(listed.body).not.toMatch(/secret|hash/i);
    expect(listed.json().items.map((i: { id: string }) => i.id)).toEqual([body.id]);
    const audit = await withTenant(ta.t.database.db, seedContext(org.id), (tx) =>
      rows<{ action: string; details: string }>(
        tx,
        sql`SELECT action, details::text AS details FROM vigil.audit_log WHERE target_id = ${body.id}`,
      ),
    );
    expect(audit.map((a) => a.action)).toEqual(['enrollment_token.created']);
    expect(audit[0]?.details).not.toContain(body.token);
  });

  it('are refused to viewers and client roles, and refuse an expiry beyond 30 days', async () => {
    const { org, client, bearer } = await orgWithEngineer();
    for (const role of ['VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER'] as const) {
      const actor = await ta.f.actor(org.id, role, { clientId: client.id });
      const response = await createToken(ta.bearerFor(userActor(actor.ctx)), { name: 'x', clientId: client.id });
      expect(response.statusCode, role).toBe(403);
      const list = await ta.app.inject({
        method: 'GET',
        url: '/api/v1/enrollment-tokens',
        headers: { authorization: ta.bearerFor(userActor(actor.ctx)) },
      });
      expect(list.statusCode, role).toBe(403);
    }
    expect((await createToken(bearer, { name: 'x', expiresInHours: 721 })).statusCode).toBe(400);
    expect((await createToken(bearer, { name: 'x', expiresInHours: 0 })).statusCode).toBe(400);
    expect((await createToken(bearer, { name: '' })).statusCode).toBe(400);
    const site = await ta.f.asset(org.id, { kind: 'site' });
    expect((await createToken(bearer, { name: 'x', assetId: site.id })).statusCode).toBe(400);
    expect((await createToken(bearer, { name: 'x', clientId: client.id, assetId: site.id })).statusCode).toBe(400);
    const other = await ta.f.org();
    const foreign = await ta.f.client(other.id);
    expect((await createToken(bearer, { name: 'x', clientId: foreign.id })).statusCode).toBe(404);
  });
});

describe('enroll', () => {
  it('creates the server in the token’s client, issues its agent token, and the agent can check in', async () => {
    const { org, client, bearer } = await orgWithEngineer();
    const token = (await createToken(bearer, { name: 'new box', clientId: client.id })).json().token as string;
    const response = await enroll(token, 'web1.example.test');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.agentToken).toMatch(/^vgl_agent_/);
    expect(body.checkInSeconds).toBe(300);
    expect(body.actionKeys.length).toBeGreaterThanOrEqual(1);
    const [asset] = await withTenant(ta.t.database.db, seedContext(org.id), (tx) =>
      rows<Record<string, unknown>>(tx, sql`SELECT * FROM vigil.assets WHERE id = ${body.assetId}::uuid`),
    );
    expect(asset).toMatchObject({
      kind: 'server',
      name: 'web1.example.test',
      client_id: client.id,
      agent_state: 'enrolled',
      machine_id: 'a'.repeat(32),
    });
    expect(asset?.enrolled_at).not.toBeNull();
    const answer = await checkIn(ta.app, body.agentToken);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ inventoryWanted: true, actionsPending: 0, update: null, nextCheckInSeconds: 300 });
    const listed = await ta.app.inject({ method: 'GET', url: '/api/v1/enrollment-tokens', headers: { authorization: bearer } });
    expect(listed.json().items[0]).toMatchObject({ state: 'used', usedByAssetId: body.assetId });
  });

  it('binds an existing server, replacing its previous agent token', async () => {
    const { org, bearer } = await orgWithEngineer();
    const server = await ta.f.asset(org.id, { kind: 'server', name: 'db1' });
    const first = await enroll((await createToken(bearer, { name: 'a', assetId: server.id })).json().token);
    expect(first.json().assetId).toBe(server.id);
    const second = await enroll((await createToken(bearer, { name: 'b', assetId: server.id })).json().token);
    expect(second.statusCode).toBe(200);
    expect((await checkIn(ta.app, first.json().agentToken)).statusCode).toBe(401);
    expect((await checkIn(ta.app, second.json().agentToken)).statusCode).toBe(200);
    expect(await countAssets(org.id)).toBe(1);
  });

  it('refuses expired, reused, revoked, wrong-secret and malformed tokens with one identical 401', async () => {
    const { org, client, bearer } = await orgWithEngineer();
    const used = (await createToken(bearer, { name: 'u', clientId: client.id })).json().token as string;
    expect((await enroll(used)).statusCode).toBe(200);
    const revoked = (await createToken(bearer, { name: 'r', clientId: client.id })).json();
    const del = await ta.app.inject({
      method: 'DELETE',
      url: `/api/v1/enrollment-tokens/${revoked.id}`,
      headers: { authorization: bearer },
    });
    expect(del.statusCode).toBe(204);
    const expired = (await createToken(bearer, { name: 'e', clientId: client.id, expiresInHours: 1 })).json();
    // The app role may not move expiries (its UPDATE is limited to the use and revocation
    // columns): age the token as the database owner (PostgreSQL's admin connection, or PGlite's
    // superuser for a moment).
    const age = `UPDATE vigil.enrollment_tokens SET expires_at = now() - interval '1 second' WHERE id = '${expired.id}';`;
    if (ta.t.admin) await ta.t.admin.query(age);
    else await ta.t.database.exec(`RESET ROLE; ${age} SET ROLE vigil_app;`);
    const live = (await createToken(bearer, { name: 'l', clientId: client.id })).json().token as string;
    const before = await countAssets(org.id);
    const refused: string[] = [
      used,
      revoked.token,
      expired.token,
      `${live.slice(0, -1)}${live.endsWith('A') ? 'B' : 'A'}`,
      `vgl_enroll_${'x'.repeat(12)}_${'y'.repeat(43)}`,
      `${live}x`,
    ];
    const bodies = new Set<string>();
    for (const token of refused) {
      const response = await enroll(token);
      expect(response.statusCode, token).toBe(401);
      const { instance: _id, ...problem } = response.json();
      bodies.add(JSON.stringify(problem));
    }
    // Nothing in the answer tells used from expired from revoked from never issued.
    expect(bodies.size).toBe(1);
    expect([...bodies][0]).toContain('enrollment-token-invalid');
    for (const bad of [
      {},
      { token: live },
      { token: live.replace('vgl_enroll_', 'vgl_agent_'), hostname: 'x', agentVersion: '1' },
      { token: 42, hostname: 'x', agentVersion: '1' },
      { token: live, hostname: '', agentVersion: '1' },
    ]) {
      expect((await ta.app.inject({ method: 'POST', url: AGENT_PATHS.enroll, payload: bad })).statusCode).toBe(400);
    }
    expect(await countAssets(org.id)).toBe(before);
    expect((await enroll(live)).statusCode).toBe(200);
  });

  it('lets exactly one of 50 concurrent enrollments with one token succeed', async () => {
    const { org, client, bearer } = await orgWithEngineer();
    const token = (await createToken(bearer, { name: 'race', clientId: client.id })).json().token as string;
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => enroll(token, `race-${i}.example.test`)));
    const codes = answers.map((a) => a.statusCode);
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    expect(codes.filter((c) => c === 401)).toHaveLength(49);
    expect(await countAssets(org.id)).toBe(1);
    const tokens = await withTenant(ta.t.database.db, seedContext(org.id), (tx) =>
      rows(tx, sql`SELECT id FROM vigil.api_keys WHERE kind = 'agent' AND revoked_at IS NULL`),
    );
    expect(tokens).toHaveLength(1);
  });

  it('leaves the token unused when anything after its claim fails', async () => {
    const { org, bearer } = await orgWithEngineer();
    const server = await ta.f.asset(org.id, { kind: 'server' });
    const issued = (await createToken(bearer, { name: 'to a server', assetId: server.id })).json();
    // The server became a site after the token was made: the exchange fails after the claim.
    await withTenant(ta.t.database.db, seedContext(org.id), (tx) =>
      tx.execute(sql`UPDATE vigil.assets SET kind = 'site' WHERE id = ${server.id}::uuid`),
    );
    expect((await enroll(issued.token)).statusCode).toBe(401);
    const listed = await ta.app.inject({ method: 'GET', url: '/api/v1/enrollment-tokens', headers: { authorization: bearer } });
    expect(listed.json().items[0]).toMatchObject({ id: issued.id, state: 'active', usedAt: null });
    await withTenant(ta.t.database.db, seedContext(org.id), (tx) =>
      tx.execute(sql`UPDATE vigil.assets SET kind = 'server' WHERE id = ${server.id}::uuid`),
    );
    expect((await enroll(issued.token, 'x'.repeat(253))).statusCode).toBe(200);
  });

  it('names a new server after the host, cut to the 200 characters an asset name may have', async () => {
    const { org, client, bearer } = await orgWithEngineer();
    const token = (await createToken(bearer, { name: 'long', clientId: client.id })).json().token as string;
    const response = await enroll(token, `${'h'.repeat(240)}.test`);
    expect(response.statusCode).toBe(200);
    const [asset] = await withTenant(ta.t.database.db, seedContext(org.id), (tx) =>
      rows<{ name: string; hostname: string }>(
        tx,
        sql`SELECT name, hostname FROM vigil.assets WHERE id = ${response.json().assetId}::uuid`,
      ),
    );
    expect(asset?.name).toHaveLength(200);
    expect(asset?.hostname).toHaveLength(245);
  });
});

describe('the enroll rate limit', () => {
  it('stops an address after its enroll budget, malformed attempts included', async () => {
    const limited = await createAgentTestApp({ RATE_LIMITS: 'public=100000/min,enroll=3/min' });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const response = await limited.app.inject({
          method: 'POST',
          url: AGENT_PATHS.enroll,
          payload: i % 2 ? {} : { token: `vgl_enroll_${'a'.repeat(12)}_${'b'.repeat(43)}`, hostname: 'h', agentVersion: '1' },
        });
        codes.push(response.statusCode);
      }
      expect(codes).toEqual([401, 400, 401, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
