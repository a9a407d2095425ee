import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, expectFailure, type Factories, seedContext } from '../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import type { Tx } from '../../db/database.ts';
import { PG, pgError } from '../../db/pg-errors.ts';
import { type TenantContext, withSystem, withTenant } from '../../db/tenant.ts';
import { auditHash, GENESIS_HASH } from './audit.chain.ts';
import { type AuditRow, auditRepo } from './audit.repo.ts';
import { type AuditEntryInput, type AuditService, cleanUserAgent, createAuditService, recordAudit } from './audit.service.ts';
import { type BrokenLink, verifyAuditChains } from './audit.verify.ts';

/**
 * The audit chain on a real, migrated database (PGlite, or PostgreSQL under DATABASE_URL), as
 * the RLS-bound app role. Tampering is done as the owner/superuser, the only one who can.
 */
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

function record(ctx: TenantContext, entry: AuditEntryInput): Promise<AuditRow> {
  return withTenant(db(), ctx, (tx) => recordAudit(tx, ctx, entry));
}

/** Runs SQL as the owner: PostgreSQL's superuser connection, or PGlite's superuser for a moment. */
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

/** Edits or deletes rows with the append-only trigger off, as a superuser could. */
const tamper = (statement: string) =>
  asOwner(`ALTER TABLE vigil.audit_log DISABLE TRIGGER audit_log_immutable;
    ${statement};
    ALTER TABLE vigil.audit_log ENABLE TRIGGER audit_log_immutable;`);

async function breakOf(orgId: string): Promise<BrokenLink | null> {
  return (await verifyAuditChains(db())).breaks.find((b) => b.orgId === orgId) ?? null;
}

/** The entries as stored (what the hash covers), in chain order. */
function chainOf(orgId: string): Promise<AuditRow[]> {
  return withTenant(db(), seedContext(orgId), (tx) => auditRepo.chainPage(tx, orgId, 0, 1000));
}

async function orgWithEntries(n: number) {
  const org = await f.org();
  const ctx = seedContext(org.id);
  const rows: AuditRow[] = [];
  for (let i = 1; i <= n; i++) rows.push(await record(ctx, { action: `test.step_${i}`, details: { i } }));
  return { org, ctx, rows };
}

async function sqlError(call: Promise<unknown>): Promise<string | undefined> {
  return pgError(await call.then(() => null).catch((e: unknown) => e))?.code;
}

describe('the chain', () => {
  it('links three entries from the genesis hash and verifies', async () => {
    const { org, rows } = await orgWithEntries(3);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[0]?.prevHash).toBe(GENESIS_HASH);
    expect(rows[1]?.prevHash).toBe(rows[0]?.hash);
    expect(rows[2]?.prevHash).toBe(rows[1]?.hash);
    for (const row of rows) expect(auditHash(row)).toBe(row.hash);
    // What the database hands back hashes to what was written.
    const stored = await chainOf(org.id);
    expect(stored.map((r) => r.hash)).toEqual(rows.map((r) => r.hash));
    for (const row of stored) expect(auditHash(row)).toBe(row.hash);
    expect(await breakOf(org.id)).toBeNull();
    const result = await verifyAuditChains(db());
    expect(result.entries).toBeGreaterThanOrEqual(3);
  });

  it('keeps one chain per organization, each starting at 1', async () => {
    const a = await orgWithEntries(2);
    const b = await orgWithEntries(1);
    await record(a.ctx, { action: 'test.more' });
    expect((await chainOf(a.org.id)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect((await chainOf(b.org.id)).map((r) => [r.seq, r.prevHash])).toEqual([[1, GENESIS_HASH]]);
    expect(await breakOf(a.org.id)).toBeNull();
    expect(await breakOf(b.org.id)).toBeNull();
  });

  it('round-trips every column exactly: actor, target, client, IP, user agent, before/after', async () => {
    const org = await f.org();
    const client = await f.client(org.id);
    const { ctx, user } = await f.actor(org.id, 'ADMIN');
    const row = await record(ctx, {
      action: 'organization.settings.updated',
      targetType: 'organization',
      targetId: org.id,
      clientId: client.id.toUpperCase(),
      ip: '2001:0DB8:0000::0001',
      userAgent: 'Mozilla/5.0\u0000\u001b[31m evil\ud800',
      before: { slaDays: { critical: 7 }, name: 'x', when: undefined },
      after: { slaDays: { critical: 3 }, big: 1e21, tiny: 5e-324, text: 'ü\u2028' },
      details: { nested: [1, null, { b: 2, a: 1 }] },
    });
    // A person's IP address and user agent are stored sealed (erasable), the columns left empty.
    expect(row).toMatchObject({ actorKind: 'user', actorUserId: user.id, clientId: client.id, ip: null, userAgent: null });
    expect(row.personal).toMatch(new RegExp(`^pd1\\.${user.id}\\.`));
    const [stored] = (await chainOf(org.id)).filter((r) => r.seq === row.seq);
    expect(stored).toMatchObject({ hash: row.hash, personal: row.personal, before: { slaDays: { critical: 7 }, name: 'x' } });
    expect(stored?.occurredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // The organization's owners read them back opened, in PostgreSQL's forms.
    const [view] = (await service.list(ctx, { limit: 1 })).items;
    expect(view).toMatchObject({ seq: row.seq, ip: '2001:db8::1', userAgent: 'Mozilla/5.0[31m evil\ufffd', personalDataErased: false });
    expect(await breakOf(org.id)).toBeNull();
  });

  it('stores the IP address of an entry without a person in the clear, as before', async () => {
    const org = await f.org();
    const row = await record(seedContext(org.id), { action: 'test.system', ip: '192.0.2.9', userAgent: 'cron/1' });
    expect(row).toMatchObject({ actorKind: 'system', ip: '192.0.2.9', userAgent: 'cron/1', personal: null });
    expect(await breakOf(org.id)).toBeNull();
  });

  it('caps the user agent at 512 characters without splitting a character', () => {
    expect([...(cleanUserAgent('😀'.repeat(600)) ?? '')].length).toBe(512);
    expect(cleanUserAgent('\u0001\u0002')).toBeNull();
  });

  it('appends in the system scope, naming the organization', async () => {
    const org = await f.org();
    const row = await withSystem(db(), (tx) => recordAudit(tx, { system: true, orgId: org.id }, { action: 'auth.login.failed' }));
    expect(row).toMatchObject({ seq: 1, actorKind: 'system', actorUserId: null });
    expect(await breakOf(org.id)).toBeNull();
  });

  it('lets a client-bound context append after entries it cannot see, without breaking the chain', async () => {
    const { org } = await orgWithEntries(2);
    const { ctx } = await f.actor(org.id, 'CLIENT_MEMBER');
    const row = await record(ctx, { action: 'auth.login.succeeded' });
    expect(row).toMatchObject({ seq: 3, clientId: (ctx.clientIds as string[])[0] });
    expect(await breakOf(org.id)).toBeNull();
  });

  it('produces one unbroken chain from 20 concurrent appends to one organization', async () => {
    const org = await f.org();
    const ctx = seedContext(org.id);
    await Promise.all(Array.from({ length: 20 }, (_, i) => record(ctx, { action: 'test.concurrent', details: { i } })));
    const chain = await chainOf(org.id);
    expect(chain.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(chain.map((r) => (r.details as { i: number }).i)).size).toBe(20);
    expect(await breakOf(org.id)).toBeNull();
  });

  it('refuses, in the database, an entry that does not extend the chain (a writer that skipped the lock)', async () => {
    const { org, ctx, rows } = await orgWithEntries(2);
    const insert = (seq: number, prevHash: string) =>
      withTenant(db(), ctx, (tx) =>
        tx.execute(sql`INSERT INTO vigil.audit_log (org_id, seq, occurred_at, actor_kind, action, prev_hash, hash)
          VALUES (${org.id}, ${seq}, now(), 'system', 'test.forged', ${prevHash}, ${'f'.repeat(64)})`),
      );
    // A fork at seq 2, a gap at seq 4, and seq 3 with the wrong previous hash.
    for (const [seq, prev] of [
      [2, rows[0]?.hash],
      [4, rows[1]?.hash],
      [3, GENESIS_HASH],
    ] as const) {
      const code = await sqlError(insert(seq, prev ?? ''));
      expect(code === '23000' || code === PG.UNIQUE_VIOLATION, `seq ${seq}: ${code}`).toBe(true);
    }
    expect((await chainOf(org.id)).map((r) => r.seq)).toEqual([1, 2]);
    expect(await breakOf(org.id)).toBeNull();
  });
});

describe('append-only', () => {
  it('gives the app role no UPDATE, DELETE or TRUNCATE on entries, nor any write on heads', async () => {
    const { org, ctx } = await orgWithEntries(1);
    const attempts: Array<(tx: Tx) => Promise<unknown>> = [
      (tx) => tx.execute(sql`UPDATE vigil.audit_log SET action = 'test.rewritten'`),
      (tx) => tx.execute(sql`DELETE FROM vigil.audit_log`),
      (tx) => tx.execute(sql`TRUNCATE vigil.audit_log`),
      (tx) => tx.execute(sql`UPDATE vigil.audit_heads SET seq = 1`),
      (tx) => tx.execute(sql`DELETE FROM vigil.audit_heads`),
      (tx) => tx.execute(sql`INSERT INTO vigil.audit_heads (org_id, seq, hash) VALUES (${randomUUID()}, 1, ${GENESIS_HASH})`),
    ];
    for (const attempt of attempts) {
      expect(await sqlError(withTenant(db(), ctx, attempt))).toBe(PG.INSUFFICIENT_PRIVILEGE);
      expect(await sqlError(withSystem(db(), attempt))).toBe(PG.INSUFFICIENT_PRIVILEGE);
    }
    expect((await chainOf(org.id)).map((r) => r.action)).toEqual(['test.step_1']);
  });

  it('refuses UPDATE, DELETE and TRUNCATE even to the owner while the trigger stands', async () => {
    const { org, rows } = await orgWithEntries(1);
    const id = rows[0]?.id;
    for (const statement of [
      `UPDATE vigil.audit_log SET action = 'test.rewritten' WHERE id = ${id}`,
      `DELETE FROM vigil.audit_log WHERE id = ${id}`,
      'TRUNCATE vigil.audit_log',
      `UPDATE vigil.audit_heads SET seq = 7 WHERE org_id = '${org.id}'`,
      `DELETE FROM vigil.audit_heads WHERE org_id = '${org.id}'`,
    ]) {
      await expect(asOwner(statement), statement).rejects.toThrow(/append-only|only moves forward/);
    }
    expect(await breakOf(org.id)).toBeNull();
  });

  it('keeps an organization with an audit trail from being deleted (the trail would go with it)', async () => {
    const { org, ctx } = await orgWithEntries(1);
    const code = await sqlError(withTenant(db(), ctx, (tx) => tx.execute(sql`DELETE FROM vigil.organizations`)));
    expect([PG.FOREIGN_KEY_VIOLATION, PG.RESTRICT_VIOLATION]).toContain(code);
    expect(await chainOf(org.id)).toHaveLength(1);
  });
});

describe('vigil audit verify names the row a superuser tampered with', () => {
  it('an edited entry: hash mismatch at that entry', async () => {
    const { org, rows } = await orgWithEntries(3);
    await tamper(`UPDATE vigil.audit_log SET action = 'test.innocent' WHERE id = ${rows[1]?.id}`);
    expect(await breakOf(org.id)).toEqual({ orgId: org.id, seq: 2, id: rows[1]?.id, reason: expect.stringMatching(/hash mismatch/) });
  });

  it('an edited entry whose hash was recomputed: the next entry’s previous hash no longer matches', async () => {
    const { org, rows } = await orgWithEntries(3);
    const row = rows[0] as AuditRow;
    const forged = { ...row, action: 'test.innocent' };
    await tamper(`UPDATE vigil.audit_log SET action = 'test.innocent', hash = '${auditHash(forged)}' WHERE id = ${row.id}`);
    expect(await breakOf(org.id)).toMatchObject({ seq: 2, id: rows[1]?.id, reason: expect.stringMatching(/previous hash/) });
  });

  it('an edited timestamp, IP or before/after value: hash mismatch', async () => {
    for (const change of [
      "occurred_at = occurred_at + interval '1 microsecond'",
      "ip = '198.51.100.7'",
      `details = '{"i": 2}'::jsonb`,
      "actor_kind = 'agent'",
    ]) {
      const { org, rows } = await orgWithEntries(2);
      await tamper(`UPDATE vigil.audit_log SET ${change} WHERE id = ${rows[0]?.id}`);
      expect(await breakOf(org.id), change).toMatchObject({ seq: 1, id: rows[0]?.id, reason: expect.stringMatching(/hash mismatch/) });
    }
  });

  it('a deleted middle entry: the next entry, which follows a gap', async () => {
    const { org, rows } = await orgWithEntries(4);
    await tamper(`DELETE FROM vigil.audit_log WHERE id = ${rows[1]?.id}`);
    expect(await breakOf(org.id)).toEqual({
      orgId: org.id,
      seq: 3,
      id: rows[2]?.id,
      reason: expect.stringMatching(/entry 2 missing/),
    });
  });

  it('a deleted middle entry with the later ones renumbered: the previous hash does not match', async () => {
    const { org, rows } = await orgWithEntries(3);
    await tamper(`DELETE FROM vigil.audit_log WHERE id = ${rows[1]?.id};
      UPDATE vigil.audit_log SET seq = 2 WHERE id = ${rows[2]?.id}`);
    expect(await breakOf(org.id)).toMatchObject({ seq: 2, id: rows[2]?.id, reason: expect.stringMatching(/previous hash/) });
  });

  it('the first entry deleted: the chain starts late', async () => {
    const { org, rows } = await orgWithEntries(2);
    await tamper(`DELETE FROM vigil.audit_log WHERE id = ${rows[0]?.id}`);
    expect(await breakOf(org.id)).toMatchObject({ seq: 2, id: rows[1]?.id, reason: expect.stringMatching(/entry 1 missing/) });
  });

  it('the newest entries deleted: the head points past the end', async () => {
    const { org, rows } = await orgWithEntries(4);
    await tamper(`DELETE FROM vigil.audit_log WHERE id IN (${rows[2]?.id}, ${rows[3]?.id})`);
    expect(await breakOf(org.id)).toEqual({ orgId: org.id, seq: 3, id: null, reason: expect.stringMatching(/entries 3–4 missing/) });
  });

  it('every entry deleted: still reported from the head', async () => {
    const { org } = await orgWithEntries(2);
    await tamper(`DELETE FROM vigil.audit_log WHERE org_id = '${org.id}'`);
    expect(await breakOf(org.id)).toMatchObject({ seq: 1, id: null, reason: expect.stringMatching(/entries 1–2 missing/) });
  });

  it('an entry moved to another organization: missing from its own chain', async () => {
    const a = await orgWithEntries(2);
    const b = await orgWithEntries(2);
    await tamper(`UPDATE vigil.audit_log SET org_id = '${b.org.id}', seq = 3 WHERE id = ${a.rows[1]?.id}`);
    expect(await breakOf(a.org.id)).toMatchObject({ seq: 2, id: null, reason: expect.stringMatching(/entry 2 missing/) });
    expect(await breakOf(b.org.id)).toMatchObject({ seq: 3, id: a.rows[1]?.id });
  });
});

describe('tenant isolation and listing', () => {
  it('shows organization B none of A’s entries, even without any filter', async () => {
    const a = await orgWithEntries(2);
    const b = await orgWithEntries(1);
    expect((await service.list(b.ctx)).items.map((e) => e.action)).toEqual(['test.step_1']);
    const raw = await withTenant(db(), b.ctx, (tx) => tx.execute(sql`SELECT org_id::text AS org_id FROM vigil.audit_log`));
    const orgs = new Set((raw as unknown as { rows: { org_id: string }[] }).rows.map((r) => r.org_id));
    expect([...orgs]).toEqual([b.org.id]);
    expect((await service.list(b.ctx, { actor: randomUUID() })).items).toEqual([]);
    void a;
  });

  it('lets only OWNER and ADMIN list; RLS confines a client-bound context to its client’s entries', async () => {
    const org = await f.org();
    const home = await f.client(org.id);
    const other = await f.client(org.id);
    const ctx = seedContext(org.id);
    await record(ctx, { action: 'test.org_level' });
    await record(ctx, { action: 'test.home', clientId: home.id });
    await record(ctx, { action: 'test.other', clientId: other.id });
    for (const role of ['OWNER', 'ADMIN'] as const) {
      const actor = await f.actor(org.id, role);
      expect((await service.list(actor.ctx)).items.map((e) => e.action)).toEqual(['test.other', 'test.home', 'test.org_level']);
    }
    for (const role of ['ENGINEER', 'VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER'] as const) {
      const actor = await f.actor(org.id, role, { clientId: home.id });
      await expectFailure(() => service.list(actor.ctx), 'FORBIDDEN', 403);
    }
    const client: TenantContext = { orgId: org.id, userId: null, role: 'CLIENT_OWNER', clientIds: [home.id] };
    const raw = await withTenant(db(), client, (tx) => tx.execute(sql`SELECT action FROM vigil.audit_log`));
    expect((raw as unknown as { rows: { action: string }[] }).rows.map((r) => r.action)).toEqual(['test.home']);
    // Nor may it write entries for another client.
    const code = await sqlError(withTenant(db(), client, (tx) => recordAudit(tx, client, { action: 'test.x', clientId: other.id })));
    expect(code).toBe(PG.INSUFFICIENT_PRIVILEGE);
    expect(await breakOf(org.id)).toBeNull();
  });

  it('filters by action prefix (whole segments), actor, target, client and time, and pages newest first', async () => {
    const org = await f.org();
    const client = await f.client(org.id);
    const { ctx, user } = await f.actor(org.id, 'OWNER');
    const seed = seedContext(org.id);
    await record(ctx, { action: 'auth.login.succeeded' });
    await record(seed, { action: 'auth.login.failed', details: { failures: 1 } });
    await record(seed, { action: 'auth.loginx' });
    const middle = await record(ctx, { action: 'asset.deleted', targetType: 'asset', targetId: 'a-1', clientId: client.id });
    await record(ctx, { action: 'asset.created', targetType: 'asset', targetId: 'a-2' });
    const actions = async (filters: Parameters<AuditService['list']>[1]) => (await service.list(ctx, filters)).items.map((e) => e.action);

    expect(await actions({ action: 'auth.login' })).toEqual(['auth.login.failed', 'auth.login.succeeded']);
    expect(await actions({ action: 'auth' })).toEqual(['auth.loginx', 'auth.login.failed', 'auth.login.succeeded']);
    expect(await actions({ action: 'auth.login.failed' })).toEqual(['auth.login.failed']);
    expect(await actions({ actor: user.id })).toEqual(['asset.created', 'asset.deleted', 'auth.login.succeeded']);
    expect(await actions({ targetType: 'asset' })).toEqual(['asset.created', 'asset.deleted']);
    expect(await actions({ targetType: 'asset', targetId: 'a-1' })).toEqual(['asset.deleted']);
    expect(await actions({ clientId: client.id })).toEqual(['asset.deleted']);
    expect(await actions({ from: middle.occurredAt })).toEqual(['asset.created', 'asset.deleted']);
    expect(await actions({ to: middle.occurredAt })).toEqual(['auth.loginx', 'auth.login.failed', 'auth.login.succeeded']);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await service.list(ctx, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((e) => `${e.seq}`));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(['5', '4', '3', '2', '1']);
    const exact = await service.list(ctx, { limit: 5 });
    expect(exact.nextCursor).toBeNull();
  });
});

// On PostgreSQL the two appenders hold separate connections and the chain lock serialises them;
// the embedded database has one connection, whose transaction makes the second wait the same way.
describe('concurrent appenders', () => {
  it('serialises appenders of one organization: the second waits for the first to commit', async () => {
    const org = await f.org();
    const ctx = seedContext(org.id);
    // Hold the chain lock in one transaction while another appends: the second must wait.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = withTenant(db(), ctx, async (tx) => {
      const row = await recordAudit(tx, ctx, { action: 'test.first' });
      await held;
      return row;
    });
    await new Promise((r) => setTimeout(r, 100));
    let secondDone = false;
    const second = record(ctx, { action: 'test.second' }).then((row) => {
      secondDone = true;
      return row;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(secondDone).toBe(false);
    release();
    expect((await first).seq).toBe(1);
    expect((await second).seq).toBe(2);
    expect(await breakOf(org.id)).toBeNull();
  });
});
