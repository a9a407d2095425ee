import { actionPayloadSchema, openEnvelope } from '@vigil/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticKeyringSource } from '../../lib/keys/index.ts';
import { pendingActionCount } from './actions.agent.service.ts';
import { actionsExpiryJob, expireActions } from './actions.jobs.ts';
import { createActionsService } from './actions.service.ts';
import { actionKeys } from './actions.signing.ts';
import { type ActionsKit, call, createActionsKit, upgrade, type World } from './actions.test-kit.ts';

/** The agent's side of actions, and the expiry job, through the real app on a real database. */
let kit: ActionsKit;
beforeAll(async () => {
  kit = await createActionsKit();
});
afterAll(() => kit?.close());

const HOUR = 3_600_000;

async function approvedAction(w: World, assetId = w.server.id) {
  const created = (
    await call(kit.app, 'POST', `/assets/${assetId}/actions`, (await w.person('ENGINEER')).auth, { command: upgrade })
  ).json();
  const approved = await call(kit.app, 'POST', `/actions/${created.id}/approve`, (await w.person('ADMIN')).auth);
  expect(approved.statusCode, approved.body).toBe(200);
  return approved.json();
}

function nonceOf(action: { signed: { payload: string; kid: string; signature: string } }): string {
  return openEnvelope(action.signed, actionKeys(kit.keyring), actionPayloadSchema).nonce;
}

const result = (nonce: string, extra: Record<string, unknown> = {}) => ({
  outcome: 'succeeded',
  exitCode: 0,
  stdout: 'Reading package lists...\n',
  stderr: '',
  truncated: false,
  startedAt: new Date().toISOString(),
  finishedAt: new Date().toISOString(),
  nonce,
  ...extra,
});

const ctxOf = (w: World) => ({ orgId: w.orgId, userId: null, role: 'OWNER' as const, clientIds: 'all' as const });

describe('the agent pull', () => {
  it('hands the agent only its own server’s approved actions, marks them delivered once, and keeps offering them until a result', async () => {
    const w = await kit.world();
    const pending = (
      await call(kit.app, 'POST', `/assets/${w.server.id}/actions`, (await w.person('ENGINEER')).auth, { command: upgrade })
    ).json();
    const action = await approvedAction(w);
    const elsewhere = await approvedAction(w, w.clientServer.id);
    const agent = w.agent(w.server.id);

    expect(await pendingActionCount(kit.t.database.db, ctxOf(w), w.server.id)).toBe(1);
    const first = await call(kit.app, 'GET', '/agent/actions', agent);
    expect(first.statusCode).toBe(200);
    // The unapproved action is never listed; the other server's action is not this agent's.
    expect(first.json()).toEqual({ actions: [action.signed] });
    expect(first.body).not.toContain(pending.id);
    const delivered = (await call(kit.app, 'GET', `/actions/${action.id}`, (await w.person('OWNER')).auth)).json();
    expect(delivered).toMatchObject({ status: 'delivered', deliveredAt: expect.any(String) });
    // Re-deliverable (a lost answer must not lose the action); delivered is audited once.
    expect((await call(kit.app, 'GET', '/agent/actions', agent)).json()).toEqual({ actions: [action.signed] });

    // The client server's agent sees its own only, and cannot report on this server's action.
    const otherAgent = w.agent(w.clientServer.id, w.clientServer.clientId);
    expect((await call(kit.app, 'GET', '/agent/actions', otherAgent)).json()).toEqual({ actions: [elsewhere.signed] });
    const foreign = await call(kit.app, 'POST', `/agent/actions/${action.id}/result`, otherAgent, result(nonceOf(action)));
    expect(foreign.statusCode).toBe(404);

    // A wrong nonce is refused; the right one stored once; a second result conflicts.
    expect((await call(kit.app, 'POST', `/agent/actions/${action.id}/result`, agent, result(nonceOf(elsewhere)))).statusCode).toBe(409);
    const stored = await call(kit.app, 'POST', `/agent/actions/${action.id}/result`, agent, result(nonceOf(action)));
    expect(stored.statusCode, stored.body).toBe(204);
    const again = await call(kit.app, 'POST', `/agent/actions/${action.id}/result`, agent, result(nonceOf(action), { outcome: 'failed' }));
    expect([again.statusCode, again.json().type]).toEqual([409, 'urn:vigil:problem:action-result-exists']);
    const done = (await call(kit.app, 'GET', `/actions/${action.id}`, (await w.person('OWNER')).auth)).json();
    expect(done).toMatchObject({ status: 'succeeded', result: { outcome: 'succeeded', exitCode: 0, refusal: null } });
    expect((await call(kit.app, 'GET', '/agent/actions', agent)).json()).toEqual({ actions: [] });
    expect(await pendingActionCount(kit.t.database.db, ctxOf(w), w.server.id)).toBe(0);

    const owner = await w.person('OWNER');
    const audit = (await call(kit.app, 'GET', `/audit?targetType=action&targetId=${action.id}`, owner.auth)).json();
    expect(audit.items.map((e: { action: string; actorKind: string }) => `${e.actorKind}:${e.action}`).reverse()).toEqual([
      'user:action.created',
      'user:action.approved',
      'agent:action.delivered',
      'agent:action.succeeded',
    ]);
  });

  it('answers "not found" for an unapproved action, and refuses people on agent routes and agents elsewhere', async () => {
    const w = await kit.world();
    const engineer = await w.person('ENGINEER');
    const pending = (await call(kit.app, 'POST', `/assets/${w.server.id}/actions`, engineer.auth, { command: upgrade })).json();
    const agent = w.agent(w.server.id);
    const response = await call(kit.app, 'POST', `/agent/actions/${pending.id}/result`, agent, result('AAAAAAAAAAAAAAAAAAAAAA'));
    expect(response.statusCode).toBe(404);
    expect((await call(kit.app, 'GET', `/actions/${pending.id}`, engineer.auth)).json().status).toBe('pending_approval');
    expect((await call(kit.app, 'GET', '/agent/actions', engineer.auth)).statusCode).toBe(403);
    expect((await call(kit.app, 'GET', `/assets/${w.server.id}/actions`, agent)).statusCode).toBe(403);
    expect((await call(kit.app, 'POST', `/actions/${pending.id}/approve`, agent)).statusCode).toBe(403);
  });

  it('hands over at most the protocol’s list limit at once, oldest approval first; the rest on the next pull', async () => {
    const w = await kit.world();
    await w.setRequireApproval(false);
    const engineer = await w.person('ENGINEER');
    const ids: string[] = [];
    for (let i = 0; i < 52; i++) {
      ids.push((await call(kit.app, 'POST', `/assets/${w.server.id}/actions`, engineer.auth, { command: upgrade })).json().id);
    }
    const agent = w.agent(w.server.id);
    const first = await call(kit.app, 'GET', '/agent/actions', agent);
    expect(first.statusCode).toBe(200);
    const listed = first
      .json()
      .actions.map((a: { payload: string }) => JSON.parse(Buffer.from(a.payload, 'base64url').toString()).actionId);
    expect(listed).toEqual(ids.slice(0, 50));
    expect(await pendingActionCount(kit.t.database.db, ctxOf(w), w.server.id)).toBe(52);
  });

  it.each([
    ['a malformed action id', '/agent/actions/not-a-uuid/result', '{}'],
    ['malformed JSON', `/agent/actions/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/result`, '{"outcome":'],
  ])('answers 400 to %s', async (_, url, payload) => {
    const w = await kit.world();
    const response = await kit.app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      headers: { authorization: w.agent(w.server.id), 'content-type': 'application/json' },
      payload,
    });
    expect(response.statusCode).toBe(400);
  });

  it('records a refusal with its reason (and needs one)', async () => {
    const w = await kit.world();
    const action = await approvedAction(w);
    const agent = w.agent(w.server.id);
    const refusal = { outcome: 'refused', exitCode: null, stdout: '', stderr: '', startedAt: null };
    const bare = await call(kit.app, 'POST', `/agent/actions/${action.id}/result`, agent, result(nonceOf(action), refusal));
    expect(bare.statusCode).toBe(400);
    const reasoned = { ...refusal, refusal: 'the action expired at 2026-01-01T00:00:00.000Z' };
    expect((await call(kit.app, 'POST', `/agent/actions/${action.id}/result`, agent, result(nonceOf(action), reasoned))).statusCode).toBe(
      204,
    );
    const view = (await call(kit.app, 'GET', `/actions/${action.id}`, (await w.person('OWNER')).auth)).json();
    expect(view).toMatchObject({ status: 'refused', result: { outcome: 'refused', refusal: reasoned.refusal, exitCode: null } });
  });

  it.each([
    ['output over the limit', { stdout: 'x'.repeat(64 * 1024 + 1) }],
    ['a NUL in the output', { stderr: 'a\u0000b' }],
    ['an unknown outcome', { outcome: 'rebooted' }],
    ['a fractional exit code', { exitCode: 1.5 }],
    ['an extra field', { status: 'succeeded' }],
    ['no nonce', { nonce: undefined }],
  ])('refuses a result with %s and stores nothing', async (_, extra) => {
    const w = await kit.world();
    const action = await approvedAction(w);
    const agent = w.agent(w.server.id);
    const response = await call(kit.app, 'POST', `/agent/actions/${action.id}/result`, agent, result(nonceOf(action), extra));
    expect([400, 409]).toContain(response.statusCode);
    expect((await call(kit.app, 'GET', `/actions/${action.id}`, (await w.person('OWNER')).auth)).json().result).toBeNull();
  });
});

describe('the expiry job', () => {
  it('auto-denies an action nobody approved in time; it can no longer be approved and never reaches the agent', async () => {
    const w = await kit.world();
    const action = (
      await call(kit.app, 'POST', `/assets/${w.server.id}/actions`, (await w.person('ENGINEER')).auth, { command: upgrade })
    ).json();
    const fresh = await approvedAction(w);
    // Not yet: an hour before the deadline nothing expires.
    await expireActions(kit.t.database, new Date(Date.parse(action.approvalExpiresAt) - HOUR));
    expect((await call(kit.app, 'GET', `/actions/${action.id}`, (await w.person('OWNER')).auth)).json().status).toBe('pending_approval');

    const { expired } = await expireActions(kit.t.database, new Date(Date.parse(action.approvalExpiresAt) + 1000));
    expect(expired).toBeGreaterThanOrEqual(2);
    const owner = await w.person('OWNER');
    expect((await call(kit.app, 'GET', `/actions/${action.id}`, owner.auth)).json().status).toBe('expired');
    expect((await call(kit.app, 'POST', `/actions/${action.id}/approve`, (await w.person('ADMIN')).auth)).statusCode).toBe(409);
    // The approved one was past its run deadline too by then: expired, no longer offered.
    expect((await call(kit.app, 'GET', `/actions/${fresh.id}`, owner.auth)).json().status).toBe('expired');
    expect((await call(kit.app, 'GET', '/agent/actions', w.agent(w.server.id))).json()).toEqual({ actions: [] });
    const audit = (await call(kit.app, 'GET', `/audit?targetType=action&targetId=${action.id}`, owner.auth)).json();
    expect(audit.items[0]).toMatchObject({ action: 'action.expired', actorKind: 'system', details: { stage: 'approval' } });
  });

  it('is a scheduled job the worker runs every five minutes (empty payload), handled by expireActions', () => {
    const job = actionsExpiryJob({ database: kit.t.database, logger: pino({ level: 'silent' }) });
    expect(job).toMatchObject({ name: 'actions.expire', schedule: '*/5 * * * *' });
    expect(job.payload.safeParse({}).success).toBe(true);
  });

  it('refuses an approval after the deadline even before the job ran', async () => {
    const w = await kit.world();
    const action = (
      await call(kit.app, 'POST', `/assets/${w.server.id}/actions`, (await w.person('ENGINEER')).auth, { command: upgrade })
    ).json();
    const late = createActionsService({
      db: kit.t.database.db,
      config: { actions: { approvalTtlHours: 24, runTtlMinutes: 60 } },
      keys: staticKeyringSource(kit.keyring),
      now: () => new Date(Date.parse(action.approvalExpiresAt) + 1000),
    });
    const admin = await kit.f.actor(w.orgId, 'ADMIN');
    await expect(late.approve(admin.ctx, action.id)).rejects.toMatchObject({ code: 'ACTION_APPROVAL_EXPIRED' });
  });

  it('leaves a signed action alone until its run deadline and timeout have passed', async () => {
    const w = await kit.world();
    const action = await approvedAction(w);
    const deadline = Date.parse(action.expiresAt);
    await expireActions(kit.t.database, new Date(deadline + 60_000));
    const owner = await w.person('OWNER');
    expect((await call(kit.app, 'GET', `/actions/${action.id}`, owner.auth)).json().status).toBe('approved');
    await expireActions(kit.t.database, new Date(deadline + (900 + 5 * 60 + 1) * 1000));
    expect((await call(kit.app, 'GET', `/actions/${action.id}`, owner.auth)).json().status).toBe('expired');
  });
});
