import { ACTION_KEY_SET_SCHEMA, type ActionKey, AGENT_PATHS, CHECKIN_SCHEMA, openActionKeySet } from '@vigil/protocol';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedContext } from '../../../test/helpers/factories.ts';
import { withTenant } from '../../db/tenant.ts';
import { publish, releaseSigner, releasesDir } from '../releases/releases.test-kit.ts';
import { sweepOfflineAgents } from './agents.jobs.ts';
import {
  type AgentTestApp,
  bionicPackages,
  checkIn,
  createAgentTestApp,
  inventoryOf,
  sendInventory,
  userActor,
} from './agents.test-kit.ts';
import { rows } from './enrollment.repo.ts';

/** Check-in, token revocation and the offline sweep, through the real app and database. */
let ta: AgentTestApp;
beforeAll(async () => {
  ta = await createAgentTestApp();
});
afterAll(() => ta?.close());

async function enrolledServer(on: AgentTestApp = ta) {
  const org = await on.f.org();
  const client = await on.f.client(org.id);
  const engineer = await on.f.actor(org.id, 'ENGINEER');
  const bearer = on.bearerFor(userActor(engineer.ctx));
  const { token } = (
    await on.app.inject({
      method: 'POST',
      url: '/api/v1/enrollment-tokens',
      headers: { authorization: bearer },
      payload: { name: 't', clientId: client.id },
    })
  ).json();
  const enrolled = (
    await on.app.inject({ method: 'POST', url: AGENT_PATHS.enroll, payload: { token, hostname: 'h.example.test', agentVersion: '1.0.0' } })
  ).json();
  return {
    org,
    client,
    bearer,
    assetId: enrolled.assetId as string,
    agentToken: enrolled.agentToken as string,
    actionKeys: enrolled.actionKeys as ActionKey[],
  };
}

const assetRow = (orgId: string, assetId: string) =>
  withTenant(ta.t.database.db, seedContext(orgId), async (tx) => {
    const [row] = await rows<Record<string, unknown>>(tx, sql`SELECT * FROM vigil.assets WHERE id = ${assetId}::uuid`);
    return row;
  });

describe('check-in', () => {
  // The keys that decide what runs as root change only through a statement the pinned keys signed.
  it('carries the action keys as a set signed by the keys pinned at enrollment, for this server only', async () => {
    const server = await enrolledServer();
    const answer = (await checkIn(ta.app, server.agentToken, inventoryOf(bionicPackages().slice(0, 3)))).json();
    expect(answer.actionKeys).toBeUndefined();
    const set = openActionKeySet(answer.actionKeySet, server.actionKeys);
    expect(set).toMatchObject({ schema: ACTION_KEY_SET_SCHEMA, assetId: server.assetId, keys: server.actionKeys });
    expect(Date.parse(set.issuedAt)).toBe(Date.parse(answer.serverTime));
  });

  it('marks the server online and asks for an inventory until it holds the same digest', async () => {
    const server = await enrolledServer();
    const inventory = inventoryOf(bionicPackages().slice(0, 20));
    const first = await checkIn(ta.app, server.agentToken, inventory);
    expect(first.statusCode).toBe(200);
    expect(first.json().inventoryWanted).toBe(true);
    expect(await assetRow(server.org.id, server.assetId)).toMatchObject({ agent_state: 'online', agent_version: '1.0.0' });
    expect((await sendInventory(ta.app, server.agentToken, inventory)).statusCode).toBe(200);
    expect((await checkIn(ta.app, server.agentToken, inventory)).json().inventoryWanted).toBe(false);
    // A day-old inventory is wanted again even when nothing changed.
    await withTenant(ta.t.database.db, seedContext(server.org.id), (tx) =>
      tx.execute(sql`UPDATE vigil.assets SET last_inventory_at = now() - interval '25 hours' WHERE id = ${server.assetId}::uuid`),
    );
    expect((await checkIn(ta.app, server.agentToken, inventory)).json().inventoryWanted).toBe(true);
  });

  it('touches only the token’s own server, whatever the body says', async () => {
    const mine = await enrolledServer();
    const other = await enrolledServer();
    const before = await assetRow(other.org.id, other.assetId);
    const response = await ta.app.inject({
      method: 'POST',
      url: AGENT_PATHS.checkIn,
      headers: { authorization: `Bearer ${mine.agentToken}` },
      payload: {
        schema: CHECKIN_SCHEMA,
        agentVersion: '9.9.9',
        hostname: 'evil',
        inventoryDigest: '0'.repeat(64),
        uptimeSeconds: 1,
        assetId: other.assetId,
      },
    });
    expect(response.statusCode).toBe(400);
    expect((await checkIn(ta.app, mine.agentToken)).statusCode).toBe(200);
    expect(await assetRow(other.org.id, other.assetId)).toEqual(before);
    // An agent token reaches agent routes only; a person never reaches agent routes.
    expect(
      (await ta.app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: `Bearer ${mine.agentToken}` } })).statusCode,
    ).toBe(403);
    expect(
      (await ta.app.inject({ method: 'POST', url: AGENT_PATHS.checkIn, headers: { authorization: mine.bearer }, payload: {} })).statusCode,
    ).toBe(403);
  });

  it('refuses malformed check-ins', async () => {
    const server = await enrolledServer();
    const headers = { authorization: `Bearer ${server.agentToken}`, 'content-type': 'application/json' };
    for (const payload of ['{}', '{"schema":"vigil.checkin/2"}', '[]', '"x"', 'null', '{"schema":', `{"a":"${'x'.repeat(2_000_000)}"}`]) {
      const response = await ta.app.inject({ method: 'POST', url: AGENT_PATHS.checkIn, headers, payload });
      expect(response.statusCode, payload.slice(0, 20)).toBe(payload.length > 1_000_000 ? 413 : 400);
    }
    const text = await ta.app.inject({
      method: 'POST',
      url: AGENT_PATHS.checkIn,
      headers: { ...headers, 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect(text.statusCode).toBe(415);
  });
});

describe('agent tokens on the dashboard', () => {
  it('revoked: the next check-in and inventory get 401; rotated: only the new token works; both audited', async () => {
    const server = await enrolledServer();
    const revoke = await ta.app.inject({
      method: 'DELETE',
      url: `/api/v1/assets/${server.assetId}/agent-token`,
      headers: { authorization: server.bearer },
    });
    expect(revoke.statusCode).toBe(204);
    expect((await checkIn(ta.app, server.agentToken)).statusCode).toBe(401);
    expect((await sendInventory(ta.app, server.agentToken, inventoryOf([]))).statusCode).toBe(401);
    const rotated = await ta.app.inject({
      method: 'POST',
      url: `/api/v1/assets/${server.assetId}/agent-token`,
      headers: { authorization: server.bearer },
    });
    expect(rotated.statusCode).toBe(201);
    expect((await checkIn(ta.app, rotated.json().token)).statusCode).toBe(200);
    const actions = await withTenant(ta.t.database.db, seedContext(server.org.id), (tx) =>
      rows<{ action: string }>(tx, sql`SELECT action FROM vigil.audit_log WHERE action LIKE 'agent_token.%' ORDER BY id`),
    );
    expect(actions.map((a) => a.action)).toEqual(['agent_token.created', 'agent_token.revoked', 'agent_token.created']);
  });

  it('cannot be revoked by viewers, client roles or another organization', async () => {
    const server = await enrolledServer();
    const viewer = await ta.f.actor(server.org.id, 'VIEWER');
    const clientOwner = await ta.f.actor(server.org.id, 'CLIENT_OWNER', { clientId: server.client.id });
    const outsider = await ta.f.actor((await ta.f.org()).id, 'OWNER');
    for (const [who, expected] of [
      [viewer, 403],
      [clientOwner, 403],
      [outsider, 404],
    ] as const) {
      const response = await ta.app.inject({
        method: 'DELETE',
        url: `/api/v1/assets/${server.assetId}/agent-token`,
        headers: { authorization: ta.bearerFor(userActor(who.ctx)) },
      });
      expect(response.statusCode).toBe(expected);
    }
    expect((await checkIn(ta.app, server.agentToken)).statusCode).toBe(200);
  });
});

describe('the offline sweep', () => {
  it('marks a silent server offline once, audited, and a check-in brings it back', async () => {
    const server = await enrolledServer();
    expect((await checkIn(ta.app, server.agentToken)).statusCode).toBe(200);
    const later = new Date(Date.now() + (2 * 300 + 61) * 1000);
    expect(await sweepOfflineAgents(ta.t.database, new Date(Date.now() + 2 * 300 * 1000))).toBe(0);
    expect(await sweepOfflineAgents(ta.t.database, later)).toBeGreaterThanOrEqual(1);
    expect((await assetRow(server.org.id, server.assetId))?.agent_state).toBe('offline');
    await sweepOfflineAgents(ta.t.database, later);
    expect((await checkIn(ta.app, server.agentToken)).statusCode).toBe(200);
    expect((await assetRow(server.org.id, server.assetId))?.agent_state).toBe('online');
    const actions = await withTenant(ta.t.database.db, seedContext(server.org.id), (tx) =>
      rows<{ action: string }>(
        tx,
        sql`SELECT action FROM vigil.audit_log WHERE target_id = ${server.assetId} AND action LIKE 'asset.agent_%' ORDER BY id`,
      ),
    );
    expect(actions.map((a) => a.action)).toEqual(['asset.agent_offline', 'asset.agent_online']);
  });
});

describe('the update offer', () => {
  it('names the newest release for the platform the agent says it updates from (the script bundle by default)', async () => {
    const dir = await releasesDir();
    const signer = releaseSigner();
    await publish(dir, signer, '2.0.0', { platform: 'node' });
    await publish(dir, signer, '3.0.0', { platform: 'linux-x64' });
    const withReleases = await createAgentTestApp({ AGENT_RELEASES_DIR: dir });
    try {
      const server = await enrolledServer(withReleases);
      const send = (platform?: string) =>
        withReleases.app.inject({
          method: 'POST',
          url: AGENT_PATHS.checkIn,
          headers: { authorization: `Bearer ${server.agentToken}` },
          payload: {
            schema: CHECKIN_SCHEMA,
            agentVersion: '1.0.0',
            hostname: 'h.example.test',
            inventoryDigest: '0'.repeat(64),
            uptimeSeconds: 1,
            ...(platform ? { platform } : {}),
          },
        });
      const ask = async (platform?: string) => (await send(platform)).json();
      expect((await ask()).update).toEqual({ version: '2.0.0' });
      expect((await ask('node')).update).toEqual({ version: '2.0.0' });
      expect((await ask('linux-x64')).update).toEqual({ version: '3.0.0' });
      expect((await ask('linux-arm64')).update).toBeNull();
      expect((await send('windows')).statusCode).toBe(400);
    } finally {
      await withReleases.close();
    }
  });
});
