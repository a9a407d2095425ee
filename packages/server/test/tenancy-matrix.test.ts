import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type IdKind,
  idFieldsOf,
  type OpenApiDocument,
  type Operation,
  operationsOf,
  placeholderUrl,
  plainUrl,
  probesFor,
} from './helpers/openapi-requests.ts';
import { asOwner, buildTenancyWorld, call, type Realm, type TenancyWorld } from './helpers/tenancy-world.ts';
import { createTestApp, type TestApp } from './helpers/test-app.ts';

/**
 * Issue 5, "Tenancy": every route in the OpenAPI document, crossed with every role of
 * organization A (each as a logged-in member and as an API key, plus an agent token), and with
 * ids of organization B, of client A2 and A's agency-level objects (for A1's client roles), and
 * of another member's sessions and passkeys, answers 400, 403 or 404 and names nothing it was
 * not sent. The routes come from the document at run time: a new route is in the matrix the
 * moment it is registered, and a new id parameter fails the mapping test until it is mapped.
 */

/**
 * The routes that answer without an access token, each authenticated by something else and
 * tried by its own tests; the matrix leaves them out. A route the auth gate does not guard and
 * that is neither here nor declared `security: []` in the document fails the test below.
 */
const PUBLIC_OPERATIONS: Readonly<Record<string, string>> = {
  'POST /api/v1/auth/login': 'email and password (test/auth/login-sessions.test.ts)',
  'POST /api/v1/auth/login/mfa': 'the login challenge and a second factor (mfa.routes.test.ts)',
  'POST /api/v1/auth/login/mfa/passkey-options': 'the login challenge (passkeys.login.test.ts)',
  'POST /api/v1/auth/refresh': 'the refresh token (test/auth/login-sessions.test.ts)',
  'POST /api/v1/auth/logout': 'the refresh token; ends only that session (test/auth/login-sessions.test.ts)',
  'POST /api/v1/auth/setup': 'the setup link printed by `vigil admin bootstrap`',
  'POST /api/v1/auth/passkeys/login/options': 'nothing yet: a passwordless login starts here (passkeys.login.test.ts)',
  'POST /api/v1/auth/passkeys/login': 'the passkey assertion (passkeys.login.test.ts)',
  'POST /api/v1/auth/password-reset': 'an email address; answers alike for every address (passwords.routes.test.ts)',
  'POST /api/v1/auth/password-reset/complete': 'the emailed reset token (passwords.routes.test.ts)',
  'POST /api/v1/invitations/accept': 'the emailed invitation token (invitations.routes.test.ts)',
};

const ta = await createTestApp(
  { RATE_LIMITS: 'api=100000/min,login=100000/min,login_account=100000/hour,public=100000/min,mfa=100000/min' },
  { realAuth: true },
);
const operations = operationsOf((await call(ta, 'GET', '/api/v1/openapi.json')).json() as OpenApiDocument);
const isPublic = (op: Operation) => op.declaredPublic || op.label in PUBLIC_OPERATIONS;
const guarded = operations.filter((op) => !isPublic(op));
const crossable = guarded.filter((op) => idFieldsOf(op).length > 0);
const lists = guarded.filter((op) => op.method === 'GET' && op.pathParams.length === 0);
const USER_OWNED: readonly IdKind[] = ['session', 'passkey'];
const AGENT_ACTOR = 'agent token (A1 server)';
const isAgentRoute = (op: Operation) => op.path.startsWith('/api/v1/agent/');

let world: TenancyWorld;
let before: Awaited<ReturnType<typeof states>>;
beforeAll(async () => {
  world = await buildTenancyWorld(ta);
  before = await states();
});
afterAll(() => ta.close());

/** B whole; A whole but for the columns the actors' own requests touch. */
async function states() {
  return { b: await snapshotOrg(ta, world.orgB), a: await snapshotOrg(ta, world.orgA, ['last_used_at', 'idle_expires_at']) };
}

const isGate401 = (r: { statusCode: number; body: string }) =>
  r.statusCode === 401 && (JSON.parse(r.body) as { type?: string }).type === 'urn:vigil:problem:unauthenticated';

describe('the OpenAPI document', () => {
  it('lists the routes this matrix was written against, so an empty document cannot pass', () => {
    const labels = operations.map((op) => op.label);
    for (const known of ['GET /api/v1/clients/{clientId}', 'DELETE /api/v1/members/{memberId}', 'DELETE /api/v1/api-keys/{apiKeyId}']) {
      expect(labels).toContain(known);
    }
    expect(crossable.length).toBeGreaterThanOrEqual(13);
  });

  it('maps every id a route takes to a kind of object (a new name must be added to ID_NAMES)', () => {
    const unmapped = operations.flatMap((op) => idFieldsOf(op).flatMap((f) => (f.kind ? [] : [`${op.label}: ${f.where} ${f.name}`])));
    expect(unmapped).toEqual([]);
  });

  it('lets through without credentials exactly the routes declared public', async () => {
    const open: string[] = [];
    for (const op of operations) {
      const response = await call(ta, op.method, placeholderUrl(op), undefined, op.body ? {} : undefined);
      if (!isGate401(response)) open.push(op.label);
    }
    expect(open.sort()).toEqual(
      operations
        .filter(isPublic)
        .map((op) => op.label)
        .sort(),
    );
  });
});

describe('the auth gate', () => {
  it.each(guarded.map((op) => [op.label, op] as const))(
    '%s answers 401 to missing, forged, expired and revoked credentials',
    async (_, op) => {
      const [header, payload] = world.owner.authorization.slice('Bearer '.length).split('.') as [string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const credentials: Record<string, string | undefined> = {
        none: undefined,
        'a malformed bearer': 'Bearer not-a-token',
        'another scheme': `Basic ${Buffer.from(`${world.owner.member.email}:${world.owner.member.password}`).toString('base64')}`,
        'alg none': `Bearer ${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.`,
        'a tampered payload': `Bearer ${header}.${b64({ ...claims, org: world.orgB })}.${world.owner.authorization.split('.')[2]}`,
        'an unknown API key': `Bearer vgl_live_${randomBytes(32).toString('base64url')}`,
        'an ended session': world.dead.endedSession,
        'a revoked API key': world.dead.revokedKey,
      };
      const url = placeholderUrl(op);
      const body = op.body ? {} : undefined;
      const answers: Record<string, number> = {};
      for (const [name, authorization] of Object.entries(credentials)) {
        const response = await call(ta, op.method, url, authorization, body);
        answers[name] = isGate401(response) ? 401 : response.statusCode;
      }
      // A real token past its 15 minutes: the server's clock moves, the token stays.
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(Date.now() + 16 * 60_000);
        answers['an expired token'] = isGate401(await call(ta, op.method, url, world.owner.authorization, body)) ? 401 : 0;
      } finally {
        vi.useRealTimers();
      }
      expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((name) => [name, 401])));
    },
  );
});

describe('lists', () => {
  it.each(lists.map((op) => [op.label, op] as const))('%s shows nothing of B, nor of A2 to A1’s client roles', async (_, op) => {
    const problems: string[] = [];
    for (const actor of world.actors) {
      const response = await call(ta, 'GET', plainUrl(op), actor.authorization);
      const leaked = [
        ...world.foreignOrg.leakedIn(response.body, ''),
        ...(actor.clientBound ? world.clientA2.leakedIn(response.body, '') : []),
      ];
      if (response.statusCode >= 500 || [401, 429].includes(response.statusCode)) problems.push(`${actor.label}: ${response.statusCode}`);
      if (leaked.length) problems.push(`${actor.label}: leaked ${leaked.join(', ')}`);
    }
    expect(problems).toEqual([]);
    // The owner reads every list, so the checks above looked at real answers.
    // Agent routes answer agent tokens only: a person's token, even the owner's, gets 403 there.
    expect((await call(ta, 'GET', plainUrl(op), world.owner.authorization)).statusCode).toBe(isAgentRoute(op) ? 403 : 200);
  });
});

describe('ids from elsewhere', () => {
  it.each(crossable.map((op) => [op.label, op] as const))('%s refuses them with 400, 403 or 404 and names nothing', async (_, op) => {
    const pathKinds = idFieldsOf(op).flatMap((f) => (f.where === 'path' && f.kind ? [f.kind] : []));
    const userOwned = pathKinds.length > 0 && pathKinds.every((k) => USER_OWNED.includes(k));
    // A filter in the query string may answer an empty page; a path or body id may not succeed.
    const queryOnly = op.method === 'GET' && op.pathParams.length === 0;
    const allowed = queryOnly ? [200, 400, 403, 404] : [400, 403, 404];
    const problems: string[] = [];
    const ownerAnswers = new Set<number>();
    let probes = 0;
    for (const actor of world.actors) {
      const realms: Array<[string, Realm]> = [
        ['org B', world.foreignOrg],
        ...(actor.clientBound ? [['client A2 / agency', world.otherClient] as [string, Realm]] : []),
        ...(userOwned ? [['another member', world.otherUser] as [string, Realm]] : []),
      ];
      for (const [source, realm] of realms) {
        for (const probe of probesFor(op, realm.pool)) {
          probes++;
          const response = await call(ta, probe.method, probe.url, actor.authorization, probe.payload);
          const sent = `${probe.url} ${JSON.stringify(probe.payload ?? null)}`;
          const leaked = [...new Set([...realm.leakedIn(response.body, sent), ...world.foreignOrg.leakedIn(response.body, sent)])];
          const what = `${actor.label} with ${source}: ${probe.method} ${probe.url} ${JSON.stringify(probe.payload ?? '')}`;
          if (!allowed.includes(response.statusCode)) problems.push(`${what} → ${response.statusCode} ${response.body.slice(0, 200)}`);
          if (leaked.length) problems.push(`${what} leaked ${leaked.join(', ')}`);
          // On an agent route the agent token stands in for the owner (everyone else gets 403).
          if (actor.label === (isAgentRoute(op) ? AGENT_ACTOR : 'OWNER (JWT)') && source === 'org B') ownerAnswers.add(response.statusCode);
        }
      }
    }
    expect(problems).toEqual([]);
    // Every actor tried at least one of B's ids: a route the generator could not fill fails here.
    expect(probes).toBeGreaterThanOrEqual(world.actors.length);
    // The owner may do anything, so B's ids got past validation to the lookup at least once; only
    // 400s would mean the generated requests were malformed and tested nothing.
    if (!queryOnly) expect([...ownerAnswers]).toContain(404);
  });
});

describe('afterwards', () => {
  it('left organization B, client A2 and A’s agency-level objects as they were, and every actor still signed in', async () => {
    const after = await states();
    expect(after.b).toEqual(before.b);
    expect(after.a).toEqual(before.a);
    for (const actor of world.actors) {
      const response = await call(ta, 'GET', '/api/v1/organization', actor.authorization);
      expect({ actor: actor.label, status: response.statusCode }).toEqual({
        actor: actor.label,
        status: actor.label.startsWith('agent') ? 403 : 200,
      });
    }
  });
});

/**
 * Every row an organization owns, in every table of the `vigil` schema (so tables added later
 * are included): rows with its `org_id`, rows of its members' users (`user_id`) and of its
 * sessions (`session_id`), and its users themselves. `volatile` columns are left out.
 */
async function snapshotOrg(ta: TestApp, orgId: string, volatile: string[] = []): Promise<Record<string, unknown[]>> {
  const columns = await asOwner<{ table_name: string; column_name: string }>(
    ta,
    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'vigil'",
  );
  const byTable = new Map<string, Set<string>>();
  for (const c of columns) byTable.set(c.table_name, new Set([...(byTable.get(c.table_name) ?? []), c.column_name]));
  const members = 'SELECT user_id FROM vigil.memberships WHERE org_id = $1';
  const out: Record<string, unknown[]> = {};
  for (const [table, cols] of [...byTable].sort(([x], [y]) => x.localeCompare(y))) {
    const where =
      table === 'users'
        ? `id IN (${members})`
        : cols.has('org_id')
          ? 'org_id = $1'
          : cols.has('user_id')
            ? `user_id IN (${members})`
            : cols.has('session_id')
              ? 'session_id IN (SELECT id FROM vigil.sessions WHERE org_id = $1)'
              : null;
    if (!where) continue;
    const strip = volatile.map((c) => ` - '${c}'`).join('');
    const [row] = await asOwner<{ rows: unknown[] }>(
      ta,
      `SELECT coalesce(jsonb_agg(r ORDER BY r::text), '[]'::jsonb) AS rows
       FROM (SELECT to_jsonb(t)${strip} AS r FROM vigil.${table} t WHERE ${where}) s`,
      [orgId],
    );
    out[table] = row?.rows ?? [];
  }
  return out;
}
