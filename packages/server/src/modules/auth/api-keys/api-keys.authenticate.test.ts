import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories, seedContext } from '../../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/test-database.ts';
import { apiKeys, assets, memberships, type Role, users } from '../../../db/schema.ts';
import { withSystem, withTenant } from '../../../db/tenant.ts';
import { generateToken } from './api-key-token.ts';
import { authenticateToken } from './api-keys.authenticate.ts';
import { createApiKeysService } from './api-keys.service.ts';

/**
 * Authentication by API key and agent token on a real database: the actor a token stands for,
 * and every way a token must stop working (wrong secret, revoked, expired, its creator gone or
 * demoted, its server gone), tried with hostile input that must return null without throwing.
 */
let t: TestDatabase;
let f: Factories;
let service: ReturnType<typeof createApiKeysService>;
const auth = (token: unknown, now?: Date) => authenticateToken(t.database.db, token, now ? { now } : {});

beforeAll(async () => {
  t = await createTestDatabase();
  f = createFactories(t.database.db);
  service = createApiKeysService({ db: t.database.db });
});
afterAll(() => t?.destroy());

async function keyOf(creatorRole: Role, input: { role: Role; client?: boolean; expiresAt?: string }) {
  const org = await f.org();
  const client = await f.client(org.id);
  const creator = await f.actor(org.id, creatorRole);
  const issued = await service.create(creator.ctx, {
    name: 'test key',
    role: input.role,
    clientId: input.client ? client.id : null,
    expiresAt: input.expiresAt ?? null,
  });
  return { org, client, creator, issued };
}

const row = (id: string) =>
  withSystem(t.database.db, async (tx) => {
    const [r] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id));
    return r;
  });

describe('API keys', () => {
  it('stand for the key: its organization, its role, no user, all clients or its one client', async () => {
    const { org, client, issued } = await keyOf('OWNER', { role: 'ADMIN' });
    expect(await auth(issued.token)).toEqual({
      kind: 'api_key',
      id: issued.id,
      tenant: { orgId: org.id, userId: null, role: 'ADMIN', clientIds: 'all' },
    });
    const bound = await service.create((await f.actor(org.id, 'OWNER')).ctx, { name: 'c', role: 'CLIENT_OWNER', clientId: client.id });
    expect(await auth(bound.token)).toEqual({
      kind: 'api_key',
      id: bound.id,
      tenant: { orgId: org.id, userId: null, role: 'CLIENT_OWNER', clientIds: [client.id] },
    });
  });

  it('refuse a wrong secret under the right prefix', async () => {
    const { issued } = await keyOf('ADMIN', { role: 'VIEWER' });
    const other = generateToken('api').token.slice(-43);
    expect(await auth(`${issued.prefix}_${other}`)).toBeNull();
    const flipped = issued.token.slice(0, -1) + (issued.token.endsWith('a') ? 'b' : 'a');
    expect(await auth(flipped)).toBeNull();
    expect(await auth(issued.token)).not.toBeNull();
  });

  it('refuse a revoked key immediately', async () => {
    const { creator, issued } = await keyOf('ADMIN', { role: 'VIEWER' });
    expect(await auth(issued.token)).not.toBeNull();
    await service.revoke(creator.ctx, issued.id);
    expect(await auth(issued.token)).toBeNull();
  });

  it('refuse an expired key, and accept it up to its expiry', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const { issued } = await keyOf('ADMIN', { role: 'VIEWER', expiresAt: expiresAt.toISOString() });
    expect(await auth(issued.token, new Date(expiresAt.getTime() - 1000))).not.toBeNull();
    expect(await auth(issued.token, expiresAt)).toBeNull();
    expect(await auth(issued.token, new Date(expiresAt.getTime() + 86_400_000))).toBeNull();
  });

  it('die with their creator’s membership, account, or right to issue them', async () => {
    const removed = await keyOf('ADMIN', { role: 'VIEWER' });
    await withTenant(t.database.db, seedContext(removed.org.id), (tx) =>
      tx.delete(memberships).where(eq(memberships.id, removed.creator.membership.id)),
    );
    expect(await auth(removed.issued.token)).toBeNull();

    const disabled = await keyOf('ADMIN', { role: 'VIEWER' });
    await withSystem(t.database.db, (tx) => tx.update(users).set({ disabledAt: new Date() }).where(eq(users.id, disabled.creator.user.id)));
    expect(await auth(disabled.issued.token)).toBeNull();

    // An ADMIN demoted to ENGINEER can issue no key any more; an OWNER made ADMIN no OWNER key.
    const demoted = await keyOf('ADMIN', { role: 'VIEWER' });
    const owned = await keyOf('OWNER', { role: 'OWNER' });
    const keepsAdmin = await keyOf('OWNER', { role: 'ADMIN' });
    for (const [k, role] of [
      [demoted, 'ENGINEER'],
      [owned, 'ADMIN'],
      [keepsAdmin, 'ADMIN'],
    ] as const) {
      await withTenant(t.database.db, seedContext(k.org.id), (tx) =>
        tx.update(memberships).set({ role }).where(eq(memberships.id, k.creator.membership.id)),
      );
    }
    expect(await auth(demoted.issued.token)).toBeNull();
    expect(await auth(owned.issued.token)).toBeNull();
    expect(await auth(keepsAdmin.issued.token)).toMatchObject({ kind: 'api_key', tenant: { role: 'ADMIN' } });
  });

  it('stamp their last use, at most once a minute', async () => {
    const { issued } = await keyOf('ADMIN', { role: 'VIEWER' });
    const t0 = new Date(Date.now() + 1000);
    await auth(issued.token, t0);
    expect((await row(issued.id))?.lastUsedAt?.getTime()).toBe(t0.getTime());
    await auth(issued.token, new Date(t0.getTime() + 30_000));
    expect((await row(issued.id))?.lastUsedAt?.getTime()).toBe(t0.getTime());
    const t1 = new Date(t0.getTime() + 61_000);
    await auth(issued.token, t1);
    expect((await row(issued.id))?.lastUsedAt?.getTime()).toBe(t1.getTime());
    // A refused attempt stamps nothing.
    await auth(`${issued.prefix}_${'A'.repeat(43)}`, new Date(t1.getTime() + 120_000));
    expect((await row(issued.id))?.lastUsedAt?.getTime()).toBe(t1.getTime());
  });
});

describe('hostile bearer values', () => {
  it('return null without throwing', async () => {
    const { issued } = await keyOf('ADMIN', { role: 'ADMIN' });
    const secret = issued.token.slice(issued.prefix.length + 1);
    const values: unknown[] = [
      '',
      'x'.repeat(10_240),
      `${issued.token}${'A'.repeat(10_240)}`,
      'vgl_live_',
      issued.prefix,
      `${issued.prefix}_`,
      `${issued.token}\u0000`,
      `${issued.prefix}_${secret.slice(0, -1)}\u0000`,
      `${issued.prefix}_${secret.slice(0, -1)}é`,
      `${issued.prefix}_${secret.slice(0, -1)}😀`.normalize('NFD'),
      // The same id and secret under the agent tag: the tag is part of the prefix, so no row.
      issued.token.replace('vgl_live_', 'vgl_agent_'),
      issued.token.replace('vgl_live_', 'vgl_test_'),
      issued.token.toUpperCase(),
      ` ${issued.token}`,
      `Bearer ${issued.token}`,
      "vgl_live_aaaaaaaaaaaa_' OR 1=1 --aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      null,
      undefined,
      123,
      { token: issued.token },
    ];
    for (const value of values) expect(await auth(value), JSON.stringify(value)?.slice(0, 80)).toBeNull();
    expect(await auth(issued.token)).not.toBeNull();
  });

  it('answer an unknown prefix like a wrong secret', async () => {
    expect(await auth(generateToken('api').token)).toBeNull();
    expect(await auth(generateToken('agent').token)).toBeNull();
  });
});

describe('agent tokens', () => {
  it('stand for their server, read-only within its scope, and follow it to another client', async () => {
    const org = await f.org();
    const [c1, c2] = [await f.client(org.id), await f.client(org.id)];
    const engineer = await f.actor(org.id, 'ENGINEER');
    const server = await f.asset(org.id, { kind: 'server', clientId: c1.id });
    const issued = await service.createAgentToken(engineer.ctx, server.id);
    expect(await auth(issued.token)).toEqual({
      kind: 'agent',
      id: issued.id,
      assetId: server.id,
      tenant: { orgId: org.id, userId: null, role: 'CLIENT_MEMBER', clientIds: [c1.id] },
    });
    await withTenant(t.database.db, seedContext(org.id), (tx) =>
      tx.update(assets).set({ clientId: c2.id }).where(eq(assets.id, server.id)),
    );
    expect((await auth(issued.token))?.tenant).toMatchObject({ role: 'CLIENT_MEMBER', clientIds: [c2.id] });
    await withTenant(t.database.db, seedContext(org.id), (tx) => tx.update(assets).set({ clientId: null }).where(eq(assets.id, server.id)));
    expect((await auth(issued.token))?.tenant).toMatchObject({ role: 'VIEWER', clientIds: 'all' });
  });

  it('outlive the member who issued them, and die with their server', async () => {
    const org = await f.org();
    const engineer = await f.actor(org.id, 'ENGINEER');
    const server = await f.asset(org.id, { kind: 'server' });
    const issued = await service.createAgentToken(engineer.ctx, server.id);
    await withTenant(t.database.db, seedContext(org.id), (tx) => tx.delete(memberships).where(eq(memberships.id, engineer.membership.id)));
    expect(await auth(issued.token)).toMatchObject({ kind: 'agent' });
    await withTenant(t.database.db, seedContext(org.id), (tx) => tx.delete(assets).where(eq(assets.id, server.id)));
    expect(await auth(issued.token)).toBeNull();
  });

  it('are refused under the live tag, as are forged rows (kind and tag disagreeing, a site)', async () => {
    const org = await f.org();
    const admin = await f.actor(org.id, 'ADMIN');
    const server = await f.asset(org.id, { kind: 'server' });
    const agent = await service.createAgentToken(admin.ctx, server.id);
    expect(await auth(agent.token.replace('vgl_agent_', 'vgl_live_'))).toBeNull();
    // Even a row whose prefix says one kind and whose kind column says the other stays refused.
    const forged = generateToken('api');
    await withTenant(t.database.db, seedContext(org.id), (tx) =>
      tx.execute(sql`INSERT INTO vigil.api_keys (org_id, kind, prefix, secret_hash, name, role, asset_id)
        VALUES (${org.id}, 'agent', ${forged.prefix}, ${forged.secretHash}, 'forged', 'VIEWER', ${server.id})`),
    );
    expect(await auth(forged.token)).toBeNull();
    // And an agent row naming a site (which the service never issues) stands for nothing.
    const site = await f.asset(org.id, { kind: 'site' });
    const onSite = generateToken('agent');
    await withTenant(t.database.db, seedContext(org.id), (tx) =>
      tx.execute(sql`INSERT INTO vigil.api_keys (org_id, kind, prefix, secret_hash, name, role, asset_id)
        VALUES (${org.id}, 'agent', ${onSite.prefix}, ${onSite.secretHash}, 'site', 'VIEWER', ${site.id})`),
    );
    expect(await auth(onSite.token)).toBeNull();
  });
});
