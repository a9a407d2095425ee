import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories } from '../../../test/helpers/factories.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import type { Role } from '../../db/schema.ts';
import { seedFindings } from '../findings/findings.test-kit.ts';
import { clientIdsOf, seedEnrollmentToken, seedInventory, seedPackages } from './assets.test-kit.ts';

/**
 * Moving a server to another client moves everything that carries its client (findings, the
 * package inventory, its history, enrollment and agent tokens) in the same transaction: RLS
 * shows rows to a client by their own client_id, so a row left behind would stay visible to the
 * old client and be hidden from the new one.
 */
let ta: TestApp;
let f: Factories;

beforeAll(async () => {
  ta = await createTestApp();
  f = createFactories(ta.t.database.db);
});
afterAll(() => ta?.close());

async function scene() {
  const db = ta.t.database.db;
  const org = await f.org();
  const [c1, c2] = [await f.client(org.id), await f.client(org.id)];
  const server = await f.asset(org.id, { clientId: c1.id, name: 'moving.example.test' });
  const bystander = await f.asset(org.id, { clientId: c1.id, name: 'staying.example.test' });
  const login = async (role: Role, clientId?: string) => {
    const a = await f.actor(org.id, role, clientId ? { clientId } : {});
    return ta.tokenFor({ kind: 'user', id: a.user.id, tenant: a.ctx });
  };
  const t = { owner: await login('OWNER'), c1: await login('CLIENT_MEMBER', c1.id), c2: await login('CLIENT_MEMBER', c2.id) };
  const call = async (method: 'GET' | 'PATCH' | 'POST' | 'DELETE', url: string, token: string, payload?: object) =>
    ta.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: token }, ...(payload ? { payload } : {}) });
  await seedFindings(db, org.id, [
    { assetId: server.id, clientId: c1.id, vulnId: 'CVE-2026-0001', severity: 'HIGH' },
    { assetId: bystander.id, clientId: c1.id, vulnId: 'CVE-2026-0002' },
  ]);
  await seedPackages(db, org.id, server.id, c1.id, [{ ecosystem: 'Debian', name: 'openssl', version: '3.0.11-1' }]);
  await seedInventory(db, org.id, server.id, c1.id, {
    changes: [{ change: 'added', ecosystem: 'Debian', name: 'openssl', newVersion: '3.0.11-1' }],
  });
  await seedEnrollmentToken(db, org.id, server.id, c1.id);
  const action = await call('POST', `/assets/${server.id}/actions`, t.owner, {
    command: { kind: 'restart_service', unit: 'nginx.service' },
  });
  expect(action.statusCode, action.body).toBe(201);
  const agent = await call('POST', `/assets/${server.id}/agent-token`, t.owner, {});
  expect(agent.statusCode, agent.body).toBe(201);
  return { org, c1, c2, server, bystander, t, call, agentTokenId: agent.json().id as string, actionId: action.json().id as string };
}

const everything = (clientId: string | null) => ({
  findings: [clientId],
  asset_packages: [clientId],
  inventories: [clientId],
  package_changes: [clientId],
  agent_actions: [clientId],
  enrollment_tokens: [clientId],
  api_keys: [clientId],
});

describe('moving a server to another client', () => {
  it('moves its findings, packages, history and tokens in the same request, and audits the move', async () => {
    const s = await scene();
    expect(await clientIdsOf(ta.t.database.db, s.org.id, s.server.id)).toEqual(everything(s.c1.id));

    const moved = await s.call('PATCH', `/assets/${s.server.id}`, s.t.owner, { clientId: s.c2.id });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ clientId: s.c2.id, openFindings: { total: 1, HIGH: 1 } });
    expect(await clientIdsOf(ta.t.database.db, s.org.id, s.server.id)).toEqual(everything(s.c2.id));
    // The other server of the old client stays where it was.
    expect((await clientIdsOf(ta.t.database.db, s.org.id, s.bystander.id)).findings).toEqual([s.c1.id]);

    const audit = await s.call('GET', `/audit?action=asset.moved&targetId=${s.server.id}`, s.t.owner);
    expect(audit.json().items).toEqual([
      expect.objectContaining({ action: 'asset.moved', clientId: s.c2.id, before: { clientId: s.c1.id }, after: { clientId: s.c2.id } }),
    ]);
  });

  it('shows the new client everything about the server and the old client nothing', async () => {
    const s = await scene();
    await s.call('PATCH', `/assets/${s.server.id}`, s.t.owner, { clientId: s.c2.id });
    const findingsOf = async (token: string) =>
      (await s.call('GET', `/findings?assetId=${s.server.id}`, token)).json().items.map((i: { vulnId: string }) => i.vulnId);
    expect(await findingsOf(s.t.c2)).toEqual(['CVE-2026-0001']);
    expect(await findingsOf(s.t.c1)).toEqual([]);
    for (const sub of ['', '/packages', '/inventory-history', '/package-changes', '/facts']) {
      expect((await s.call('GET', `/assets/${s.server.id}${sub}`, s.t.c2)).statusCode).toBe(200);
      expect((await s.call('GET', `/assets/${s.server.id}${sub}`, s.t.c1)).statusCode).toBe(404);
    }
    expect((await s.call('GET', `/assets/${s.server.id}/packages`, s.t.c2)).json().items).toHaveLength(1);
    // Its actions (with their output, once run) go along: the old client can no longer read them.
    expect((await s.call('GET', `/actions/${s.actionId}`, s.t.c2)).statusCode).toBe(200);
    expect((await s.call('GET', `/actions/${s.actionId}`, s.t.c1)).statusCode).toBe(404);
    expect((await s.call('GET', `/assets/${s.server.id}/actions`, s.t.c2)).json().items).toHaveLength(1);
    expect((await s.call('GET', `/assets/${s.server.id}/package-changes`, s.t.c2)).json().items).toHaveLength(1);
  });

  it('moves the agent token with the server, so deleting the old client leaves it alone', async () => {
    const s = await scene();
    await s.call('DELETE', `/assets/${s.bystander.id}`, s.t.owner);
    await s.call('PATCH', `/assets/${s.server.id}`, s.t.owner, { clientId: s.c2.id });
    const deleted = await s.call('DELETE', `/clients/${s.c1.id}`, s.t.owner);
    expect(deleted.statusCode, deleted.body).toBe(204);
    const keys = (await s.call('GET', '/api-keys', s.t.owner)).json();
    const list = Array.isArray(keys) ? keys : keys.items;
    expect(list.find((k: { id: string }) => k.id === s.agentTokenId)).toMatchObject({ clientId: s.c2.id, revokedAt: null });
  });

  it('moves everything to the agency and back, the agent token’s role following its client', async () => {
    const s = await scene();
    const toAgency = await s.call('PATCH', `/assets/${s.server.id}`, s.t.owner, { clientId: null });
    expect(toAgency.statusCode, toAgency.body).toBe(200);
    expect(await clientIdsOf(ta.t.database.db, s.org.id, s.server.id)).toEqual(everything(null));
    const keys = (await s.call('GET', '/api-keys', s.t.owner)).json();
    const list = Array.isArray(keys) ? keys : keys.items;
    expect(list.find((k: { id: string }) => k.id === s.agentTokenId)).toMatchObject({ clientId: null, role: 'VIEWER' });
    await s.call('PATCH', `/assets/${s.server.id}`, s.t.owner, { clientId: s.c1.id });
    expect(await clientIdsOf(ta.t.database.db, s.org.id, s.server.id)).toEqual(everything(s.c1.id));
  });

  it('renaming moves nothing and audits no move', async () => {
    const s = await scene();
    const renamed = await s.call('PATCH', `/assets/${s.server.id}`, s.t.owner, { name: 'renamed.example.test', clientId: s.c1.id });
    expect(renamed.statusCode).toBe(200);
    expect(await clientIdsOf(ta.t.database.db, s.org.id, s.server.id)).toEqual(everything(s.c1.id));
    expect((await s.call('GET', `/audit?action=asset.moved&targetId=${s.server.id}`, s.t.owner)).json().items).toEqual([]);
  });
});
