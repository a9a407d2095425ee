import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClientRow,
  createFactories,
  deleteClientMidway,
  expectFailure,
  type Factories,
  failureOf,
  type MembershipRow,
  type UserRow,
  uniqueSuffix,
} from '../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { ROLES, type Role } from '../../db/schema.ts';
import type { TenantContext } from '../../db/tenant.ts';
import type { AppError } from '../../lib/app-error.ts';
import { can, type Permission } from './permissions.ts';
import type { ClientView, MemberView } from './tenancy.schemas.ts';
import { createTenancyService, type TenancyService } from './tenancy.service.ts';

/**
 * The tenancy service on a real, migrated database (PGlite, or PostgreSQL under DATABASE_URL),
 * working as the RLS-bound app role. One database for the file; every test builds its own
 * organizations, so tests neither see nor disturb each other.
 */
let t: TestDatabase;
let f: Factories;
let service: TenancyService;

beforeAll(async () => {
  t = await createTestDatabase();
  f = createFactories(t.database.db);
  service = createTenancyService({ db: t.database.db });
});
afterAll(() => t?.destroy());

/**
 * One organization per cell: three clients (the actor's own `home`, a sibling, an empty spare),
 * a CLIENT_MEMBER of `home` to be changed, and a user who belongs nowhere yet.
 */
interface Scene {
  orgId: string;
  ctx: TenantContext;
  home: ClientRow;
  sibling: ClientRow;
  spare: ClientRow;
  target: MembershipRow;
  newcomer: UserRow;
}

async function scene(role: Role): Promise<Scene> {
  const org = await f.org();
  const home = await f.client(org.id);
  const sibling = await f.client(org.id);
  const spare = await f.client(org.id);
  await f.asset(org.id, { clientId: home.id });
  await f.asset(org.id, { clientId: sibling.id });
  await f.member(org.id, 'OWNER');
  await f.member(org.id, 'CLIENT_MEMBER', sibling.id);
  const actor = await f.actor(org.id, role, { clientId: home.id });
  const { membership: target } = await f.member(org.id, 'CLIENT_MEMBER', home.id);
  const newcomer = await f.user();
  return { orgId: org.id, ctx: actor.ctx, home, sibling, spare, target, newcomer };
}

function visibleClientIds(s: Scene): string[] {
  return (s.ctx.clientIds === 'all' ? [s.home.id, s.sibling.id, s.spare.id] : [s.home.id]).sort();
}

interface Operation {
  name: keyof TenancyService;
  permission: Permission;
  run(s: Scene): Promise<unknown>;
  /** Checks that an allowed call did what it says. */
  took(s: Scene, result: unknown): Promise<void>;
}

const operations: Operation[] = [
  {
    name: 'getOrganization',
    permission: 'organization:read',
    run: (s) => service.getOrganization(s.ctx),
    took: async (s, result) => expect(result).toMatchObject({ id: s.orgId }),
  },
  {
    name: 'listClients',
    permission: 'client:read',
    run: (s) => service.listClients(s.ctx),
    took: async (s, result) => expect((result as ClientView[]).map((c) => c.id).sort()).toEqual(visibleClientIds(s)),
  },
  {
    name: 'getClient',
    permission: 'client:read',
    run: (s) => service.getClient(s.ctx, s.home.id),
    took: async (s, result) => expect(result).toMatchObject({ id: s.home.id, name: s.home.name }),
  },
  {
    name: 'createClient',
    permission: 'client:create',
    run: (s) => service.createClient(s.ctx, { name: `New ${s.orgId}` }),
    took: async (s, result) => {
      const { clients } = await f.snapshot(s.orgId);
      expect(clients.find((c) => c.id === (result as ClientView).id)?.name).toBe(`New ${s.orgId}`);
    },
  },
  {
    name: 'renameClient',
    permission: 'client:update',
    run: (s) => service.renameClient(s.ctx, s.home.id, { name: 'Renamed' }),
    took: async (s) => expect((await f.snapshot(s.orgId)).clients.find((c) => c.id === s.home.id)?.name).toBe('Renamed'),
  },
  {
    name: 'deleteClient',
    permission: 'client:delete',
    run: (s) => service.deleteClient(s.ctx, s.spare.id),
    took: async (s) => expect((await f.snapshot(s.orgId)).clients.map((c) => c.id)).not.toContain(s.spare.id),
  },
  {
    name: 'listMembers',
    permission: 'member:read',
    run: (s) => service.listMembers(s.ctx),
    took: async (s, result) => {
      const ids = (result as MemberView[]).map((m) => m.id);
      const all = (await f.snapshot(s.orgId)).memberships;
      const expected = all.filter((m) => s.ctx.clientIds === 'all' || m.clientId === s.home.id).map((m) => m.id);
      expect(ids.sort()).toEqual(expected.sort());
      expect(ids).toContain(s.target.id);
    },
  },
  {
    name: 'addMember',
    permission: 'member:invite',
    run: (s) => service.addMember(s.ctx, { email: s.newcomer.email, role: 'CLIENT_MEMBER', clientId: s.home.id }),
    took: async (s, result) => {
      const added = (await f.snapshot(s.orgId)).memberships.find((m) => m.userId === s.newcomer.id);
      expect(added).toMatchObject({ role: 'CLIENT_MEMBER', clientId: s.home.id });
      expect(result).toEqual({ ...presented(added), email: s.newcomer.email, displayName: null });
    },
  },
  {
    name: 'updateMember',
    permission: 'member:update',
    run: (s) => service.updateMember(s.ctx, s.target.id, { role: 'CLIENT_OWNER' }),
    took: async (s, result) => {
      const changed = (await f.snapshot(s.orgId)).memberships.find((m) => m.id === s.target.id);
      expect(changed).toMatchObject({ role: 'CLIENT_OWNER', clientId: s.home.id });
      expect(result).toMatchObject({ ...presented(changed), email: expect.any(String) });
    },
  },
  {
    name: 'removeMember',
    permission: 'member:remove',
    run: (s) => service.removeMember(s.ctx, s.target.id),
    took: async (s) => expect((await f.snapshot(s.orgId)).memberships.map((m) => m.id)).not.toContain(s.target.id),
  },
];

/** The membership columns a MemberView carries, as the presenter writes them. */
function presented(row: MembershipRow | undefined) {
  if (!row) throw new Error('no membership');
  return { id: row.id, userId: row.userId, role: row.role, clientId: row.clientId, createdAt: row.createdAt.toISOString() };
}

describe('every role × every tenancy operation follows the permission matrix', () => {
  it('covers every operation the service has', () => {
    expect(Object.keys(service).sort()).toEqual(operations.map((o) => o.name).sort());
  });

  describe.each([...ROLES])('as %s', (role) => {
    for (const op of operations) {
      const allowed = can(role, op.permission);
      it(`${allowed ? 'allows' : 'refuses'} ${op.name} (${op.permission})`, async () => {
        const s = await scene(role);
        const before = await f.snapshot(s.orgId);
        if (allowed) {
          await op.took(s, await op.run(s));
        } else {
          await expectFailure(() => op.run(s), 'FORBIDDEN', 403);
          expect(await f.snapshot(s.orgId)).toEqual(before);
        }
      });
    }
  });

  // Regression: access.require ran before the first await in non-async methods, so a refusal
  // threw synchronously out of a promise-returning call instead of rejecting it.
  it('refuses by rejecting the returned promise, never by throwing synchronously', async () => {
    const s = await scene('CLIENT_MEMBER');
    const calls: (() => Promise<unknown>)[] = [
      () => service.listMembers(s.ctx),
      () => service.createClient(s.ctx, { name: 'x' }),
      () => service.renameClient(s.ctx, s.home.id, { name: 'x' }),
      () => service.deleteClient(s.ctx, s.home.id),
      () => service.addMember(s.ctx, { email: s.newcomer.email, role: 'CLIENT_MEMBER', clientId: s.home.id }),
      () => service.updateMember(s.ctx, s.target.id, { role: 'CLIENT_OWNER' }),
      () => service.removeMember(s.ctx, s.target.id),
    ];
    for (const call of calls) {
      let pending: Promise<unknown> | undefined;
      expect(() => {
        pending = call();
      }).not.toThrow();
      await expect(pending).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
  });
});

describe('tenant isolation', () => {
  it('shows a CLIENT_MEMBER its own client only, and "not found" for any other', async () => {
    const org = await f.org();
    const home = await f.client(org.id);
    const sibling = await f.client(org.id);
    const otherOrg = await f.org();
    const foreign = await f.client(otherOrg.id);
    const { ctx } = await f.actor(org.id, 'CLIENT_MEMBER', { clientId: home.id });

    expect((await service.listClients(ctx)).map((c) => c.id)).toEqual([home.id]);
    expect(await service.getClient(ctx, home.id)).toMatchObject({ id: home.id, name: home.name });
    // Another client of the same agency, another agency's client and a made-up id answer the
    // same: a client user cannot even learn that the agency has other customers.
    for (const id of [sibling.id, foreign.id, randomUUID()]) {
      await expectFailure(() => service.getClient(ctx, id), 'CLIENT_NOT_FOUND', 404);
    }
  });

  it('shows a CLIENT_OWNER only the members of its own client', async () => {
    const org = await f.org();
    const home = await f.client(org.id);
    const sibling = await f.client(org.id);
    await f.member(org.id, 'OWNER');
    await f.member(org.id, 'ENGINEER');
    await f.member(org.id, 'CLIENT_MEMBER', sibling.id);
    const mate = await f.member(org.id, 'CLIENT_MEMBER', home.id);
    const actor = await f.actor(org.id, 'CLIENT_OWNER', { clientId: home.id });

    const seen = await service.listMembers(actor.ctx);
    expect(seen.map((m) => m.id).sort()).toEqual([mate.membership.id, actor.membership.id].sort());
    expect(seen.find((m) => m.id === mate.membership.id)).toMatchObject({ email: mate.user.email, clientId: home.id });
  });

  it('answers "not found" to organization A for organization B’s clients and members, and leaves B untouched', async () => {
    const a = await f.org();
    const b = await f.org();
    const clientOfA = await f.client(a.id);
    const clientOfB = await f.client(b.id);
    const ownerOfB = await f.member(b.id, 'OWNER');
    const memberOfB = await f.member(b.id, 'CLIENT_MEMBER', clientOfB.id);
    const { ctx } = await f.actor(a.id, 'OWNER');
    const newcomer = await f.user();
    const beforeB = await f.snapshot(b.id);

    expect(await service.getOrganization(ctx)).toMatchObject({ id: a.id, name: a.name });
    expect((await service.listClients(ctx)).map((c) => c.id)).toEqual([clientOfA.id]);
    const memberIds = (await service.listMembers(ctx)).map((m) => m.id);
    expect(memberIds).not.toContain(ownerOfB.membership.id);
    expect(memberIds).not.toContain(memberOfB.membership.id);

    await expectFailure(() => service.getClient(ctx, clientOfB.id), 'CLIENT_NOT_FOUND', 404);
    await expectFailure(() => service.renameClient(ctx, clientOfB.id, { name: 'pwned' }), 'CLIENT_NOT_FOUND', 404);
    await expectFailure(() => service.deleteClient(ctx, clientOfB.id), 'CLIENT_NOT_FOUND', 404);
    await expectFailure(() => service.updateMember(ctx, ownerOfB.membership.id, { role: 'VIEWER' }), 'MEMBER_NOT_FOUND', 404);
    await expectFailure(() => service.updateMember(ctx, memberOfB.membership.id, { role: 'CLIENT_OWNER' }), 'MEMBER_NOT_FOUND', 404);
    await expectFailure(() => service.removeMember(ctx, ownerOfB.membership.id), 'MEMBER_NOT_FOUND', 404);
    await expectFailure(() => service.removeMember(ctx, memberOfB.membership.id), 'MEMBER_NOT_FOUND', 404);
    // Planting a member into B's client through A's context.
    await expectFailure(
      () => service.addMember(ctx, { email: newcomer.email, role: 'CLIENT_MEMBER', clientId: clientOfB.id }),
      'CLIENT_NOT_FOUND',
      404,
    );
    // Moving one of A's members into B's client.
    const mine = await f.member(a.id, 'CLIENT_MEMBER', clientOfA.id);
    await expectFailure(
      () => service.updateMember(ctx, mine.membership.id, { role: 'CLIENT_MEMBER', clientId: clientOfB.id }),
      'CLIENT_NOT_FOUND',
      404,
    );

    expect(await f.snapshot(b.id)).toEqual(beforeB);
    expect((await f.snapshot(a.id)).memberships.find((m) => m.id === mine.membership.id)?.clientId).toBe(clientOfA.id);
  });
});

describe('membership rules', () => {
  it('keeps the last OWNER: it can be neither demoted nor removed', async () => {
    const org = await f.org();
    const owner = await f.actor(org.id, 'OWNER');
    // Another organization's owners must not count towards this one's.
    const elsewhere = await f.org();
    await f.member(elsewhere.id, 'OWNER');
    await f.membership(elsewhere.id, owner.user.id, 'OWNER');
    const before = await f.snapshot(org.id);

    await expectFailure(() => service.updateMember(owner.ctx, owner.membership.id, { role: 'ADMIN' }), 'LAST_OWNER', 409);
    await expectFailure(() => service.removeMember(owner.ctx, owner.membership.id), 'LAST_OWNER', 409);
    expect(await f.snapshot(org.id)).toEqual(before);
  });

  it('lets one of two OWNERs step down, then keeps the other', async () => {
    const org = await f.org();
    const first = await f.actor(org.id, 'OWNER');
    const second = await f.actor(org.id, 'OWNER');

    await service.updateMember(first.ctx, second.membership.id, { role: 'ADMIN' });
    await expectFailure(() => service.removeMember(first.ctx, first.membership.id), 'LAST_OWNER', 409);
    await expectFailure(() => service.updateMember(first.ctx, first.membership.id, { role: 'VIEWER' }), 'LAST_OWNER', 409);
    const roles = (await f.snapshot(org.id)).memberships.map((m) => [m.id, m.role]);
    expect(roles).toContainEqual([first.membership.id, 'OWNER']);
    expect(roles).toContainEqual([second.membership.id, 'ADMIN']);
  });

  // Race: two owners demoting (or removing) each other at the same moment must not leave the
  // organization without an owner; the owner rows are locked while counted.
  it('lets only one of two OWNERs win when they demote and remove each other concurrently', async () => {
    // On PostgreSQL, open enough pooled connections first so that both transactions really run
    // side by side instead of one waiting for a new connection until the other is done.
    await Promise.all(Array.from({ length: 4 }, () => t.database.query('SELECT pg_sleep(0.05)')));
    for (const clash of ['demote', 'remove', 'demote', 'remove'] as const) {
      const org = await f.org();
      const first = await f.actor(org.id, 'OWNER');
      const second = await f.actor(org.id, 'OWNER');
      const act = (by: typeof first, on: typeof first) =>
        clash === 'demote'
          ? service.updateMember(by.ctx, on.membership.id, { role: 'ADMIN' })
          : service.removeMember(by.ctx, on.membership.id);
      const settled = await Promise.allSettled([act(first, second), act(second, first)]);
      expect(settled.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(settled.flatMap((r) => (r.status === 'rejected' ? [r.reason.code] : []))).toEqual(['LAST_OWNER']);
      const owners = (await f.snapshot(org.id)).memberships.filter((m) => m.role === 'OWNER');
      expect(owners).toHaveLength(1);
    }
  });

  it('lets an OWNER remove another OWNER while one remains', async () => {
    const org = await f.org();
    const first = await f.actor(org.id, 'OWNER');
    const second = await f.actor(org.id, 'OWNER');
    await service.removeMember(first.ctx, second.membership.id);
    expect((await f.snapshot(org.id)).memberships.map((m) => m.id)).toEqual([first.membership.id]);
  });

  it('refuses an ADMIN any power over OWNERs, and changes nothing', async () => {
    const org = await f.org();
    const owner = await f.member(org.id, 'OWNER');
    await f.member(org.id, 'OWNER');
    const engineer = await f.member(org.id, 'ENGINEER');
    const admin = await f.actor(org.id, 'ADMIN');
    const newcomer = await f.user();
    const before = await f.snapshot(org.id);

    // Privilege escalation: an ADMIN promoting an accomplice (or itself) to OWNER.
    await expectFailure(() => service.updateMember(admin.ctx, engineer.membership.id, { role: 'OWNER' }), 'FORBIDDEN', 403);
    await expectFailure(() => service.updateMember(admin.ctx, admin.membership.id, { role: 'OWNER' }), 'FORBIDDEN', 403);
    await expectFailure(() => service.addMember(admin.ctx, { email: newcomer.email, role: 'OWNER', clientId: null }), 'FORBIDDEN', 403);
    // Takeover: an ADMIN demoting or removing the owners.
    await expectFailure(() => service.updateMember(admin.ctx, owner.membership.id, { role: 'ADMIN' }), 'FORBIDDEN', 403);
    await expectFailure(() => service.updateMember(admin.ctx, owner.membership.id, { role: 'OWNER' }), 'FORBIDDEN', 403);
    await expectFailure(() => service.removeMember(admin.ctx, owner.membership.id), 'FORBIDDEN', 403);
    expect(await f.snapshot(org.id)).toEqual(before);

    // What an ADMIN may do, it can.
    await service.updateMember(admin.ctx, engineer.membership.id, { role: 'VIEWER' });
    expect((await f.snapshot(org.id)).memberships.find((m) => m.id === engineer.membership.id)?.role).toBe('VIEWER');
  });

  describe('a CLIENT_OWNER', () => {
    async function clientScene() {
      const org = await f.org();
      const home = await f.client(org.id);
      const sibling = await f.client(org.id);
      const owner = await f.member(org.id, 'OWNER');
      const engineer = await f.member(org.id, 'ENGINEER');
      const mate = await f.member(org.id, 'CLIENT_MEMBER', home.id);
      const stranger = await f.member(org.id, 'CLIENT_MEMBER', sibling.id);
      const actor = await f.actor(org.id, 'CLIENT_OWNER', { clientId: home.id });
      const newcomer = await f.user();
      return { org, home, sibling, owner, engineer, mate, stranger, actor, newcomer };
    }

    it('adds, changes and removes members of its own client', async () => {
      const s = await clientScene();
      await service.addMember(s.actor.ctx, { email: s.newcomer.email, role: 'CLIENT_MEMBER', clientId: s.home.id });
      await service.updateMember(s.actor.ctx, s.mate.membership.id, { role: 'CLIENT_OWNER' });
      const after = (await f.snapshot(s.org.id)).memberships;
      expect(after.find((m) => m.userId === s.newcomer.id)).toMatchObject({ role: 'CLIENT_MEMBER', clientId: s.home.id });
      expect(after.find((m) => m.id === s.mate.membership.id)).toMatchObject({ role: 'CLIENT_OWNER', clientId: s.home.id });

      await service.removeMember(s.actor.ctx, s.mate.membership.id);
      expect((await f.snapshot(s.org.id)).memberships.map((m) => m.id)).not.toContain(s.mate.membership.id);
    });

    it('gets "not found" for another client’s members and clients, and changes nothing', async () => {
      const s = await clientScene();
      const before = await f.snapshot(s.org.id);
      const { ctx } = s.actor;

      await expectFailure(
        () => service.addMember(ctx, { email: s.newcomer.email, role: 'CLIENT_MEMBER', clientId: s.sibling.id }),
        'CLIENT_NOT_FOUND',
        404,
      );
      await expectFailure(() => service.updateMember(ctx, s.stranger.membership.id, { role: 'CLIENT_OWNER' }), 'MEMBER_NOT_FOUND', 404);
      await expectFailure(() => service.removeMember(ctx, s.stranger.membership.id), 'MEMBER_NOT_FOUND', 404);
      // Moving its own member into a client it does not belong to.
      await expectFailure(
        () => service.updateMember(ctx, s.mate.membership.id, { role: 'CLIENT_MEMBER', clientId: s.sibling.id }),
        'CLIENT_NOT_FOUND',
        404,
      );
      // The agency's own staff are invisible to it as well.
      await expectFailure(() => service.updateMember(ctx, s.owner.membership.id, { role: 'VIEWER' }), 'MEMBER_NOT_FOUND', 404);
      await expectFailure(() => service.removeMember(ctx, s.engineer.membership.id), 'MEMBER_NOT_FOUND', 404);
      expect(await f.snapshot(s.org.id)).toEqual(before);
    });

    // Privilege escalation: a customer making itself, or a friend, a member of the agency staff.
    it('cannot grant an org-wide role', async () => {
      const s = await clientScene();
      const before = await f.snapshot(s.org.id);
      const { ctx } = s.actor;
      for (const role of ['OWNER', 'ADMIN', 'ENGINEER', 'VIEWER'] as const) {
        await expectFailure(() => service.addMember(ctx, { email: s.newcomer.email, role, clientId: null }), 'FORBIDDEN', 403);
        await expectFailure(() => service.updateMember(ctx, s.mate.membership.id, { role }), 'FORBIDDEN', 403);
        await expectFailure(() => service.updateMember(ctx, s.actor.membership.id, { role }), 'FORBIDDEN', 403);
      }
      expect(await f.snapshot(s.org.id)).toEqual(before);
    });
  });

  describe('role shape: client roles carry exactly one client, org roles none', () => {
    it('refuses a client role without a client and an org role with one when adding', async () => {
      const org = await f.org();
      const client = await f.client(org.id);
      const { ctx } = await f.actor(org.id, 'OWNER');
      const newcomer = await f.user();
      const before = await f.snapshot(org.id);

      for (const role of ['CLIENT_OWNER', 'CLIENT_MEMBER'] as const) {
        await expectFailure(() => service.addMember(ctx, { email: newcomer.email, role, clientId: null }), 'CLIENT_ROLE_NEEDS_CLIENT', 400);
      }
      for (const role of ['OWNER', 'ADMIN', 'ENGINEER', 'VIEWER'] as const) {
        await expectFailure(
          () => service.addMember(ctx, { email: newcomer.email, role, clientId: client.id }),
          'CLIENT_ROLE_NEEDS_CLIENT',
          400,
        );
      }
      expect(await f.snapshot(org.id)).toEqual(before);
    });

    it('refuses the same shapes when changing a role', async () => {
      const org = await f.org();
      const client = await f.client(org.id);
      const { ctx } = await f.actor(org.id, 'OWNER');
      const engineer = await f.member(org.id, 'ENGINEER');
      const customer = await f.member(org.id, 'CLIENT_MEMBER', client.id);
      const before = await f.snapshot(org.id);

      await expectFailure(
        () => service.updateMember(ctx, engineer.membership.id, { role: 'CLIENT_MEMBER' }),
        'CLIENT_ROLE_NEEDS_CLIENT',
        400,
      );
      await expectFailure(
        () => service.updateMember(ctx, engineer.membership.id, { role: 'CLIENT_MEMBER', clientId: null }),
        'CLIENT_ROLE_NEEDS_CLIENT',
        400,
      );
      // Regression: an explicit clientId on an org role, or an explicit null on a client role,
      // was silently replaced instead of refused like addMember refuses it.
      await expectFailure(
        () => service.updateMember(ctx, customer.membership.id, { role: 'ENGINEER', clientId: client.id }),
        'CLIENT_ROLE_NEEDS_CLIENT',
        400,
      );
      await expectFailure(
        () => service.updateMember(ctx, customer.membership.id, { role: 'CLIENT_OWNER', clientId: null }),
        'CLIENT_ROLE_NEEDS_CLIENT',
        400,
      );
      expect(await f.snapshot(org.id)).toEqual(before);

      // The valid transitions in both directions.
      await service.updateMember(ctx, engineer.membership.id, { role: 'CLIENT_OWNER', clientId: client.id });
      await service.updateMember(ctx, customer.membership.id, { role: 'VIEWER' });
      const after = (await f.snapshot(org.id)).memberships;
      expect(after.find((m) => m.id === engineer.membership.id)).toMatchObject({ role: 'CLIENT_OWNER', clientId: client.id });
      expect(after.find((m) => m.id === customer.membership.id)).toMatchObject({ role: 'VIEWER', clientId: null });
    });
  });

  it('refuses a duplicate membership with MEMBER_EXISTS (409), whatever the role', async () => {
    const org = await f.org();
    const client = await f.client(org.id);
    const { ctx } = await f.actor(org.id, 'OWNER');
    const existing = await f.member(org.id, 'VIEWER');
    const before = await f.snapshot(org.id);

    await expectFailure(() => service.addMember(ctx, { email: existing.user.email, role: 'VIEWER', clientId: null }), 'MEMBER_EXISTS', 409);
    await expectFailure(
      () => service.addMember(ctx, { email: existing.user.email, role: 'CLIENT_MEMBER', clientId: client.id }),
      'MEMBER_EXISTS',
      409,
    );
    expect(await f.snapshot(org.id)).toEqual(before);
  });

  it('adds a user who already belongs to another organization', async () => {
    const org = await f.org();
    const other = await f.org();
    const { ctx } = await f.actor(org.id, 'ADMIN');
    const shared = await f.member(other.id, 'OWNER');
    await service.addMember(ctx, { email: shared.user.email, role: 'ENGINEER', clientId: null });
    expect((await f.snapshot(org.id)).memberships.find((m) => m.userId === shared.user.id)?.role).toBe('ENGINEER');
    expect((await f.snapshot(other.id)).memberships.find((m) => m.userId === shared.user.id)?.role).toBe('OWNER');
  });
});

describe('adding a member by email', () => {
  // Regression: addMember took any user id, so organization A could attach a user of B and then
  // read their email through listMembers. By email, A learns only what it typed.
  it('shows A nothing of B when A adds a member of B, and leaves B’s memberships as they were', async () => {
    const a = await f.org();
    const b = await f.org();
    const clientOfB = await f.client(b.id);
    await f.asset(b.id, { clientId: clientOfB.id });
    await f.asset(b.id);
    const shared = await f.member(b.id, 'OWNER');
    const colleague = await f.member(b.id, 'CLIENT_MEMBER', clientOfB.id);
    const actor = await f.actor(a.id, 'OWNER');
    const beforeB = await f.snapshot(b.id);

    const added = await service.addMember(actor.ctx, { email: shared.user.email, role: 'ENGINEER', clientId: null });
    expect(added).toMatchObject({ userId: shared.user.id, email: shared.user.email, role: 'ENGINEER', clientId: null });

    // Through the service: A's own rows, and the one person it named.
    expect(await service.listClients(actor.ctx)).toEqual([]);
    const members = await service.listMembers(actor.ctx);
    expect(members.map((m) => m.userId).sort()).toEqual([actor.user.id, shared.user.id].sort());
    const listed = JSON.stringify(members);
    for (const secret of [b.id, clientOfB.id, shared.membership.id, colleague.user.email, colleague.membership.id]) {
      expect(listed).not.toContain(secret);
    }
    // Without any application filter: RLS shows A nothing of B either.
    const seen = await f.visibleTo(actor.ctx);
    expect(seen.organizations.map((o) => o.id)).toEqual([a.id]);
    expect(seen.clients).toEqual([]);
    expect(seen.assets).toEqual([]);
    expect(seen.memberships.map((m) => m.orgId)).toEqual([a.id, a.id]);
    expect(seen.users.map((u) => u.id).sort()).toEqual([actor.user.id, shared.user.id].sort());

    expect(await f.snapshot(b.id)).toEqual(beforeB);
  });

  it('answers alike whether or not the email already had an account, so it reveals neither', async () => {
    const org = await f.org();
    const client = await f.client(org.id);
    const foreignClient = await f.client((await f.org()).id);
    const { ctx } = await f.actor(org.id, 'ADMIN');
    // An account with a profile the inviter has never seen, stored in its own casing.
    const known = await f.user({ email: `Known.Person-${uniqueSuffix()}@Example.TEST`, displayName: 'Known Person' });
    await f.membership((await f.org()).id, known.id, 'OWNER');
    const typedKnown = known.email.toUpperCase();
    const unknown = `nobody-${uniqueSuffix()}@example.test`;
    expect(await f.userByEmail(unknown)).toBeNull();
    const before = await f.snapshot(org.id);

    // Every refusal is the same for both, and neither leaves an account behind.
    const refusals: { role: Role; clientId: string | null }[] = [
      { role: 'OWNER', clientId: null }, // above an ADMIN
      { role: 'CLIENT_MEMBER', clientId: null }, // a client role without a client
      { role: 'VIEWER', clientId: client.id }, // an org role with one
      { role: 'CLIENT_MEMBER', clientId: foreignClient.id }, // another organization's client
      { role: 'CLIENT_MEMBER', clientId: randomUUID() }, // no client at all
    ];
    for (const refusal of refusals) {
      const forKnown = await failureOf(() => service.addMember(ctx, { email: typedKnown, ...refusal }));
      const forUnknown = await failureOf(() => service.addMember(ctx, { email: unknown, ...refusal }));
      expect({ ...refusal, ...errorOf(forKnown) }).toEqual({ ...refusal, ...errorOf(forUnknown) });
    }
    expect(await f.userByEmail(unknown)).toBeNull();
    expect(await f.snapshot(org.id)).toEqual(before);

    const forKnown = await service.addMember(ctx, { email: typedKnown, role: 'CLIENT_MEMBER', clientId: client.id });
    const forUnknown = await service.addMember(ctx, { email: unknown, role: 'CLIENT_MEMBER', clientId: client.id });
    // The answer carries the inviter's own input (in lower case), never the stored profile.
    expect(forKnown.email).toBe(typedKnown.toLowerCase());
    expect(forUnknown.email).toBe(unknown);
    expect(JSON.stringify(forKnown)).not.toContain('Known Person');
    const sameness = (m: MemberView) => ({ keys: Object.keys(m).sort(), role: m.role, clientId: m.clientId, displayName: m.displayName });
    expect(sameness(forKnown)).toEqual(sameness(forUnknown));

    // The known email found its account whatever the casing; the unknown one got a new one.
    expect(forKnown.userId).toBe(known.id);
    expect(await f.userByEmail(unknown)).toMatchObject({ id: forUnknown.userId, email: unknown, displayName: null });
    // A second attempt collides the same way for both.
    for (const email of [typedKnown, unknown]) {
      await expectFailure(() => service.addMember(ctx, { email, role: 'VIEWER', clientId: null }), 'MEMBER_EXISTS', 409);
    }
  });

  it.each([
    { why: 'a malformed email', email: 'not-an-email' },
    { why: 'an empty email', email: '' },
    { why: 'an email with a NUL byte', email: 'a\u0000b@example.test' },
    { why: 'an email over 254 characters', email: `${'a'.repeat(64)}@${'b'.repeat(190)}.test` },
  ])('refuses $why with VALIDATION_FAILED (400) and creates no account', async ({ email }) => {
    const org = await f.org();
    const { ctx } = await f.actor(org.id, 'OWNER');
    const [before, accounts] = [await f.snapshot(org.id), await f.userCount()];
    await expectFailure(() => service.addMember(ctx, { email, role: 'VIEWER', clientId: null }), 'VALIDATION_FAILED', 400);
    expect(await f.userCount()).toBe(accounts);
    expect(await f.snapshot(org.id)).toEqual(before);
  });

  it('answers with the presented member, and updateMember with the member as listed', async () => {
    const org = await f.org();
    const client = await f.client(org.id);
    const { ctx } = await f.actor(org.id, 'OWNER');
    const email = `new-${uniqueSuffix()}@example.test`;

    const added = await service.addMember(ctx, { email, role: 'VIEWER', clientId: null });
    expect(Object.keys(added).sort()).toEqual(['clientId', 'createdAt', 'displayName', 'email', 'id', 'role', 'userId']);
    const changed = await service.updateMember(ctx, added.id, { role: 'CLIENT_MEMBER', clientId: client.id });
    expect(changed).toEqual({ ...added, role: 'CLIENT_MEMBER', clientId: client.id });
    expect((await service.listMembers(ctx)).find((m) => m.id === added.id)).toEqual(changed);
  });

  // Race: the client is deleted by another transaction after the service checked it and before
  // the membership row is written; the foreign key refused it with a bare 500.
  describe('when the client is deleted concurrently', () => {
    it('answers CLIENT_NOT_FOUND to addMember and creates no account', async () => {
      const org = await f.org();
      const doomed = await f.client(org.id);
      const { ctx } = await f.actor(org.id, 'OWNER');
      const email = `late-${uniqueSuffix()}@example.test`;
      await expectFailure(
        () =>
          deleteClientMidway(t, 'memberships', doomed.id, () =>
            service.addMember(ctx, { email, role: 'CLIENT_MEMBER', clientId: doomed.id }),
          ),
        'CLIENT_NOT_FOUND',
        404,
      );
      expect(await f.userByEmail(email)).toBeNull();
    });

    it('answers CLIENT_NOT_FOUND to updateMember and keeps the member where it was', async () => {
      const org = await f.org();
      const home = await f.client(org.id);
      const doomed = await f.client(org.id);
      const { ctx } = await f.actor(org.id, 'OWNER');
      const customer = await f.member(org.id, 'CLIENT_MEMBER', home.id);
      await expectFailure(
        () =>
          deleteClientMidway(t, 'memberships', doomed.id, () =>
            service.updateMember(ctx, customer.membership.id, { role: 'CLIENT_OWNER', clientId: doomed.id }),
          ),
        'CLIENT_NOT_FOUND',
        404,
      );
      expect((await f.snapshot(org.id)).memberships.find((m) => m.id === customer.membership.id)).toEqual(customer.membership);
    });
  });
});

/** The parts of an error a caller sees. */
function errorOf(error: AppError) {
  return { code: error.code, status: error.status, detail: error.detail };
}

describe('clients', () => {
  it('keeps client names unique per organization, ignoring case', async () => {
    const org = await f.org();
    const { ctx } = await f.actor(org.id, 'ADMIN');
    const acme = await service.createClient(ctx, { name: 'Acme GmbH' });
    const other = await service.createClient(ctx, { name: 'Globex' });
    const before = await f.snapshot(org.id);

    await expectFailure(() => service.createClient(ctx, { name: 'Acme GmbH' }), 'CLIENT_NAME_TAKEN', 409);
    await expectFailure(() => service.createClient(ctx, { name: 'ACME gmbh' }), 'CLIENT_NAME_TAKEN', 409);
    await expectFailure(() => service.renameClient(ctx, other.id, { name: 'acme gmbh' }), 'CLIENT_NAME_TAKEN', 409);
    expect(await f.snapshot(org.id)).toEqual(before);

    // Renaming a client to a different casing of its own name is not a clash.
    expect(await service.renameClient(ctx, acme.id, { name: 'ACME GmbH' })).toMatchObject({ id: acme.id, name: 'ACME GmbH' });
  });

  it('lets two organizations use the same client name', async () => {
    const a = await f.actor((await f.org()).id, 'OWNER');
    const b = await f.actor((await f.org()).id, 'OWNER');
    const inA = await service.createClient(a.ctx, { name: 'Initech' });
    const inB = await service.createClient(b.ctx, { name: 'INITECH' });
    expect(inA.id).not.toBe(inB.id);
    expect((await service.listClients(a.ctx)).map((c) => c.name)).toEqual(['Initech']);
    expect((await service.listClients(b.ctx)).map((c) => c.name)).toEqual(['INITECH']);
  });

  it('refuses to delete a client that has assets (CLIENT_IN_USE), keeping it, its assets and its people', async () => {
    const org = await f.org();
    const client = await f.client(org.id);
    await f.asset(org.id, { clientId: client.id });
    await f.member(org.id, 'CLIENT_OWNER', client.id);
    const { ctx } = await f.actor(org.id, 'OWNER');
    const before = await f.snapshot(org.id);

    await expectFailure(() => service.deleteClient(ctx, client.id), 'CLIENT_IN_USE', 409);
    expect(await f.snapshot(org.id)).toEqual(before);
    expect(await service.getClient(ctx, client.id)).toMatchObject({ id: client.id });
  });

  it('deletes a client without assets', async () => {
    const org = await f.org();
    const client = await f.client(org.id);
    const { ctx } = await f.actor(org.id, 'ADMIN');
    await service.deleteClient(ctx, client.id);
    await expectFailure(() => service.getClient(ctx, client.id), 'CLIENT_NOT_FOUND', 404);
    await expectFailure(() => service.deleteClient(ctx, client.id), 'CLIENT_NOT_FOUND', 404);
  });
});
