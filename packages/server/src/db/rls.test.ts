import { randomUUID } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-database.ts';
import type { Tx } from './database.ts';
import { PG, pgError } from './pg-errors.ts';
import { assets, clients, memberships, organizations, type Role, users } from './schema.ts';
import { type TenantContext, withSystem, withTenant } from './tenant.ts';

/**
 * Layer 3 of tenancy on its own: queries written deliberately WITHOUT an org_id filter, run
 * under tenant A's context, must neither see nor touch tenant B's rows. Runs on whichever
 * driver the suite runs on (PGlite by default, PostgreSQL under DATABASE_URL).
 */
let t: TestDatabase;
const orgA = randomUUID();
const orgB = randomUUID();
const clientA1 = randomUUID();
const clientA2 = randomUUID();
const clientB1 = randomUUID();
const ctxA: TenantContext = { orgId: orgA, userId: null, role: 'OWNER', clientIds: 'all' };
const ctxB: TenantContext = { orgId: orgB, userId: null, role: 'OWNER', clientIds: 'all' };

async function seed(tx: Tx, orgId: string, slug: string, clientIds: string[]) {
  await tx.insert(organizations).values({ id: orgId, name: slug, slug });
  for (const [i, id] of clientIds.entries()) await tx.insert(clients).values({ id, orgId, name: `${slug}-client-${i}` });
  await tx
    .insert(assets)
    .values([
      { orgId, kind: 'server', name: `${slug}-agency-server` },
      ...clientIds.map((clientId, i) => ({ orgId, clientId, kind: 'site' as const, name: `${slug}-site-${i}` })),
    ]);
}

/**
 * People: an agency owner of A, one customer of each of A's clients, a B owner, an engineer who
 * works for both agencies, and a user who belongs nowhere.
 */
const user = {
  ownerA: randomUUID(),
  customerA1: randomUUID(),
  customerA2: randomUUID(),
  ownerB: randomUUID(),
  shared: randomUUID(),
  loner: randomUUID(),
};
type Person = keyof typeof user;
const membershipOf = {} as Record<'ownerA' | 'customerA1' | 'customerA2' | 'sharedInA' | 'ownerB' | 'sharedInB', string>;

async function seedPeople(db: TestDatabase['database']['db']) {
  await withSystem(db, (tx) =>
    tx.insert(users).values(Object.entries(user).map(([name, id]) => ({ id, email: `${name}-${id}@example.test`, displayName: name }))),
  );
  // Memberships are created in the system scope only (bootstrap, accepted invitations).
  const join = (ctx: TenantContext, userId: string, role: Role, clientId: string | null = null) =>
    withSystem(db, async (tx) => {
      const [row] = await tx.insert(memberships).values({ orgId: ctx.orgId, userId, role, clientId }).returning();
      if (!row) throw new Error('INSERT … RETURNING produced no row');
      return row.id;
    });
  membershipOf.ownerA = await join(ctxA, user.ownerA, 'OWNER');
  membershipOf.customerA1 = await join(ctxA, user.customerA1, 'CLIENT_MEMBER', clientA1);
  membershipOf.customerA2 = await join(ctxA, user.customerA2, 'CLIENT_OWNER', clientA2);
  membershipOf.sharedInA = await join(ctxA, user.shared, 'ENGINEER');
  membershipOf.ownerB = await join(ctxB, user.ownerB, 'OWNER');
  membershipOf.sharedInB = await join(ctxB, user.shared, 'VIEWER');
}

beforeAll(async () => {
  t = await createTestDatabase();
  await withTenant(t.database.db, ctxA, (tx) => seed(tx, orgA, 'org-a', [clientA1, clientA2]));
  await withTenant(t.database.db, ctxB, (tx) => seed(tx, orgB, 'org-b', [clientB1]));
  await seedPeople(t.database.db);
});
afterAll(() => t?.destroy());

describe('row-level security without any application filter', () => {
  it('shows tenant A only its own organizations, clients and assets', async () => {
    const seen = await withTenant(t.database.db, ctxA, async (tx) => ({
      orgs: await tx.select().from(organizations),
      clients: await tx.select().from(clients),
      assets: await tx.select().from(assets),
      raw: await tx.execute(sql`SELECT count(*)::int AS n FROM vigil.assets`),
    }));
    expect(seen.orgs.map((o) => o.id)).toEqual([orgA]);
    expect(seen.clients.map((c) => c.orgId)).toEqual([orgA, orgA]);
    expect(seen.assets).toHaveLength(3);
    expect(seen.assets.every((a) => a.orgId === orgA)).toBe(true);
    expect((seen.raw as { rows: { n: number }[] }).rows[0]?.n).toBe(3);
  });

  it('cannot update or delete tenant B rows, and B keeps them', async () => {
    await withTenant(t.database.db, ctxA, async (tx) => {
      const updated = await tx.update(assets).set({ name: 'pwned' }).returning();
      expect(updated.every((a) => a.orgId === orgA)).toBe(true);
      await tx.delete(clients).where(sql`id = ${clientB1}`);
      await tx.execute(sql`UPDATE vigil.organizations SET name = 'pwned' WHERE id = ${orgB}`);
      throw new RollbackSignal();
    }).catch((e) => {
      if (!(e instanceof RollbackSignal)) throw e;
    });
    const b = await withTenant(t.database.db, ctxB, async (tx) => ({
      org: await tx.select().from(organizations),
      clients: await tx.select().from(clients),
      assets: await tx.select().from(assets),
    }));
    expect(b.org[0]?.name).toBe('org-b');
    expect(b.clients.map((c) => c.id)).toEqual([clientB1]);
    expect(b.assets.map((a) => a.name).sort()).toEqual(['org-b-agency-server', 'org-b-site-0']);
  });

  it('cannot insert a row into tenant B while acting as tenant A', async () => {
    const plantAsset = withTenant(t.database.db, ctxA, (tx) => tx.insert(assets).values({ orgId: orgB, kind: 'server', name: 'planted' }));
    expect(pgError(await plantAsset.catch((e) => e))?.code).toBe(PG.INSUFFICIENT_PRIVILEGE);
    const plantClient = withTenant(t.database.db, ctxA, (tx) => tx.insert(clients).values({ orgId: orgB, name: 'planted' }));
    expect(pgError(await plantClient.catch((e) => e))?.code).toBe(PG.INSUFFICIENT_PRIVILEGE);
  });

  it('cannot attach an asset of its own org to another org’s client', async () => {
    const crossed = withTenant(t.database.db, ctxA, (tx) =>
      tx.insert(assets).values({ orgId: orgA, clientId: clientB1, kind: 'site', name: 'x' }),
    );
    expect(pgError(await crossed.catch((e) => e))?.code).toBe(PG.FOREIGN_KEY_VIOLATION);
  });

  it('limits a client-bound context to its client’s rows', async () => {
    const member: TenantContext = { orgId: orgA, userId: null, role: 'CLIENT_MEMBER', clientIds: [clientA1] };
    const seen = await withTenant(t.database.db, member, async (tx) => ({
      clients: await tx.select().from(clients),
      assets: await tx.select().from(assets),
    }));
    expect(seen.clients.map((c) => c.id)).toEqual([clientA1]);
    expect(seen.assets.map((a) => a.clientId)).toEqual([clientA1]);
  });

  it('sees nothing at all without a context, and nothing leaks between transactions', async () => {
    await withTenant(t.database.db, ctxA, (tx) => tx.select().from(assets));
    const bare = await t.database.db.select().from(assets);
    expect(bare).toEqual([]);
    const system = await withSystem(t.database.db, (tx) => tx.select().from(assets));
    expect(system).toEqual([]);
  });

  it('runs the app as a role that RLS binds', async () => {
    const { rows } = await t.database.query<{ u: string; s: boolean; b: boolean }>(
      'SELECT current_user AS u, rolsuper AS s, rolbypassrls AS b FROM pg_roles WHERE rolname = current_user',
    );
    expect(rows[0]).toEqual({ u: 'vigil_app', s: false, b: false });
  });
});

/** The customer of client A1, as the auth layer would build its context. */
const customerA1: TenantContext = { orgId: orgA, userId: user.customerA1, role: 'CLIENT_MEMBER', clientIds: [clientA1] };
const system = 'system' as const;

/**
 * Runs `fn` under a context and always rolls back, so attempts never change the shared rows.
 * Answers how many rows `fn` returned (the rows a write touched, with RETURNING), or the SQLSTATE
 * it failed with: RLS refuses a new row it would not admit with 42501, and silently skips
 * existing rows it hides (0 rows).
 */
async function attempt(ctx: TenantContext | typeof system, fn: (tx: Tx) => Promise<unknown[]>): Promise<number | string> {
  const run = async (tx: Tx) => {
    throw new RollbackSignal((await fn(tx)).length);
  };
  try {
    await (ctx === system ? withSystem(t.database.db, run) : withTenant(t.database.db, ctx, run));
  } catch (error) {
    if (error instanceof RollbackSignal) return error.rows;
    const code = pgError(error)?.code;
    if (code) return code;
    throw error;
  }
  throw new Error('unreachable: the attempt always rolls back');
}

const sorted = (values: readonly string[]) => [...values].sort();
const ids = (rows: { id: string }[]) => sorted(rows.map((r) => r.id));
const everyone = (...people: Person[]) => sorted(people.map((p) => user[p]));

/** What the system scope (which may read them) sees of all people and memberships. */
function peopleAsSystem() {
  return withSystem(t.database.db, async (tx) => ({
    users: await tx.select().from(users).orderBy(users.id),
    memberships: await tx.select().from(memberships).orderBy(memberships.id),
  }));
}

describe('memberships and users under row-level security, without any application filter', () => {
  it('shows tenant A only its own memberships, and only the users who are members of A', async () => {
    const seen = await withTenant(t.database.db, ctxA, async (tx) => ({
      memberships: await tx.select().from(memberships),
      users: await tx.select().from(users),
      rawUsers: await tx.execute(sql`SELECT count(*)::int AS n FROM vigil.users`),
    }));
    expect(ids(seen.memberships)).toEqual(
      sorted([membershipOf.ownerA, membershipOf.customerA1, membershipOf.customerA2, membershipOf.sharedInA]),
    );
    // The engineer who also works for B is visible as A's member, but not through B's membership.
    expect(ids(seen.users)).toEqual(everyone('ownerA', 'customerA1', 'customerA2', 'shared'));
    expect((seen.rawUsers as { rows: { n: number }[] }).rows[0]?.n).toBe(4);
  });

  it('hides a user without a membership in A from A even when asked for by id, and B’s memberships too', async () => {
    for (const ctx of [ctxA, { ...ctxA, userId: user.ownerA }]) {
      const seen = await withTenant(t.database.db, ctx, async (tx) => ({
        users: await tx
          .select()
          .from(users)
          .where(inArray(users.id, [user.ownerB, user.loner])),
        raw: await tx.execute(sql`SELECT email FROM vigil.users WHERE id = ${user.ownerB} OR id = ${user.loner}`),
        memberships: await tx
          .select()
          .from(memberships)
          .where(inArray(memberships.id, [membershipOf.ownerB, membershipOf.sharedInB])),
      }));
      expect(seen).toEqual({ users: [], raw: expect.objectContaining({ rows: [] }), memberships: [] });
    }
  });

  it('lets tenant A write neither B’s memberships nor anyone’s account, and B keeps them', async () => {
    const before = await peopleAsSystem();
    // Planting a membership (here: A's own owner) into organization B.
    expect(
      await attempt(ctxA, (tx) => tx.insert(memberships).values({ orgId: orgB, userId: user.ownerA, role: 'OWNER' }).returning()),
    ).toBe(PG.INSUFFICIENT_PRIVILEGE);
    // B's memberships are out of reach, asked for by id or not at all.
    for (const id of [membershipOf.ownerB, membershipOf.sharedInB]) {
      expect(await attempt(ctxA, (tx) => tx.update(memberships).set({ role: 'VIEWER' }).where(eq(memberships.id, id)).returning())).toBe(0);
      expect(await attempt(ctxA, (tx) => tx.delete(memberships).where(eq(memberships.id, id)).returning())).toBe(0);
    }
    expect(
      await attempt(ctxA, async (tx) =>
        (await tx.update(memberships).set({ role: sql`role` }).returning()).filter((m) => m.orgId !== orgA),
      ),
    ).toBe(0);
    // Not even its own memberships can be re-pointed at another user or organization.
    expect(
      await attempt(ctxA, (tx) =>
        tx.update(memberships).set({ userId: user.ownerB }).where(eq(memberships.id, membershipOf.ownerA)).returning(),
      ),
    ).toBe(PG.INSUFFICIENT_PRIVILEGE);
    // Nor can it attach anyone to itself: memberships are created in the system scope only.
    expect(
      await attempt(ctxA, (tx) => tx.insert(memberships).values({ orgId: orgA, userId: user.loner, role: 'VIEWER' }).returning()),
    ).toBe(PG.INSUFFICIENT_PRIVILEGE);
    // Accounts belong to their owners: A may read its members' but change none, not even
    // theirs (an account takeover by changing the email), nor create or delete one.
    for (const victim of [user.customerA1, user.shared, user.ownerB, user.loner]) {
      expect(
        await attempt(ctxA, (tx) => tx.update(users).set({ email: 'attacker@evil.example' }).where(eq(users.id, victim)).returning()),
      ).toBe(0);
      expect(await attempt(ctxA, (tx) => tx.delete(users).where(eq(users.id, victim)).returning())).toBe(0);
    }
    expect(await attempt(ctxA, (tx) => tx.insert(users).values({ email: 'planted@evil.example' }).returning())).toBe(
      PG.INSUFFICIENT_PRIVILEGE,
    );
    expect(await peopleAsSystem()).toEqual(before);
  });

  describe('a client-bound context (CLIENT_MEMBER of A1)', () => {
    it('sees only the memberships of A1 and the people in them', async () => {
      const seen = await withTenant(t.database.db, customerA1, async (tx) => ({
        memberships: await tx.select().from(memberships),
        users: await tx.select().from(users),
      }));
      // Not A2's customer, and not the agency's own staff (agency-level memberships).
      expect(ids(seen.memberships)).toEqual([membershipOf.customerA1]);
      expect(ids(seen.users)).toEqual(everyone('customerA1'));
    });

    it('cannot create rows of another client, agency-level rows or clients', async () => {
      const refused = {
        'membership in A2': (tx: Tx) =>
          tx.insert(memberships).values({ orgId: orgA, userId: user.loner, role: 'CLIENT_MEMBER', clientId: clientA2 }).returning(),
        'agency-level membership': (tx: Tx) =>
          tx.insert(memberships).values({ orgId: orgA, userId: user.loner, role: 'ADMIN' }).returning(),
        'asset of A2': (tx: Tx) =>
          tx.insert(assets).values({ orgId: orgA, clientId: clientA2, kind: 'server', name: 'planted' }).returning(),
        'agency-level asset': (tx: Tx) => tx.insert(assets).values({ orgId: orgA, kind: 'server', name: 'planted' }).returning(),
        client: (tx: Tx) => tx.insert(clients).values({ orgId: orgA, name: 'planted' }).returning(),
        account: (tx: Tx) => tx.insert(users).values({ email: 'planted@evil.example' }).returning(),
      };
      for (const [what, write] of Object.entries(refused)) {
        expect({ what, outcome: await attempt(customerA1, write) }).toEqual({ what, outcome: PG.INSUFFICIENT_PRIVILEGE });
      }
    });

    it('changes and deletes no row of another client or of the agency (0 rows)', async () => {
      const hidden = {
        membershipOfA2: membershipOf.customerA2,
        agencyMembership: membershipOf.ownerA,
      };
      for (const [what, id] of Object.entries(hidden)) {
        const update = await attempt(customerA1, (tx) =>
          tx.update(memberships).set({ role: 'CLIENT_MEMBER' }).where(eq(memberships.id, id)).returning(),
        );
        const remove = await attempt(customerA1, (tx) => tx.delete(memberships).where(eq(memberships.id, id)).returning());
        expect({ what, update, remove }).toEqual({ what, update: 0, remove: 0 });
      }
      const otherAssets = await withTenant(t.database.db, ctxA, (tx) => tx.select().from(assets));
      for (const asset of otherAssets.filter((a) => a.clientId !== clientA1)) {
        const update = await attempt(customerA1, (tx) =>
          tx.update(assets).set({ name: 'pwned' }).where(eq(assets.id, asset.id)).returning(),
        );
        const remove = await attempt(customerA1, (tx) => tx.delete(assets).where(eq(assets.id, asset.id)).returning());
        expect({ asset: asset.name, update, remove }).toEqual({ asset: asset.name, update: 0, remove: 0 });
      }
      expect(await attempt(customerA1, (tx) => tx.update(clients).set({ name: 'pwned' }).where(eq(clients.id, clientA2)).returning())).toBe(
        0,
      );
      expect(await attempt(customerA1, (tx) => tx.delete(clients).where(eq(clients.id, clientA2)).returning())).toBe(0);
      for (const victim of [user.customerA2, user.ownerA, user.shared]) {
        expect(
          await attempt(customerA1, (tx) => tx.update(users).set({ email: 'x@evil.example' }).where(eq(users.id, victim)).returning()),
        ).toBe(0);
      }
      // The same statements reach A1's own rows: the zeros above are RLS, not a query that
      // matches nothing. (Whether a customer may do this at all is the permission layer's call.)
      expect(await attempt(customerA1, (tx) => tx.update(assets).set({ name: 'renamed' }).returning())).toBe(1);
    });

    it('cannot move its own membership to another client or to the agency', async () => {
      const own = membershipOf.customerA1;
      const moves: { role: Role; clientId: string | null }[] = [
        { role: 'CLIENT_OWNER', clientId: clientA2 },
        { role: 'ADMIN', clientId: null },
        { role: 'OWNER', clientId: null },
      ];
      for (const move of moves) {
        const outcome = await attempt(customerA1, (tx) => tx.update(memberships).set(move).where(eq(memberships.id, own)).returning());
        expect({ ...move, outcome }).toEqual({ ...move, outcome: PG.INSUFFICIENT_PRIVILEGE });
      }
    });
  });

  describe('the system scope', () => {
    it('sees every user, organization and membership, and no client or asset', async () => {
      const seen = await withSystem(t.database.db, async (tx) => ({
        users: await tx.select().from(users),
        organizations: await tx.select().from(organizations),
        memberships: await tx.select().from(memberships),
        clients: await tx.select().from(clients),
        assets: await tx.select().from(assets),
      }));
      expect(ids(seen.users)).toEqual(everyone('ownerA', 'customerA1', 'customerA2', 'ownerB', 'shared', 'loner'));
      expect(ids(seen.organizations)).toEqual(sorted([orgA, orgB]));
      expect(ids(seen.memberships)).toEqual(sorted(Object.values(membershipOf)));
      expect({ clients: seen.clients, assets: seen.assets }).toEqual({ clients: [], assets: [] });
    });

    it('writes accounts, and nothing a tenant owns', async () => {
      expect(
        await attempt(system, (tx) =>
          tx
            .insert(users)
            .values({ email: `new-${randomUUID()}@example.test` })
            .returning(),
        ),
      ).toBe(1);
      expect(
        await attempt(system, (tx) => tx.update(users).set({ displayName: 'renamed' }).where(eq(users.id, user.loner)).returning()),
      ).toBe(1);
      // Attaching a user to an organization is a system flow (bootstrap, accepted invitations).
      expect(
        await attempt(system, (tx) => tx.insert(memberships).values({ orgId: orgA, userId: user.loner, role: 'VIEWER' }).returning()),
      ).toBe(1);

      const refused = {
        organization: (tx: Tx) =>
          tx
            .insert(organizations)
            .values({ id: randomUUID(), name: 'planted', slug: `planted-${Date.now()}` })
            .returning(),
        client: (tx: Tx) => tx.insert(clients).values({ orgId: orgA, name: 'planted' }).returning(),
        asset: (tx: Tx) => tx.insert(assets).values({ orgId: orgA, kind: 'server', name: 'planted' }).returning(),
      };
      for (const [what, write] of Object.entries(refused)) {
        expect({ what, outcome: await attempt(system, write) }).toEqual({ what, outcome: PG.INSUFFICIENT_PRIVILEGE });
      }
      const untouched = {
        'update memberships': (tx: Tx) => tx.update(memberships).set({ role: 'VIEWER' }).returning(),
        'delete memberships': (tx: Tx) => tx.delete(memberships).returning(),
        'update organizations': (tx: Tx) => tx.update(organizations).set({ name: 'pwned' }).returning(),
        'delete organizations': (tx: Tx) => tx.delete(organizations).returning(),
        'update clients': (tx: Tx) => tx.update(clients).set({ name: 'pwned' }).returning(),
        'delete clients': (tx: Tx) => tx.delete(clients).returning(),
        'update assets': (tx: Tx) => tx.update(assets).set({ name: 'pwned' }).returning(),
        'delete assets': (tx: Tx) => tx.delete(assets).returning(),
      };
      for (const [what, write] of Object.entries(untouched)) {
        expect({ what, rows: await attempt(system, write) }).toEqual({ what, rows: 0 });
      }
    });
  });
});

class RollbackSignal extends Error {
  constructor(readonly rows = 0) {
    super('rollback');
  }
}

describe('a user’s own account under row-level security', () => {
  it('can be read and renamed by its user, but its email, disabled flag and existence are not theirs to change', async () => {
    const self: TenantContext = { orgId: orgA, userId: user.customerA1, role: 'CLIENT_MEMBER', clientIds: [clientA1] };
    expect(
      await attempt(self, (tx) => tx.update(users).set({ displayName: 'New name' }).where(eq(users.id, user.customerA1)).returning()),
    ).toBe(1);
    expect(
      await attempt(self, (tx) =>
        tx.update(users).set({ email: 'taken-over@evil.example' }).where(eq(users.id, user.customerA1)).returning(),
      ),
    ).toBe(PG.INSUFFICIENT_PRIVILEGE);
    expect(await attempt(self, (tx) => tx.update(users).set({ disabledAt: null }).where(eq(users.id, user.customerA1)).returning())).toBe(
      1,
    );
    expect(
      await attempt(self, (tx) => tx.update(users).set({ disabledAt: new Date() }).where(eq(users.id, user.customerA1)).returning()),
    ).toBe(PG.INSUFFICIENT_PRIVILEGE);
    // Deleting one's own account would drop its memberships behind the services' back.
    expect(await attempt(self, (tx) => tx.delete(users).where(eq(users.id, user.customerA1)).returning())).toBe(0);
  });

  it('keeps a client-bound context from renaming or deleting its own client', async () => {
    expect(await attempt(customerA1, (tx) => tx.update(clients).set({ name: 'renamed' }).where(eq(clients.id, clientA1)).returning())).toBe(
      0,
    );
    expect(await attempt(customerA1, (tx) => tx.delete(clients).where(eq(clients.id, clientA1)).returning())).toBe(0);
  });
});
