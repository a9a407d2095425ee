import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories, seedContext } from '../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { PG, pgError } from '../../db/pg-errors.ts';
import { type TenantContext, withSystem, withTenant } from '../../db/tenant.ts';
import { openPersonal, personalDataOwner, sealPersonal } from './audit.personal.ts';
import { type AuditEntryInput, type AuditService, createAuditService, recordAudit } from './audit.service.ts';
import { verifyAuditChains } from './audit.verify.ts';

/**
 * A person's IP address and user agent in the audit log: sealed under their per-organization data
 * key, opened for the organization while the key lives, unreadable once it is destroyed — and a
 * sealed value or a key moved to another person, entry or organization does not open.
 */

const place = { orgId: randomUUID(), seq: 7, userId: randomUUID() };
const fields = { ip: '198.51.100.23', userAgent: 'Probe/1.0' };

describe('sealing', () => {
  it('opens with its own key and place only', () => {
    const key = randomBytes(32);
    const sealed = sealPersonal(key, place, fields);
    expect(sealed).toMatch(new RegExp(`^pd1\\.${place.userId}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]+$`));
    expect(sealed).not.toContain('198.51');
    expect(openPersonal(key, place, sealed)).toEqual(fields);
    expect(openPersonal(randomBytes(32), place, sealed)).toBeNull();
    expect(openPersonal(null, place, sealed)).toBeNull();
    expect(openPersonal(key, { ...place, seq: 8 }, sealed)).toBeNull();
    expect(openPersonal(key, { ...place, orgId: randomUUID() }, sealed)).toBeNull();
    // Another person's id written over the owner: the associated data no longer matches.
    expect(openPersonal(key, place, sealed.replace(place.userId, randomUUID()))).toBeNull();
  });

  it('refuses altered and malformed values without throwing', () => {
    const key = randomBytes(32);
    const sealed = sealPersonal(key, place, fields);
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    for (const bad of [
      `${sealed.slice(0, -2)}${last}${sealed.at(-1)}`,
      'pd1',
      'pd1...',
      `pd2${sealed.slice(3)}`,
      `${sealed}.x`,
      '',
      'pd1.x.y.z',
    ]) {
      expect(openPersonal(key, place, bad), bad).toBeNull();
    }
    expect(openPersonal(randomBytes(16), place, sealed)).toBeNull();
  });

  it('attributes the fields to the actor, else to a targeted user, else to nobody', () => {
    const [a, b] = [randomUUID(), randomUUID()];
    expect(personalDataOwner(a, 'user', b)).toBe(a);
    expect(personalDataOwner(null, 'user', b.toUpperCase())).toBe(b);
    expect(personalDataOwner(null, 'asset', b)).toBeNull();
    expect(personalDataOwner(null, 'user', 'not-a-uuid')).toBeNull();
  });
});

let t: TestDatabase;
let f: Factories;
let service: AuditService;
beforeAll(async () => {
  t = await createTestDatabase();
  f = createFactories(t.database.db);
  service = createAuditService({ db: t.database.db });
});
afterAll(() => t?.destroy());

const db = () => t.database.db;
const record = (ctx: TenantContext, entry: AuditEntryInput) => withTenant(db(), ctx, (tx) => recordAudit(tx, ctx, entry));

async function asOwner(statements: string): Promise<void> {
  if (t.admin) {
    await t.admin.query(statements);
    return;
  }
  await t.database.exec('RESET ROLE');
  try {
    await t.database.exec(statements);
  } finally {
    await t.database.exec('SET ROLE vigil_app');
  }
}

async function view(ctx: TenantContext, seq: number) {
  return (await service.list(ctx, { limit: 200 })).items.find((e) => e.seq === seq);
}

describe('in the database', () => {
  it('a sealed value copied from another person’s entry does not open, and verify names the entry', async () => {
    const org = await f.org();
    const [alice, bob] = [await f.actor(org.id, 'ADMIN'), await f.actor(org.id, 'ADMIN')];
    const a = await record(alice.ctx, { action: 'test.a', ip: '192.0.2.1', userAgent: 'alice-browser' });
    const b = await record(bob.ctx, { action: 'test.b', ip: '192.0.2.2', userAgent: 'bob-browser' });
    expect(await view(alice.ctx, b.seq)).toMatchObject({ ip: '192.0.2.2', userAgent: 'bob-browser' });
    await asOwner(`ALTER TABLE vigil.audit_log DISABLE TRIGGER audit_log_immutable;
      UPDATE vigil.audit_log SET personal = '${a.personal}' WHERE id = ${b.id};
      ALTER TABLE vigil.audit_log ENABLE TRIGGER audit_log_immutable;`);
    expect(await view(alice.ctx, b.seq)).toMatchObject({ ip: null, userAgent: null, personalDataErased: true });
    const broken = (await verifyAuditChains(db())).breaks.find((x) => x.orgId === org.id);
    expect(broken).toMatchObject({ seq: b.seq, id: b.id, reason: expect.stringMatching(/hash mismatch/) });
  });

  it('a data key copied from another person opens nothing of theirs', async () => {
    const org = await f.org();
    const [alice, bob] = [await f.actor(org.id, 'ADMIN'), await f.actor(org.id, 'ADMIN')];
    await record(alice.ctx, { action: 'test.a', ip: '192.0.2.1' });
    const b = await record(bob.ctx, { action: 'test.b', ip: '192.0.2.2' });
    await asOwner(`UPDATE vigil.user_data_keys SET data_key = (SELECT data_key FROM vigil.user_data_keys
      WHERE user_id = '${alice.user.id}' AND org_id = '${org.id}') WHERE user_id = '${bob.user.id}' AND org_id = '${org.id}'`);
    expect(await view(alice.ctx, b.seq)).toMatchObject({ ip: null, personalDataErased: true });
  });

  it('keys are per organization: another organization reads none, and no tenant can destroy one', async () => {
    const [orgA, orgB] = [await f.org(), await f.org()];
    const alice = await f.actor(orgA.id, 'ADMIN');
    await record(alice.ctx, { action: 'test.a', ip: '192.0.2.1' });
    const count = async (ctx: TenantContext) =>
      ((await withTenant(db(), ctx, (tx) => tx.execute(sql`SELECT user_id FROM vigil.user_data_keys`))) as unknown as { rows: unknown[] })
        .rows.length;
    expect(await count(seedContext(orgA.id))).toBe(1);
    expect(await count(seedContext(orgB.id))).toBe(0);
    const destroy = withTenant(db(), alice.ctx, (tx) =>
      tx.execute(sql`UPDATE vigil.user_data_keys SET data_key = NULL, erased_at = now() RETURNING user_id`),
    );
    const outcome = await destroy.then((r) => (r as unknown as { rows: unknown[] }).rows.length).catch((e: unknown) => pgError(e)?.code);
    expect([0, PG.INSUFFICIENT_PRIVILEGE]).toContain(outcome);
    expect(await view(alice.ctx, 1)).toMatchObject({ ip: '192.0.2.1' });
  });

  it('after the key is destroyed, old entries stay unreadable and new ones store no personal data at all', async () => {
    const org = await f.org();
    const alice = await f.actor(org.id, 'ADMIN');
    const old = await record(alice.ctx, { action: 'test.before', ip: '192.0.2.1', userAgent: 'ua' });
    await withSystem(db(), (tx) =>
      tx.execute(sql`UPDATE vigil.user_data_keys SET data_key = NULL, erased_at = now() WHERE user_id = ${alice.user.id}::uuid`),
    );
    const later = await record(alice.ctx, { action: 'test.after', ip: '192.0.2.1', userAgent: 'ua' });
    expect(later).toMatchObject({ ip: null, userAgent: null, personal: null });
    expect(await view(alice.ctx, old.seq)).toMatchObject({ ip: null, userAgent: null, personalDataErased: true });
    expect(await view(alice.ctx, later.seq)).toMatchObject({ ip: null, userAgent: null, personalDataErased: false });
    expect((await verifyAuditChains(db())).breaks.find((x) => x.orgId === org.id)).toBeUndefined();
  });
});
