import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, expectFailure, type Factories, seedContext } from '../../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/test-database.ts';
import type { Role } from '../../../db/schema.ts';
import { type TenantContext, withSystem, withTenant } from '../../../db/tenant.ts';
import { createAuditService } from '../../audit/audit.service.ts';
import { authenticateToken } from './api-keys.authenticate.ts';
import { createApiKeysService, MAX_KEY_LIFETIME_MS, revokeKeysCreatedBy } from './api-keys.service.ts';

/**
 * The API-key service on a real, migrated database (PGlite, or PostgreSQL under DATABASE_URL),
 * as the RLS-bound app role: who may issue which keys, revocation, agent tokens, and that no
 * secret is ever stored or audited.
 */
let t: TestDatabase;
let f: Factories;
let service: ReturnType<typeof createApiKeysService>;

beforeAll(async () => {
  t = await createTestDatabase();
  f = createFactories(t.database.db);
  service = createApiKeysService({ db: t.database.db });
});
afterAll(() => t?.destroy());

const inOneHour = () => new Date(Date.now() + 3_600_000).toISOString();

async function orgWith(role: Role) {
  const org = await f.org();
  const client = await f.client(org.id);
  const actor = await f.actor(org.id, role, { clientId: client.id });
  return { org, client, ctx: actor.ctx, user: actor.user };
}

/** Every row the database holds about the organization's keys and its audit trail, as text. */
async function storedText(orgId: string): Promise<string> {
  const rowsOf = async (result: Promise<unknown>) => ((await result) as { rows: { row: string }[] }).rows.map((r) => r.row);
  const keys = await withSystem(t.database.db, (tx) =>
    rowsOf(tx.execute(sql`SELECT row_to_json(k)::text AS row FROM vigil.api_keys k WHERE org_id = ${orgId}`)),
  );
  const audit = await withTenant(t.database.db, seedContext(orgId), (tx) =>
    rowsOf(tx.execute(sql`SELECT row_to_json(a)::text AS row FROM vigil.audit_log a WHERE org_id = ${orgId}`)),
  );
  return [...keys, ...audit].join('\n');
}

async function auditActions(ctx: TenantContext) {
  const owner = await f.actor(ctx.orgId, 'OWNER');
  const page = await createAuditService({ db: t.database.db }).list(owner.ctx, { limit: 200 });
  return page.items.map((e) => ({ action: e.action, targetId: e.targetId, details: e.details })).reverse();
}

describe('creating API keys', () => {
  it('issues a key once: the answer carries the token, the database and the audit trail never do', async () => {
    const { org, ctx, user } = await orgWith('ADMIN');
    const issued = await service.create(ctx, { name: 'CI deploys', role: 'ENGINEER', expiresAt: inOneHour() }, { ip: '192.0.2.7' });
    expect(issued).toMatchObject({
      kind: 'api',
      name: 'CI deploys',
      role: 'ENGINEER',
      clientId: null,
      createdBy: user.id,
      revokedAt: null,
    });
    expect(issued.token.startsWith(`${issued.prefix}_`)).toBe(true);

    const stored = await storedText(org.id);
    expect(stored).toContain(issued.prefix);
    const secret = issued.token.slice(issued.prefix.length + 1);
    expect(stored).not.toContain(issued.token);
    expect(stored).not.toContain(secret);
    expect(await auditActions(ctx)).toEqual([
      { action: 'api_key.created', targetId: issued.id, details: expect.objectContaining({ prefix: issued.prefix, role: 'ENGINEER' }) },
    ]);

    const listed = await service.list(ctx);
    expect(listed).toEqual([expect.objectContaining({ id: issued.id, prefix: issued.prefix, lastUsedAt: null })]);
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(listed[0]).not.toHaveProperty('token');
    expect(listed[0]).not.toHaveProperty('secretHash');
  });

  it('binds a client role to a client the creator sees', async () => {
    const { client, ctx } = await orgWith('OWNER');
    const issued = await service.create(ctx, { name: 'portal', role: 'CLIENT_MEMBER', clientId: client.id });
    expect(issued).toMatchObject({ role: 'CLIENT_MEMBER', clientId: client.id, expiresAt: null });
  });

  it.each(['ENGINEER', 'VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER'] as const)('refuses a %s (no apiKey:manage)', async (role) => {
    const { client, ctx } = await orgWith(role);
    await expectFailure(() => service.create(ctx, { name: 'k', role: 'VIEWER' }), 'FORBIDDEN', 403);
    await expectFailure(() => service.create(ctx, { name: 'k', role: 'CLIENT_MEMBER', clientId: client.id }), 'FORBIDDEN', 403);
    await expectFailure(() => service.create(ctx, { name: 'k', role: 'ADMIN' }), 'FORBIDDEN', 403);
    expect(await storedText(ctx.orgId)).toBe('');
  });

  it('lets nobody mint a key above their own rank', async () => {
    const { ctx } = await orgWith('ADMIN');
    await expectFailure(() => service.create(ctx, { name: 'k', role: 'OWNER' }), 'FORBIDDEN', 403);
  });

  it('refuses a key of another organization’s client, or a client role without a client', async () => {
    const { ctx } = await orgWith('OWNER');
    const foreign = await orgWith('OWNER');
    await expectFailure(
      () => service.create(ctx, { name: 'k', role: 'CLIENT_OWNER', clientId: foreign.client.id }),
      'API_KEY_CLIENT_NOT_FOUND',
      404,
    );
    await expectFailure(
      () => service.create(ctx, { name: 'k', role: 'CLIENT_OWNER', clientId: randomUUID() }),
      'API_KEY_CLIENT_NOT_FOUND',
      404,
    );
    await expectFailure(() => service.create(ctx, { name: 'k', role: 'CLIENT_OWNER' }), 'API_KEY_CLIENT_ROLE_MISMATCH', 400);
    await expectFailure(() => service.create(ctx, { name: 'k', role: 'ADMIN', clientId: ctx.orgId }), 'API_KEY_CLIENT_ROLE_MISMATCH', 400);
  });

  it('refuses keys issued by a key (a context without a member)', async () => {
    const org = await f.org();
    const keyCtx: TenantContext = { orgId: org.id, userId: null, role: 'ADMIN', clientIds: 'all' };
    await expectFailure(() => service.create(keyCtx, { name: 'k', role: 'VIEWER' }), 'API_KEY_NEEDS_MEMBER', 403);
  });

  it.each([
    ['in the past', new Date(Date.now() - 1000).toISOString()],
    ['now', 'NOW'],
    ['beyond two years', new Date(Date.now() + MAX_KEY_LIFETIME_MS + 60_000).toISOString()],
  ])('refuses an expiry %s', async (_what, value) => {
    const now = new Date();
    const fixed = createApiKeysService({ db: t.database.db, now: () => now });
    const { ctx } = await orgWith('ADMIN');
    const expiresAt = value === 'NOW' ? now.toISOString() : value;
    await expectFailure(() => fixed.create(ctx, { name: 'k', role: 'VIEWER', expiresAt }), 'API_KEY_INVALID_EXPIRY', 400);
  });

  it.each([
    ['an empty name', { name: '  ', role: 'VIEWER' }],
    ['a 101-character name', { name: 'x'.repeat(101), role: 'VIEWER' }],
    ['a NUL in the name', { name: 'a\u0000b', role: 'VIEWER' }],
    ['an unknown role', { name: 'k', role: 'ROOT' }],
    ['a malformed expiry', { name: 'k', role: 'VIEWER', expiresAt: 'tomorrow' }],
    ['an unknown field', { name: 'k', role: 'VIEWER', secretHash: '0'.repeat(64) }],
  ])('refuses %s', async (_what, input) => {
    const { ctx } = await orgWith('ADMIN');
    await expectFailure(() => service.create(ctx, input as never), 'VALIDATION_FAILED', 400);
  });
});

describe('revoking API keys', () => {
  it('revokes at once, audits once, and answers 404 to unknown ids', async () => {
    const { ctx } = await orgWith('ADMIN');
    const issued = await service.create(ctx, { name: 'k', role: 'VIEWER' });
    expect(await authenticateToken(t.database.db, issued.token)).not.toBeNull();
    await service.revoke(ctx, issued.id);
    expect(await authenticateToken(t.database.db, issued.token)).toBeNull();
    await service.revoke(ctx, issued.id); // again: a no-op, not an error
    const [listed] = await service.list(ctx);
    expect(listed?.revokedAt).toEqual(expect.any(String));
    expect((await auditActions(ctx)).map((e) => e.action)).toEqual(['api_key.created', 'api_key.revoked']);
    await expectFailure(() => service.revoke(ctx, randomUUID()), 'API_KEY_NOT_FOUND', 404);
    await expectFailure(() => service.revoke(ctx, 'not-a-uuid'), 'API_KEY_NOT_FOUND', 404);
  });

  it('answers 404 to another organization, whose key keeps working', async () => {
    const a = await orgWith('OWNER');
    const b = await orgWith('OWNER');
    const issued = await service.create(a.ctx, { name: 'k', role: 'VIEWER' });
    await expectFailure(() => service.revoke(b.ctx, issued.id), 'API_KEY_NOT_FOUND', 404);
    expect(await service.list(b.ctx)).toEqual([]);
    expect(await authenticateToken(t.database.db, issued.token)).toMatchObject({ kind: 'api_key', id: issued.id });
  });

  it('refuses roles without apiKey:manage', async () => {
    const { org, ctx } = await orgWith('ADMIN');
    const issued = await service.create(ctx, { name: 'k', role: 'VIEWER' });
    const engineer = await f.actor(org.id, 'ENGINEER');
    await expectFailure(() => service.revoke(engineer.ctx, issued.id), 'FORBIDDEN', 403);
    await expectFailure(() => service.list(engineer.ctx), 'FORBIDDEN', 403);
  });

  it('revokes the API keys of a removed member, in the caller’s transaction, and not their agent tokens', async () => {
    const { org, ctx, user } = await orgWith('ADMIN');
    const server = await f.asset(org.id, { kind: 'server' });
    const k1 = await service.create(ctx, { name: 'a', role: 'VIEWER' });
    const k2 = await service.create(ctx, { name: 'b', role: 'ENGINEER' });
    const agent = await service.createAgentToken(ctx, server.id);
    const other = await service.create((await f.actor(org.id, 'OWNER')).ctx, { name: 'c', role: 'VIEWER' });
    const ids = await withTenant(t.database.db, seedContext(org.id), (tx) => revokeKeysCreatedBy(tx, seedContext(org.id), user.id));
    expect(ids.sort()).toEqual([k1.id, k2.id].sort());
    expect(await authenticateToken(t.database.db, k1.token)).toBeNull();
    expect(await authenticateToken(t.database.db, agent.token)).not.toBeNull();
    expect(await authenticateToken(t.database.db, other.token)).not.toBeNull();
    const revokedAudit = (await auditActions(ctx)).filter((e) => e.action === 'api_key.revoked');
    expect(revokedAudit).toHaveLength(2);
    expect(revokedAudit[0]?.details).toMatchObject({ reason: 'member_removed' });
  });
});

describe('agent tokens', () => {
  it('issues one for a server the engineer sees, scoped read-only to that server’s client', async () => {
    const { org, client, ctx } = await orgWith('ENGINEER');
    const server = await f.asset(org.id, { kind: 'server', clientId: client.id, name: 'web-1' });
    const issued = await service.createAgentToken(ctx, server.id);
    expect(issued).toMatchObject({ kind: 'agent', role: 'CLIENT_MEMBER', clientId: client.id, assetId: server.id, name: 'Agent on web-1' });
    expect(issued.token.startsWith('vgl_agent_')).toBe(true);
    expect(await storedText(org.id)).not.toContain(issued.token.slice(issued.prefix.length + 1));
    const named = await service.createAgentToken(ctx, server.id, { name: 'rack 4' });
    expect(named.name).toBe('rack 4');
  });

  it('refuses a site, an unknown asset, another organization’s server, and roles without asset:update', async () => {
    const { org, ctx } = await orgWith('ADMIN');
    const site = await f.asset(org.id, { kind: 'site' });
    await expectFailure(() => service.createAgentToken(ctx, site.id), 'AGENT_TOKEN_SERVER_ONLY', 400);
    await expectFailure(() => service.createAgentToken(ctx, randomUUID()), 'AGENT_TOKEN_ASSET_NOT_FOUND', 404);
    await expectFailure(() => service.createAgentToken(ctx, 'x'), 'AGENT_TOKEN_ASSET_NOT_FOUND', 404);
    const foreign = await f.asset((await f.org()).id, { kind: 'server' });
    await expectFailure(() => service.createAgentToken(ctx, foreign.id), 'AGENT_TOKEN_ASSET_NOT_FOUND', 404);
    const server = await f.asset(org.id, { kind: 'server' });
    const viewer = await f.actor(org.id, 'VIEWER');
    await expectFailure(() => service.createAgentToken(viewer.ctx, server.id), 'FORBIDDEN', 403);
    await expectFailure(() => service.createAgentToken(ctx, server.id, { name: 'a\u0000' }), 'VALIDATION_FAILED', 400);
    expect((await service.list(ctx)).filter((k) => k.kind === 'agent')).toEqual([]);
  });

  it('keeps one active token per server: a new one revokes the old at once', async () => {
    const { org, ctx } = await orgWith('ADMIN');
    const server = await f.asset(org.id, { kind: 'server' });
    const first = await service.createAgentToken(ctx, server.id);
    const second = await service.createAgentToken(ctx, server.id);
    expect(await authenticateToken(t.database.db, first.token)).toBeNull();
    expect(await authenticateToken(t.database.db, second.token)).toMatchObject({ kind: 'agent', assetId: server.id });
    expect((await auditActions(ctx)).map((e) => [e.action, e.targetId])).toEqual([
      ['agent_token.created', first.id],
      ['agent_token.revoked', first.id],
      ['agent_token.created', second.id],
    ]);
  });

  it('leaves exactly one active token when requests race', async () => {
    const { org, ctx } = await orgWith('ADMIN');
    const server = await f.asset(org.id, { kind: 'server' });
    const issued = await Promise.all(Array.from({ length: 5 }, () => service.createAgentToken(ctx, server.id)));
    const active = (await service.list(ctx)).filter((k) => k.assetId === server.id && k.revokedAt === null);
    expect(active).toHaveLength(1);
    const working = await Promise.all(issued.map((i) => authenticateToken(t.database.db, i.token)));
    expect(working.filter(Boolean)).toHaveLength(1);
  });
});
