import { randomUUID } from 'node:crypto';
import { type ActionPayload, actionPayloadSchema, openEnvelope } from '@vigil/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateOrganization } from '../tenancy/organization-settings.service.ts';
import { actionKeys } from './actions.signing.ts';
import { type ActionsKit, call, createActionsKit, upgrade, type World } from './actions.test-kit.ts';

/**
 * Approved actions through the real app on a real database: asking, the four-eyes approval, the
 * signature the agent will check, the agent's pull and its one result, and every step audited.
 */
let kit: ActionsKit;
beforeAll(async () => {
  kit = await createActionsKit();
});
afterAll(() => kit?.close());

async function asked(w: World, by: string, body: unknown = { command: upgrade }) {
  const response = await call(kit.app, 'POST', `/assets/${w.server.id}/actions`, by, body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

async function auditOf(w: World, actionId: string): Promise<string[]> {
  const owner = await w.person('OWNER');
  const page = (await call(kit.app, 'GET', `/audit?targetType=action&targetId=${actionId}&limit=200`, owner.auth)).json();
  return (page.items as Array<{ action: string }>).map((entry) => entry.action).reverse();
}

describe('asking for and approving an action', () => {
  it('waits for a second person, then signs exactly what was asked for the one server, verifiable with the published key', async () => {
    const w = await kit.world();
    const engineer = await w.person('ENGINEER');
    const action = await asked(w, engineer.auth, { command: upgrade, timeoutSeconds: 120 });
    expect(action).toMatchObject({ status: 'pending_approval', signed: null, createdBy: engineer.userId, timeoutSeconds: 120 });
    // Secure by default: an organization that never touched the setting requires approval.
    expect(Date.parse(action.approvalExpiresAt) - Date.parse(action.createdAt)).toBe(24 * 3_600_000);

    // The creator cannot approve their own request, whatever their rank.
    const selfApproval = await call(kit.app, 'POST', `/actions/${action.id}/approve`, engineer.auth);
    expect([selfApproval.statusCode, selfApproval.json().type]).toEqual([403, 'urn:vigil:problem:action-self-approval']);
    // Nor can a script: an API key is not a person, even an owner's.
    expect((await call(kit.app, 'POST', `/actions/${action.id}/approve`, w.apiKey('OWNER'))).statusCode).toBe(403);
    // Nor someone whose role does not allow actions.
    expect((await call(kit.app, 'POST', `/actions/${action.id}/approve`, (await w.person('VIEWER')).auth)).statusCode).toBe(403);
    expect((await call(kit.app, 'GET', `/actions/${action.id}`, engineer.auth)).json().status).toBe('pending_approval');

    const approver = await w.person('ENGINEER');
    const approved = await call(kit.app, 'POST', `/actions/${action.id}/approve`, approver.auth);
    expect(approved.statusCode, approved.body).toBe(200);
    const view = approved.json();
    expect(view).toMatchObject({ status: 'approved', approvedBy: approver.userId });

    const published = actionKeys(kit.keyring);
    expect(published).toEqual([{ kid: kit.keyring.active('action').kid, x: expect.any(String) }]);
    const payload: ActionPayload = openEnvelope(view.signed, published, actionPayloadSchema);
    expect(payload).toMatchObject({
      schema: 'vigil.action/1',
      actionId: action.id,
      assetId: w.server.id,
      command: upgrade,
      timeoutSeconds: 120,
    });
    expect(payload.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(payload.expiresAt).toBe(view.expiresAt);
    expect(Date.parse(payload.expiresAt) - Date.parse(payload.issuedAt)).toBe(60 * 60_000);
    // Signed with the action key, not another purpose's: the JWT key's public half does not verify it.
    const jwtKey = { kid: view.signed.kid, x: kit.keyring.publicJwks('jwt').keys[0]?.x as string };
    expect(() => openEnvelope(view.signed, [jwtKey], actionPayloadSchema)).toThrow(/signature/);

    // A second approval, a denial or a cancel after approval by someone else change nothing.
    expect((await call(kit.app, 'POST', `/actions/${action.id}/approve`, (await w.person('ADMIN')).auth)).statusCode).toBe(409);
    expect((await call(kit.app, 'POST', `/actions/${action.id}/deny`, approver.auth)).statusCode).toBe(409);
    expect(await auditOf(w, action.id)).toEqual(['action.created', 'action.approved']);
  });

  it('counts an action asked for with an API key as its creator’s, who cannot then approve it in the browser', async () => {
    const w = await kit.world();
    const admin = await w.person('ADMIN');
    const key = await w.keyOf(admin, 'ADMIN');
    const action = await asked(w, key);
    expect(action).toMatchObject({ status: 'pending_approval', createdBy: admin.userId });
    const selfApproval = await call(kit.app, 'POST', `/actions/${action.id}/approve`, admin.auth);
    expect([selfApproval.statusCode, selfApproval.json().type]).toEqual([403, 'urn:vigil:problem:action-self-approval']);
    expect((await call(kit.app, 'POST', `/actions/${action.id}/approve`, (await w.person('ENGINEER')).auth)).statusCode).toBe(200);
    // A request nobody can be named for (no such key) cannot wait for a second person.
    const unknown = await call(kit.app, 'POST', `/assets/${w.server.id}/actions`, w.apiKey('ENGINEER'), { command: upgrade });
    expect([unknown.statusCode, unknown.json().type]).toEqual([403, 'urn:vigil:problem:action-requester-unknown']);
  });

  it('records the command itself in the audit trail', async () => {
    const w = await kit.world();
    const action = await asked(w, (await w.person('ENGINEER')).auth);
    const owner = await w.person('OWNER');
    const page = (await call(kit.app, 'GET', `/audit?targetType=action&targetId=${action.id}`, owner.auth)).json();
    expect(JSON.stringify(page.items)).toContain(JSON.stringify(upgrade.packages[0]));
  });

  it('approves at creation when the organization does not require a second person', async () => {
    const w = await kit.world();
    await w.setRequireApproval(false);
    const action = await asked(w, (await w.person('ENGINEER')).auth);
    expect(action.status).toBe('approved');
    expect(openEnvelope(action.signed, actionKeys(kit.keyring), actionPayloadSchema).actionId).toBe(action.id);
    expect(await auditOf(w, action.id)).toEqual(['action.created', 'action.approved']);
  });

  it('is switched off only by a person who passed a second factor (organization setting, on by default)', async () => {
    const w = await kit.world();
    const owner = await kit.f.actor(w.orgId, 'OWNER');
    const meta = { ip: null, userAgent: null };
    const off = { settings: { requireActionApproval: false } };
    await expect(updateOrganization(kit.t.database.db, owner.ctx, off, { ...meta, personWithSecondFactor: false })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect((await call(kit.app, 'GET', '/organization', (await w.person('OWNER')).auth)).json().settings).toMatchObject({
      requireActionApproval: true,
    });
    const changed = await updateOrganization(kit.t.database.db, owner.ctx, off, { ...meta, personWithSecondFactor: true });
    expect(changed.settings.requireActionApproval).toBe(false);
    expect((await asked(w, (await w.person('ENGINEER')).auth)).status).toBe('approved');
  });

  it('lets a permitted member deny a waiting action, which then never reaches the agent', async () => {
    const w = await kit.world();
    const action = await asked(w, (await w.person('ENGINEER')).auth);
    const denied = await call(kit.app, 'POST', `/actions/${action.id}/deny`, (await w.person('ADMIN')).auth);
    expect(denied.json()).toMatchObject({ status: 'denied', signed: null });
    expect((await call(kit.app, 'POST', `/actions/${action.id}/approve`, (await w.person('ADMIN')).auth)).statusCode).toBe(409);
    expect((await call(kit.app, 'GET', '/agent/actions', w.agent(w.server.id))).json()).toEqual({ actions: [] });
    expect(await auditOf(w, action.id)).toEqual(['action.created', 'action.denied']);
  });

  it('lets the creator or an admin cancel before delivery, nobody after', async () => {
    const w = await kit.world();
    const creator = await w.person('ENGINEER');
    const other = await w.person('ENGINEER');
    const first = await asked(w, creator.auth);
    expect((await call(kit.app, 'POST', `/actions/${first.id}/cancel`, other.auth)).statusCode).toBe(403);
    expect((await call(kit.app, 'POST', `/actions/${first.id}/cancel`, creator.auth)).json().status).toBe('cancelled');

    const second = await asked(w, creator.auth);
    await call(kit.app, 'POST', `/actions/${second.id}/approve`, other.auth);
    const admin = await w.person('ADMIN');
    expect((await call(kit.app, 'POST', `/actions/${second.id}/cancel`, admin.auth)).json().status).toBe('cancelled');
    expect((await call(kit.app, 'GET', '/agent/actions', w.agent(w.server.id))).json()).toEqual({ actions: [] });

    const third = await asked(w, creator.auth);
    await call(kit.app, 'POST', `/actions/${third.id}/approve`, other.auth);
    expect((await call(kit.app, 'GET', '/agent/actions', w.agent(w.server.id))).json().actions).toHaveLength(1);
    const late = await call(kit.app, 'POST', `/actions/${third.id}/cancel`, creator.auth);
    expect([late.statusCode, late.json().type]).toEqual([409, 'urn:vigil:problem:action-already-delivered']);
    expect(await auditOf(w, first.id)).toEqual(['action.created', 'action.cancelled']);
    expect(await auditOf(w, second.id)).toEqual(['action.created', 'action.approved', 'action.cancelled']);
  });
});

describe('who may ask, and for what', () => {
  it('refuses roles without the action permission, sites, and other organizations’ servers', async () => {
    const w = await kit.world();
    const other = await kit.world();
    const url = `/assets/${w.server.id}/actions`;
    for (const role of ['VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER'] as const) {
      const p = await w.person(role, role.startsWith('CLIENT') ? w.clientServer.clientId : undefined);
      expect((await call(kit.app, 'POST', url, p.auth, { command: upgrade })).statusCode).toBe(403);
    }
    const engineer = await w.person('ENGINEER');
    expect((await call(kit.app, 'POST', `/assets/${w.site.id}/actions`, engineer.auth, { command: upgrade })).statusCode).toBe(400);
    for (const id of [other.server.id, randomUUID()]) {
      const response = await call(kit.app, 'POST', `/assets/${id}/actions`, engineer.auth, { command: upgrade });
      expect(response.statusCode).toBe(404);
      expect((await call(kit.app, 'GET', `/assets/${id}/actions`, engineer.auth)).statusCode).toBe(404);
    }
    const theirs = await asked(other, (await other.person('ENGINEER')).auth);
    for (const path of ['', '/approve', '/deny', '/cancel']) {
      const response = await call(kit.app, path ? 'POST' : 'GET', `/actions/${theirs.id}${path}`, (await w.person('OWNER')).auth);
      expect(response.statusCode).toBe(404);
      expect(response.body).not.toContain(other.server.id);
    }
  });

  it('shows a client member the actions of their client’s servers only', async () => {
    const w = await kit.world();
    const engineer = await w.person('ENGINEER');
    const agency = await asked(w, engineer.auth);
    const forClient = await call(kit.app, 'POST', `/assets/${w.clientServer.id}/actions`, engineer.auth, { command: upgrade });
    const member = await w.person('CLIENT_MEMBER', w.clientServer.clientId);
    expect((await call(kit.app, 'GET', `/actions/${forClient.json().id}`, member.auth)).statusCode).toBe(200);
    expect((await call(kit.app, 'GET', `/actions/${agency.id}`, member.auth)).statusCode).toBe(404);
    expect((await call(kit.app, 'GET', `/assets/${w.server.id}/actions`, member.auth)).statusCode).toBe(404);
    const list = await call(kit.app, 'GET', `/assets/${w.clientServer.id}/actions`, member.auth);
    expect(list.json().items.map((a: { id: string }) => a.id)).toEqual([forClient.json().id]);
  });

  it.each([
    ['a shell line as a package name', { command: { kind: 'upgrade_packages', packages: [{ name: 'x; rm -rf /', version: '1' }] } }],
    ['an option as a package name', { command: { kind: 'upgrade_packages', packages: [{ name: '-oAPT::x', version: '1' }] } }],
    ['a version with a space', { command: { kind: 'upgrade_packages', packages: [{ name: 'curl', version: '1 2' }] } }],
    ['no packages', { command: { kind: 'upgrade_packages', packages: [] } }],
    [
      '201 packages',
      { command: { kind: 'upgrade_packages', packages: Array.from({ length: 201 }, (_, i) => ({ name: `p${i}`, version: '1' })) } },
    ],
    ['an unknown kind', { command: { kind: 'run_shell', line: 'id' } }],
    ['an extra field', { command: { kind: 'restart_service', unit: 'nginx.service', as: 'root' } }],
    ['a unit with a slash', { command: { kind: 'restart_service', unit: '../../etc/passwd' } }],
    ['an empty sshd change', { command: { kind: 'sshd_hardening', settings: {} } }],
    ['PermitRootLogin yes', { command: { kind: 'sshd_hardening', settings: { permitRootLogin: 'yes' } } }],
    ['a zero timeout', { command: upgrade, timeoutSeconds: 0 }],
    ['a day-long timeout', { command: upgrade, timeoutSeconds: 86_400 }],
    ['a top-level extra field', { command: upgrade, status: 'approved' }],
  ])('refuses %s with 400 and stores nothing', async (_, body) => {
    const w = await kit.world();
    const engineer = await w.person('ENGINEER');
    const response = await call(kit.app, 'POST', `/assets/${w.server.id}/actions`, engineer.auth, body);
    expect(response.statusCode).toBe(400);
    expect((await call(kit.app, 'GET', `/assets/${w.server.id}/actions`, engineer.auth)).json().items).toEqual([]);
  });
});
