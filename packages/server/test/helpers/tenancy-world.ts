import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { ROLES, type Role } from '../../src/db/schema.ts';
import { login, type Member, seedMember } from './auth-flow.ts';
import { createFactories, isClientRole } from './factories.ts';
import { type IdKind, type OpenApiDocument, operationsOf } from './openapi-requests.ts';
import { SoftwareAuthenticator } from './software-authenticator.ts';
import type { TestApp } from './test-app.ts';

/**
 * Two organizations full of objects, for the tenancy matrix. Organization A has clients A1 and
 * A2, one logged-in member and one API key per role (client roles bound to A1), an agent token,
 * and bystanders (an agency engineer, an owner and a member of A2) with sessions and passkeys.
 * Organization B has one object of every kind the routes name. Objects are made through the
 * API wherever a route exists (clients, assets, keys, agent tokens, passkeys, sessions), so the
 * fixtures look like the product's own. Members are seeded (the API adds them only through an
 * invitation's link); invitations go through `POST /invitations` when it exists (else the row
 * its service writes), and their mail lands in the outbox, as with no SMTP server configured.
 */

export type Pool = Partial<Record<IdKind, string[]>>;

/** Objects a caller must not reach: their ids by kind, and every string that would betray them. */
export class Realm {
  readonly pool: Pool = {};
  readonly markers = new Set<string>();
  add(kind: IdKind, id: string, ...markers: Array<string | null | undefined>): this {
    return this.include(kind, id).mark(id, ...markers);
  }
  /** An id to try that is no marker (a number, say, that any answer may contain). */
  include(kind: IdKind, id: string): this {
    this.pool[kind] = [...(this.pool[kind] ?? []), id];
    return this;
  }
  mark(...markers: Array<string | null | undefined>): this {
    for (const m of markers) if (m) this.markers.add(m.toLowerCase());
    return this;
  }
  /** The markers `body` contains, leaving out what the request itself sent. */
  leakedIn(body: string, sent: string): string[] {
    const text = body.toLowerCase();
    const echoed = sent.toLowerCase();
    return [...this.markers].filter((m) => text.includes(m) && !echoed.includes(m));
  }
}

export interface MatrixActor {
  label: string;
  role: Role;
  clientBound: boolean;
  authorization: string;
}

export interface TenancyWorld {
  orgA: string;
  orgB: string;
  /** A's owner, who made A's objects. */
  owner: { authorization: string; member: Member };
  actors: MatrixActor[];
  /** Organization B, everything it holds. */
  foreignOrg: Realm;
  /** Client A2's objects and A's agency-level ones: out of reach of A1's client roles. */
  otherClient: Realm;
  /** A2's objects alone: what lists must not show A1's client roles. */
  clientA2: Realm;
  /** The bystanders' own sessions and passkeys: no other member's business. */
  otherUser: Realm;
  /** Credentials that once worked: an ended session's access token, a revoked API key. */
  dead: { endedSession: string; revokedKey: string };
}

export function call(ta: TestApp, method: string, url: string, authorization?: string, payload?: unknown): Promise<LightMyRequestResponse> {
  return ta.app.inject({
    method: method as 'GET',
    url,
    headers: { ...(authorization ? { authorization } : {}), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
}

const tag = (what: string) => `${what}-${randomBytes(5).toString('hex')}`;

export async function buildTenancyWorld(ta: TestApp): Promise<TenancyWorld> {
  const f = createFactories(ta.t.database.db);
  const api = async (authorization: string, method: string, url: string, payload?: unknown) => {
    const response = await call(ta, method, `/api/v1${url}`, authorization, payload);
    if (response.statusCode >= 300) throw new Error(`world: ${method} ${url} → ${response.statusCode} ${response.body}`);
    return response.statusCode === 204 ? {} : response.json();
  };
  const session = async (member: Member) => {
    const response = await login(ta, member.email, member.password);
    if (response.statusCode !== 200) throw new Error(`world: login → ${response.statusCode} ${response.body}`);
    const body = response.json();
    return { authorization: `Bearer ${body.accessToken}`, sessionId: body.sessionId as string, refreshToken: body.refreshToken as string };
  };
  const passkey = async (authorization: string) => {
    const authenticator = new SoftwareAuthenticator({ origin: ta.config.publicUrl.origin, rpId: ta.config.auth.webauthnRpId });
    const options = await api(authorization, 'POST', '/auth/passkeys/registration/options', {});
    return api(authorization, 'POST', '/auth/passkeys/registration', { name: tag('passkey'), response: authenticator.register(options) });
  };
  /** A member with a live session and (optionally) a passkey, all recorded in the realms. */
  const bystander = async (realms: Realm[], orgId: string, role: Role, clientId?: string, withPasskey = true) => {
    const member = await seedMember(ta, { role, orgId, ...(clientId ? { clientId } : {}) });
    const s = await session(member);
    const key = withPasskey ? await passkey(s.authorization) : null;
    for (const realm of realms) {
      realm.add('member', member.membershipId).add('user', member.userId, member.email).add('session', s.sessionId);
      if (key) realm.add('passkey', key.id, key.name);
    }
    return { member, ...s };
  };
  const client = async (realm: Realm | null, owner: string) => {
    const c = await api(owner, 'POST', '/clients', { name: tag('client') });
    realm?.add('client', c.id, c.name);
    return c.id as string;
  };
  const assets = async (realm: Realm | null, owner: string, clientId: string | null) => {
    const made: Record<string, string> = {};
    for (const kind of ['server', 'site'] as const) {
      const a = await api(owner, 'POST', '/assets', { kind, name: `${tag(kind)}.example.test`, clientId });
      realm?.add('asset', a.id, a.name);
      made[kind] = a.id;
    }
    const agent = await api(owner, 'POST', `/assets/${made.server}/agent-token`, { name: tag('agent') });
    realm?.add('apiKey', agent.id, agent.name, agent.prefix);
    return made as { server: string; site: string };
  };
  const apiKey = async (realm: Realm | null, owner: string, role: Role, clientId: string | null) => {
    const key = await api(owner, 'POST', '/api-keys', { name: tag('key'), role, clientId });
    realm?.add('apiKey', key.id, key.name, key.prefix);
    return key as { id: string; token: string };
  };
  // Through the API once the invitation routes exist; until then the row the service would write.
  const doc = (await call(ta, 'GET', '/api/v1/openapi.json')).json() as OpenApiDocument;
  const invitationsRoute = operationsOf(doc).some((op) => op.label === 'POST /api/v1/invitations');
  const invitation = async (realm: Realm, owner: string, orgId: string, role: Role, clientId: string | null, invitedBy: string) => {
    const email = `${tag('invitee')}@example.test`;
    if (invitationsRoute) {
      realm.add('invitation', (await api(owner, 'POST', '/invitations', { email, role, clientId })).id, email);
      return;
    }
    const [row] = await asOwner<{ id: string }>(
      ta,
      `INSERT INTO vigil.invitations (org_id, client_id, email, role, token_hash, invited_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + interval '7 days') RETURNING id`,
      [orgId, clientId, email, role, randomBytes(32).toString('hex'), invitedBy],
    );
    if (row) realm.add('invitation', row.id, email);
  };

  /** A finding on each of the realm's assets: no route creates findings, so the row ingest would write. */
  const findings = async (realm: Realm, orgId: string) => {
    for (const assetId of realm.pool.asset ?? []) {
      const vulnId = tag('CVE-probe');
      const [row] = await asOwner<{ id: string }>(
        ta,
        `INSERT INTO vigil.findings (org_id, client_id, asset_id, kind, key, vuln_id, title, severity)
         SELECT org_id, client_id, id, 'package', $2, $2, $2, 'HIGH' FROM vigil.assets WHERE id = $1 AND org_id = $3 RETURNING id::text AS id`,
        [assetId, vulnId, orgId],
      );
      if (row) realm.add('finding', row.id, vulnId);
    }
  };

  const [orgA, orgB] = [await f.org({ name: tag('Org A') }), await f.org({ name: tag('Org B') })];
  const foreignOrg = new Realm().add('organization', orgB.id, orgB.name, orgB.slug);
  const clientA2 = new Realm();
  const agency = new Realm();
  const otherUser = new Realm();

  // Organization B: one of everything, made by its owner.
  const ownerB = await seedMember(ta, { role: 'OWNER', orgId: orgB.id });
  foreignOrg.add('member', ownerB.membershipId).add('user', ownerB.userId, ownerB.email);
  const bSession = await session(ownerB);
  const b = bSession.authorization;
  foreignOrg.add('session', bSession.sessionId).add('session', (await session(ownerB)).sessionId);
  const b1 = await client(foreignOrg, b);
  await client(foreignOrg, b);
  await assets(foreignOrg, b, b1);
  await assets(foreignOrg, b, null);
  for (const role of ROLES.filter((r) => r !== 'OWNER')) {
    await bystander([foreignOrg], orgB.id, role, isClientRole(role) ? b1 : undefined, role === 'CLIENT_OWNER');
  }
  const ownerKey = await passkey(b);
  foreignOrg.add('passkey', ownerKey.id, ownerKey.name);
  await apiKey(foreignOrg, b, 'ADMIN', null);
  await apiKey(foreignOrg, b, 'CLIENT_MEMBER', b1);
  await invitation(foreignOrg, b, orgB.id, 'ENGINEER', null, ownerB.userId);
  await invitation(foreignOrg, b, orgB.id, 'CLIENT_MEMBER', b1, ownerB.userId);
  await findings(foreignOrg, orgB.id);
  // The invitations' mail landed in the outbox (no SMTP server here); without them, one message.
  const outbox = 'SELECT id::text, to_address FROM vigil.mail_outbox WHERE org_id = $1';
  if ((await asOwner(ta, outbox, [orgB.id])).length === 0) {
    await asOwner(
      ta,
      "INSERT INTO vigil.mail_outbox (org_id, to_address, subject, text_body, purpose) VALUES ($1, $2, $3, $4, 'invitation')",
      [orgB.id, `${tag('mailto')}@example.test`, tag('subject'), tag('body')],
    );
  }
  for (const m of await asOwner<{ id: string; to_address: string }>(ta, outbox, [orgB.id])) {
    foreignOrg.add('mail', m.id, m.to_address);
  }
  // The audit entries B's actions wrote: their hashes are unique strings that must not travel.
  for (const row of await asOwner<{ id: string; hash: string }>(ta, 'SELECT id::text, hash FROM vigil.audit_log WHERE org_id = $1', [
    orgB.id,
  ])) {
    foreignOrg.include('auditEntry', row.id).mark(row.hash);
  }

  // Organization A: A2's objects and the agency-level ones, out of reach of A1's client roles.
  const ownerA = await seedMember(ta, { role: 'OWNER', orgId: orgA.id });
  const a = (await session(ownerA)).authorization;
  const a1 = await client(null, a);
  const a2 = await client(clientA2, a);
  const a1Assets = await assets(null, a, a1);
  await assets(clientA2, a, a2);
  await assets(agency, a, null);
  await apiKey(clientA2, a, 'CLIENT_MEMBER', a2);
  await apiKey(agency, a, 'VIEWER', null);
  await invitation(clientA2, a, orgA.id, 'CLIENT_OWNER', a2, ownerA.userId);
  await invitation(agency, a, orgA.id, 'VIEWER', null, ownerA.userId);
  await findings(clientA2, orgA.id);
  await findings(agency, orgA.id);
  await bystander([clientA2, otherUser], orgA.id, 'CLIENT_OWNER', a2);
  await bystander([clientA2, otherUser], orgA.id, 'CLIENT_MEMBER', a2, false);
  await bystander([agency, otherUser], orgA.id, 'ENGINEER');
  const otherClient = new Realm();
  merge(otherClient, clientA2);
  merge(otherClient, agency);

  const actors: MatrixActor[] = [];
  for (const role of ROLES) {
    const member =
      role === 'OWNER' ? ownerA : await seedMember(ta, { role, orgId: orgA.id, ...(isClientRole(role) ? { clientId: a1 } : {}) });
    const clientBound = isClientRole(role);
    actors.push({ label: `${role} (JWT)`, role, clientBound, authorization: (await session(member)).authorization });
    const key = await apiKey(null, a, role, clientBound ? a1 : null);
    actors.push({ label: `${role} (API key)`, role, clientBound, authorization: `Bearer ${key.token}` });
  }
  const agent = await api(a, 'POST', `/assets/${a1Assets.server}/agent-token`, {});
  actors.push({ label: 'agent token (A1 server)', role: 'CLIENT_MEMBER', clientBound: true, authorization: `Bearer ${agent.token}` });

  const ended = await session(await seedMember(ta, { role: 'VIEWER', orgId: orgA.id }));
  await call(ta, 'POST', '/api/v1/auth/logout', undefined, { refreshToken: ended.refreshToken });
  const revoked = await apiKey(null, a, 'VIEWER', null);
  await api(a, 'DELETE', `/api-keys/${revoked.id}`);

  return {
    orgA: orgA.id,
    orgB: orgB.id,
    owner: { authorization: a, member: ownerA },
    actors,
    foreignOrg,
    otherClient,
    clientA2,
    otherUser,
    dead: { endedSession: ended.authorization, revokedKey: `Bearer ${revoked.token}` },
  };
}

function merge(into: Realm, from: Realm): void {
  for (const [kind, ids] of Object.entries(from.pool)) for (const id of ids) into.include(kind as IdKind, id);
  for (const m of from.markers) into.markers.add(m);
}

/** SQL as the owner, past row-level security: PostgreSQL's admin session, or PGlite's superuser for a moment. */
export async function asOwner<R>(ta: TestApp, text: string, params: unknown[] = []): Promise<R[]> {
  if (ta.t.admin) return (await ta.t.admin.query(text, params)).rows as R[];
  await ta.t.database.exec('RESET ROLE');
  try {
    return (await ta.t.database.query(text, params)).rows as R[];
  } finally {
    await ta.t.database.exec('SET ROLE vigil_app');
  }
}
