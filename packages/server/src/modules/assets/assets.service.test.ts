import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AssetRow,
  type ClientRow,
  createFactories,
  deleteClientMidway,
  expectFailure,
  type Factories,
  failureOf,
} from '../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { ROLES, type Role } from '../../db/schema.ts';
import type { TenantContext } from '../../db/tenant.ts';
import { can, type Permission } from '../tenancy/permissions.ts';
import type { AssetView } from './assets.schemas.ts';
import { type AssetsService, createAssetsService } from './assets.service.ts';

/**
 * The assets service on a real, migrated database (PGlite, or PostgreSQL under DATABASE_URL),
 * as the RLS-bound app role. One database for the file; each test works in fresh organizations.
 */
let t: TestDatabase;
let f: Factories;
let service: AssetsService;

beforeAll(async () => {
  t = await createTestDatabase();
  f = createFactories(t.database.db);
  service = createAssetsService({ db: t.database.db });
});
afterAll(() => t?.destroy());

/** An organization with two clients, an asset in each and one agency-level asset. */
interface Scene {
  orgId: string;
  ctx: TenantContext;
  home: ClientRow;
  sibling: ClientRow;
  homeAsset: AssetRow;
  siblingAsset: AssetRow;
  agencyAsset: AssetRow;
}

async function scene(role: Role): Promise<Scene> {
  const org = await f.org();
  const home = await f.client(org.id);
  const sibling = await f.client(org.id);
  const homeAsset = await f.asset(org.id, { clientId: home.id, kind: 'site', name: 'b-home.example.test' });
  const siblingAsset = await f.asset(org.id, { clientId: sibling.id, kind: 'server', name: 'c-sibling' });
  const agencyAsset = await f.asset(org.id, { clientId: null, kind: 'server', name: 'a-agency' });
  const { ctx } = await f.actor(org.id, role, { clientId: home.id });
  return { orgId: org.id, ctx, home, sibling, homeAsset, siblingAsset, agencyAsset };
}

interface Operation {
  name: keyof AssetsService;
  permission: Permission;
  run(s: Scene): Promise<unknown>;
  took(s: Scene, result: unknown): Promise<void>;
}

const operations: Operation[] = [
  {
    name: 'list',
    permission: 'asset:read',
    run: (s) => service.list(s.ctx),
    took: async (s, result) => {
      const expected = s.ctx.clientIds === 'all' ? [s.agencyAsset, s.homeAsset, s.siblingAsset] : [s.homeAsset];
      expect((result as AssetView[]).map((a) => a.id)).toEqual(expected.map((a) => a.id));
    },
  },
  {
    name: 'get',
    permission: 'asset:read',
    run: (s) => service.get(s.ctx, s.homeAsset.id),
    took: async (s, result) => expect(result).toMatchObject({ id: s.homeAsset.id, name: s.homeAsset.name, clientId: s.home.id }),
  },
  {
    name: 'create',
    permission: 'asset:create',
    run: (s) => service.create(s.ctx, { kind: 'site', name: 'new.example.test', clientId: s.home.id }),
    took: async (s, result) => {
      const created = (await f.snapshot(s.orgId)).assets.find((a) => a.id === (result as AssetView).id);
      expect(created).toMatchObject({ kind: 'site', name: 'new.example.test', clientId: s.home.id });
    },
  },
  {
    name: 'update',
    permission: 'asset:update',
    run: (s) => service.update(s.ctx, s.homeAsset.id, { name: 'renamed.example.test' }),
    took: async (s) => {
      const updated = (await f.snapshot(s.orgId)).assets.find((a) => a.id === s.homeAsset.id);
      expect(updated).toMatchObject({ name: 'renamed.example.test', clientId: s.home.id });
    },
  },
  {
    name: 'delete',
    permission: 'asset:delete',
    run: (s) => service.delete(s.ctx, s.homeAsset.id),
    took: async (s) => expect((await f.snapshot(s.orgId)).assets.map((a) => a.id)).not.toContain(s.homeAsset.id),
  },
];

describe('every role × every asset operation follows the permission matrix', () => {
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
});

describe('tenant isolation', () => {
  async function twoOrgs() {
    const a = await scene('CLIENT_MEMBER');
    const b = await scene('OWNER');
    return { a, b };
  }

  it('lists for a CLIENT_MEMBER only its own client’s assets, whatever the filter', async () => {
    const { a } = await twoOrgs();
    expect((await service.list(a.ctx)).map((x) => x.id)).toEqual([a.homeAsset.id]);
    expect((await service.list(a.ctx, { kind: 'site' })).map((x) => x.id)).toEqual([a.homeAsset.id]);
    expect(await service.list(a.ctx, { kind: 'server' })).toEqual([]);
    // Asking for a sibling client's assets by filter must not widen the scope.
    expect(await service.list(a.ctx, { clientId: a.sibling.id })).toEqual([]);
    expect((await service.list(a.ctx, { clientId: a.home.id })).map((x) => x.id)).toEqual([a.homeAsset.id]);
  });

  it('answers "not found" (never "forbidden", never the row) to a CLIENT_MEMBER for any asset outside its client', async () => {
    const { a, b } = await twoOrgs();
    expect(await service.get(a.ctx, a.homeAsset.id)).toMatchObject({ id: a.homeAsset.id });
    // A sibling client's asset, the agency's own asset, another agency's asset and a made-up id
    // answer alike, so a client user cannot probe for what exists.
    for (const id of [a.siblingAsset.id, a.agencyAsset.id, b.homeAsset.id, b.agencyAsset.id, randomUUID()]) {
      await expectFailure(() => service.get(a.ctx, id), 'ASSET_NOT_FOUND', 404);
    }
  });

  it('lets a CLIENT_MEMBER change or delete no asset, and its refusal does not depend on the asset existing', async () => {
    const { a, b } = await twoOrgs();
    const beforeA = await f.snapshot(a.orgId);
    const beforeB = await f.snapshot(b.orgId);
    for (const id of [a.siblingAsset.id, b.homeAsset.id, randomUUID()]) {
      const update = await failureOf(() => service.update(a.ctx, id, { name: 'pwned' }));
      const remove = await failureOf(() => service.delete(a.ctx, id));
      expect([update.code, remove.code]).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    }
    expect(await f.snapshot(a.orgId)).toEqual(beforeA);
    expect(await f.snapshot(b.orgId)).toEqual(beforeB);
  });

  it('answers "not found" to organization A for organization B’s assets, and leaves B untouched', async () => {
    const { a, b } = await twoOrgs();
    const engineer = await f.actor(a.orgId, 'ENGINEER');
    const beforeB = await f.snapshot(b.orgId);

    const listed = (await service.list(engineer.ctx)).map((x) => x.id);
    expect(listed.sort()).toEqual([a.homeAsset.id, a.siblingAsset.id, a.agencyAsset.id].sort());
    expect(await service.list(engineer.ctx, { clientId: b.home.id })).toEqual([]);
    for (const asset of [b.homeAsset, b.agencyAsset]) {
      await expectFailure(() => service.get(engineer.ctx, asset.id), 'ASSET_NOT_FOUND', 404);
      await expectFailure(() => service.update(engineer.ctx, asset.id, { name: 'pwned' }), 'ASSET_NOT_FOUND', 404);
      await expectFailure(() => service.update(engineer.ctx, asset.id, { clientId: a.home.id }), 'ASSET_NOT_FOUND', 404);
      await expectFailure(() => service.delete(engineer.ctx, asset.id), 'ASSET_NOT_FOUND', 404);
    }
    expect(await f.snapshot(b.orgId)).toEqual(beforeB);
  });

  it('refuses to create an asset under another organization’s client (ASSET_CLIENT_NOT_FOUND) and writes nothing', async () => {
    const { a, b } = await twoOrgs();
    const engineer = await f.actor(a.orgId, 'ENGINEER');
    const beforeA = await f.snapshot(a.orgId);
    const beforeB = await f.snapshot(b.orgId);

    await expectFailure(
      () => service.create(engineer.ctx, { kind: 'server', name: 'planted', clientId: b.home.id }),
      'ASSET_CLIENT_NOT_FOUND',
      404,
    );
    await expectFailure(
      () => service.create(engineer.ctx, { kind: 'server', name: 'planted', clientId: randomUUID() }),
      'ASSET_CLIENT_NOT_FOUND',
      404,
    );
    expect(await f.snapshot(a.orgId)).toEqual(beforeA);
    expect(await f.snapshot(b.orgId)).toEqual(beforeB);
  });

  it('refuses to move an asset to another organization’s client, keeping it where it was', async () => {
    const { a, b } = await twoOrgs();
    const engineer = await f.actor(a.orgId, 'ENGINEER');
    const beforeA = await f.snapshot(a.orgId);
    const beforeB = await f.snapshot(b.orgId);

    await expectFailure(() => service.update(engineer.ctx, a.homeAsset.id, { clientId: b.home.id }), 'ASSET_CLIENT_NOT_FOUND', 404);
    expect(await f.snapshot(a.orgId)).toEqual(beforeA);
    expect(await f.snapshot(b.orgId)).toEqual(beforeB);
  });
});

describe('org-wide asset management', () => {
  it('creates agency-level and client assets, moves them between clients and back to the agency', async () => {
    const s = await scene('ENGINEER');
    const agency = await service.create(s.ctx, { kind: 'server', name: 'bastion', clientId: null });
    expect(agency).toMatchObject({ kind: 'server', name: 'bastion', clientId: null });

    const moved = await service.update(s.ctx, agency.id, { clientId: s.sibling.id });
    expect(moved).toMatchObject({ id: agency.id, name: 'bastion', clientId: s.sibling.id });
    const back = await service.update(s.ctx, agency.id, { clientId: null });
    expect(back).toMatchObject({ id: agency.id, clientId: null });

    expect((await service.list(s.ctx, { clientId: s.sibling.id })).map((a) => a.id)).toEqual([s.siblingAsset.id]);
    await service.delete(s.ctx, agency.id);
    await expectFailure(() => service.get(s.ctx, agency.id), 'ASSET_NOT_FOUND', 404);
    await expectFailure(() => service.delete(s.ctx, agency.id), 'ASSET_NOT_FOUND', 404);
  });

  it('presents assets through an allow-list: no org id or other columns leave the service', async () => {
    const s = await scene('VIEWER');
    const view = await service.get(s.ctx, s.homeAsset.id);
    expect(Object.keys(view).sort()).toEqual([
      'agentState',
      'agentVersion',
      'checkInSeconds',
      'clientId',
      'createdAt',
      'enrolledAt',
      'hostname',
      'id',
      'kernel',
      'kind',
      'lastInventoryAt',
      'lastSeenAt',
      'name',
      'openFindings',
      'os',
      'updatedAt',
    ]);
    const [listed] = await service.list(s.ctx);
    expect(Object.keys(listed ?? {}).sort()).toEqual([
      'agentState',
      'clientId',
      'createdAt',
      'hostname',
      'id',
      'kind',
      'lastSeenAt',
      'name',
      'openFindings',
      'os',
      'updatedAt',
    ]);
    expect(view.createdAt).toBe(s.homeAsset.createdAt.toISOString());
  });
});

// Race: the client is deleted (as by another transaction) after the service checked it and before the
// asset row is written; the foreign key refused the write with a bare 500.
describe('when the client is deleted concurrently', () => {
  it('answers ASSET_CLIENT_NOT_FOUND to create and writes nothing', async () => {
    const s = await scene('ENGINEER');
    const doomed = await f.client(s.orgId);
    const before = await f.snapshot(s.orgId);
    await expectFailure(
      () =>
        deleteClientMidway(t, 'assets', doomed.id, () =>
          service.create(s.ctx, { kind: 'site', name: 'late.example.test', clientId: doomed.id }),
        ),
      'ASSET_CLIENT_NOT_FOUND',
      404,
    );
    expect((await f.snapshot(s.orgId)).assets).toEqual(before.assets);
  });

  it('answers ASSET_CLIENT_NOT_FOUND to a move and keeps the asset where it was', async () => {
    const s = await scene('ENGINEER');
    const doomed = await f.client(s.orgId);
    const before = await f.snapshot(s.orgId);
    await expectFailure(
      () => deleteClientMidway(t, 'assets', doomed.id, () => service.update(s.ctx, s.homeAsset.id, { name: 'moved', clientId: doomed.id })),
      'ASSET_CLIENT_NOT_FOUND',
      404,
    );
    expect((await f.snapshot(s.orgId)).assets).toEqual(before.assets);
  });
});
