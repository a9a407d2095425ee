import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories } from '../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { AppError } from '../../lib/app-error.ts';
import { authenticateToken } from '../auth/api-keys/index.ts';
import { listAgents, revokeAgentToken, rotateAgentToken } from './agents.admin.ts';

/** `vigil agents list|rotate|revoke` as the CLI runs them, on a real database. */
let t: TestDatabase;
let f: Factories;
beforeAll(async () => {
  t = await createTestDatabase();
  f = createFactories(t.database.db);
});
afterAll(() => t?.destroy());

describe('vigil agents', () => {
  it('rotates (the new token works, the old one stops), lists without secrets, and revokes', async () => {
    const org = await f.org();
    const server = await f.asset(org.id, { kind: 'server', name: 'cli-box' });
    const first = await rotateAgentToken(t.database, server.id);
    expect(await authenticateToken(t.database.db, first)).toMatchObject({ kind: 'agent', assetId: server.id });
    const second = await rotateAgentToken(t.database, server.id);
    expect(await authenticateToken(t.database.db, first)).toBeNull();
    expect(await authenticateToken(t.database.db, second)).toMatchObject({ kind: 'agent', assetId: server.id });

    const listed = (await listAgents(t.database)).find((a) => a.assetId === server.id);
    expect(listed).toMatchObject({
      name: 'cli-box',
      orgSlug: org.slug,
      state: 'none',
      tokenPrefix: second.slice(0, second.lastIndexOf('_')),
    });
    expect(JSON.stringify(await listAgents(t.database))).not.toContain(second.slice(-43));

    await revokeAgentToken(t.database, server.id);
    expect(await authenticateToken(t.database.db, second)).toBeNull();
    expect((await listAgents(t.database)).find((a) => a.assetId === server.id)?.tokenPrefix).toBeNull();
  });

  it('refuses unknown ids, sites and garbage as not found', async () => {
    const org = await f.org();
    const site = await f.asset(org.id, { kind: 'site' });
    for (const id of [site.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid', "'; DROP TABLE vigil.assets; --"]) {
      await expect(rotateAgentToken(t.database, id)).rejects.toBeInstanceOf(AppError);
      await expect(revokeAgentToken(t.database, id)).rejects.toBeInstanceOf(AppError);
    }
  });
});
