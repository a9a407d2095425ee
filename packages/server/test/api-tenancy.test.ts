import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories } from './helpers/factories.ts';
import { createTestApp, type TestApp } from './helpers/test-app.ts';

/**
 * The tenancy and asset endpoints through HTTP, with the auth seam filled by the test
 * authenticator: 401 without credentials, 404 (never 403, never the row) for another tenant's
 * ids, 403 for a role without the permission, and client members confined to their client.
 */
let ta: TestApp;
let f: Factories;
let ownerA: string;
let viewerA: string;
let memberA1: string;
let ownerB: string;
const ids = {} as Record<
  | 'orgA'
  | 'orgB'
  | 'clientA1'
  | 'clientA2'
  | 'clientB'
  | 'assetA1'
  | 'assetA2'
  | 'assetAgency'
  | 'assetB'
  | 'memberB'
  | 'memberA'
  | 'viewerA'
  | 'memberA1',
  string
>;
/** Every id organization A holds (its organization, clients, assets, members and their users). */
const idsOfA: string[] = [];

beforeAll(async () => {
  ta = await createTestApp();
  f = createFactories(ta.t.database.db);
  const [orgA, orgB] = [await f.org(), await f.org()];
  const [clientA1, clientA2, clientB] = [await f.client(orgA.id), await f.client(orgA.id), await f.client(orgB.id)];
  Object.assign(ids, {
    orgA: orgA.id,
    orgB: orgB.id,
    clientA1: clientA1.id,
    clientA2: clientA2.id,
    clientB: clientB.id,
    assetA1: (await f.asset(orgA.id, { clientId: clientA1.id })).id,
    assetA2: (await f.asset(orgA.id, { clientId: clientA2.id })).id,
    assetAgency: (await f.asset(orgA.id)).id,
    assetB: (await f.asset(orgB.id, { clientId: clientB.id })).id,
  });
  const login = async (orgId: string, role: Parameters<Factories['actor']>[1], clientId?: string) => {
    const a = await f.actor(orgId, role, clientId ? { clientId } : {});
    if (orgId === orgA.id) idsOfA.push(a.user.id, a.membership.id);
    return { token: ta.tokenFor({ kind: 'user', id: a.user.id, tenant: a.ctx }), membershipId: a.membership.id };
  };
  const oa = await login(orgA.id, 'OWNER');
  ownerA = oa.token;
  ids.memberA = oa.membershipId;
  const va = await login(orgA.id, 'VIEWER');
  viewerA = va.token;
  ids.viewerA = va.membershipId;
  const ma1 = await login(orgA.id, 'CLIENT_MEMBER', clientA1.id);
  memberA1 = ma1.token;
  ids.memberA1 = ma1.membershipId;
  const ob = await login(orgB.id, 'OWNER');
  ownerB = ob.token;
  ids.memberB = ob.membershipId;
  idsOfA.push(ids.orgA, ids.clientA1, ids.clientA2, ids.assetA1, ids.assetA2, ids.assetAgency);
});
afterAll(() => ta?.close());

function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token?: string, body?: unknown) {
  return ta.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(token ? { authorization: token } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

const endpoints: Array<[method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: (i: typeof ids) => string, body?: unknown]> = [
  ['GET', () => '/organization'],
  ['GET', () => '/clients'],
  ['POST', () => '/clients', { name: 'New' }],
  ['GET', (i) => `/clients/${i.clientA1}`],
  ['PATCH', (i) => `/clients/${i.clientA1}`, { name: 'Renamed' }],
  ['DELETE', (i) => `/clients/${i.clientA2}`],
  ['GET', () => '/members'],
  ['PATCH', (i) => `/members/${i.memberA}`, { role: 'ADMIN' }],
  ['DELETE', (i) => `/members/${i.memberA}`],
  ['GET', () => '/assets'],
  ['POST', () => '/assets', { kind: 'site', name: 'example.com' }],
  ['GET', (i) => `/assets/${i.assetA1}`],
  ['PATCH', (i) => `/assets/${i.assetA1}`, { name: 'renamed' }],
  ['DELETE', (i) => `/assets/${i.assetA1}`],
];

/**
 * The endpoints that act on one object of organization A. Tests are collected before `beforeAll`
 * fills `ids`, so the urls are asked with stand-in ids. (Regression: they were asked with the
 * empty `ids`, matched no id, and the cross-tenant test below ran for no endpoint at all.)
 */
const objectEndpoints = endpoints.filter(([, url]) => /[0-9a-f-]{36}/.test(url(new Proxy(ids, { get: () => randomUUID() }))));

describe('every tenancy endpoint', () => {
  it('has cross-tenant tests for every endpoint that names an object', () => {
    expect(objectEndpoints.map(([method, url]) => `${method} ${url(ids)}`)).toEqual([
      `GET /clients/${ids.clientA1}`,
      `PATCH /clients/${ids.clientA1}`,
      `DELETE /clients/${ids.clientA2}`,
      `PATCH /members/${ids.memberA}`,
      `DELETE /members/${ids.memberA}`,
      `GET /assets/${ids.assetA1}`,
      `PATCH /assets/${ids.assetA1}`,
      `DELETE /assets/${ids.assetA1}`,
    ]);
  });

  it.each(endpoints)('%s %s refuses a request without credentials with 401', async (method, url, body) => {
    const response = await call(method, url(ids), undefined, body);
    expect(response.statusCode).toBe(401);
  });

  // Every target of these calls is re-read afterwards: a cross-tenant write that went through
  // (even one that still answered 404) changes A's state and fails the test.
  it.each(objectEndpoints)('%s %s answers 404 to another organization, and changes nothing', async (method, url, body) => {
    const before = await stateOfA();
    const response = await call(method, url(ids), ownerB, body);
    expect(response.statusCode).toBe(404);
    for (const id of idsOfA) expect(response.body).not.toContain(id);

    const after = await stateOfA();
    expect(after.clientA1).toEqual(before.clientA1);
    expect(after.clientA2).toEqual(before.clientA2);
    expect(after.assetA1).toEqual(before.assetA1);
    expect(after.memberA).toEqual(before.memberA);
    expect(after).toEqual(before);
  });

  it.each(endpoints)('%s %s refuses an unknown query parameter with 400, before acting', async (method, url, body) => {
    const before = await stateOfA();
    const response = await call(method, `${url(ids)}?surprise=1`, ownerA, body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ type: 'urn:vigil:problem:validation-failed' });
    expect(response.json().detail).toMatch(/^querystring/);
    expect(await stateOfA()).toEqual(before);
  });
});

/**
 * Organization A as its owner reads it: the targets of the endpoints above (each read on its
 * own, so a missing one shows up as `null`) and every list. The targets must exist, or a test
 * comparing two states would pass on two empty ones.
 */
async function stateOfA() {
  const read = async (url: string) => {
    const response = await call('GET', url, ownerA);
    return response.statusCode === 200 ? response.json() : null;
  };
  const members: { id: string }[] = (await read('/members')).items;
  const state = {
    clientA1: await read(`/clients/${ids.clientA1}`),
    clientA2: await read(`/clients/${ids.clientA2}`),
    assetA1: await read(`/assets/${ids.assetA1}`),
    memberA: members.find((m) => m.id === ids.memberA) ?? null,
    organization: await read('/organization'),
    clients: (await read('/clients')).items,
    assets: (await read('/assets')).items,
    members,
  };
  expect(state.clientA1).toMatchObject({ id: ids.clientA1 });
  expect(state.clientA2).toMatchObject({ id: ids.clientA2 });
  expect(state.assetA1).toMatchObject({ id: ids.assetA1 });
  expect(state.memberA).toMatchObject({ id: ids.memberA, role: 'OWNER' });
  return state;
}

describe('lists across organizations', () => {
  it.each([
    ['/clients', 'clientB'],
    ['/assets', 'assetB'],
    ['/members', 'memberB'],
  ] as const)('GET %s as organization B shows B’s own rows and none of A’s ids', async (url, own) => {
    const response = await call('GET', url, ownerB);
    expect(response.statusCode).toBe(200);
    const items: { id: string }[] = response.json().items;
    expect(items.map((i) => i.id)).toEqual([ids[own]]);
    for (const id of idsOfA) expect(response.body).not.toContain(id);
  });

  it('GET /organization as organization B answers B', async () => {
    const response = await call('GET', '/organization', ownerB);
    expect(response.json().id).toBe(ids.orgB);
    for (const id of idsOfA) expect(response.body).not.toContain(id);
  });
});

describe('free text', () => {
  // Regression: PostgreSQL text cannot hold NUL, so a name with one reached the database and
  // came back as a 500.
  const writes: Array<[method: 'POST' | 'PATCH', url: (i: typeof ids) => string, body: Record<string, string>]> = [
    ['POST', () => '/clients', { name: 'a\u0000b' }],
    ['PATCH', (i) => `/clients/${i.clientA1}`, { name: 'a\u0000b' }],
    ['POST', () => '/assets', { kind: 'site', name: 'a\u0000b.example' }],
    ['PATCH', (i) => `/assets/${i.assetA1}`, { name: 'a\u0000b.example' }],
    ['POST', () => '/clients', { name: 'forged\u001b[31m log line' }],
  ];
  it.each(writes)('%s %s refuses a control character in a name with 400, not 500', async (method, url, body) => {
    const before = await stateOfA();
    const response = await call(method, url(ids), ownerA, body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      type: 'urn:vigil:problem:validation-failed',
      errors: [{ path: 'body.name', message: 'must not contain control characters' }],
    });
    expect(await stateOfA()).toEqual(before);
  });
});

describe('roles through HTTP', () => {
  it('refuses a viewer’s writes with 403 and lets it read', async () => {
    expect((await call('GET', '/assets', viewerA)).statusCode).toBe(200);
    expect((await call('POST', '/assets', viewerA, { kind: 'site', name: 'x.example' })).statusCode).toBe(403);
    expect((await call('DELETE', `/assets/${ids.assetAgency}`, viewerA)).statusCode).toBe(403);
  });

  it('shows a client member only its client’s assets and hides the rest as 404', async () => {
    const list = await call('GET', '/assets', memberA1);
    expect(list.json().items.map((a: { id: string }) => a.id)).toEqual([ids.assetA1]);
    expect((await call('GET', `/assets/${ids.assetA2}`, memberA1)).statusCode).toBe(404);
    expect((await call('GET', `/assets/${ids.assetAgency}`, memberA1)).statusCode).toBe(404);
    expect((await call('GET', '/clients', memberA1)).json().items.map((c: { id: string }) => c.id)).toEqual([ids.clientA1]);
  });

  it('creates, renames and deletes through the API with the right status codes', async () => {
    const created = await call('POST', '/assets', ownerA, { kind: 'server', name: 'web-01', clientId: ids.clientA2 });
    expect(created.statusCode).toBe(201);
    const { id } = created.json();
    expect((await call('PATCH', `/assets/${id}`, ownerA, { clientId: null })).json()).toMatchObject({ id, clientId: null });
    expect((await call('PATCH', `/assets/${id}`, ownerA, {})).statusCode).toBe(400);
    expect((await call('DELETE', `/assets/${id}`, ownerA)).statusCode).toBe(204);
    expect((await call('GET', `/assets/${id}`, ownerA)).statusCode).toBe(404);
  });

  it('answers a duplicate client name with 409 and a client still in use with 409', async () => {
    const first = await call('POST', '/clients', ownerA, { name: 'Duplicate Ltd' });
    expect(first.statusCode).toBe(201);
    const again = await call('POST', '/clients', ownerA, { name: 'duplicate ltd' });
    expect(again.statusCode).toBe(409);
    expect(again.json().type).toBe('urn:vigil:problem:client-name-taken');
    const inUse = await call('DELETE', `/clients/${ids.clientA1}`, ownerA);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().type).toBe('urn:vigil:problem:client-in-use');
  });

  it('moves nothing into another organization’s client', async () => {
    const response = await call('PATCH', `/assets/${ids.assetAgency}`, ownerA, { clientId: ids.clientB });
    expect(response.statusCode).toBe(404);
    expect((await call('GET', `/assets/${ids.assetAgency}`, ownerA)).json().clientId).toBeNull();
  });

  it('changes a member’s role and answers with the member', async () => {
    const response = await call('PATCH', `/members/${ids.viewerA}`, ownerA, { role: 'ENGINEER' });
    expect(response.statusCode).toBe(200);
    const member = response.json();
    expect(member).toMatchObject({ id: ids.viewerA, role: 'ENGINEER', clientId: null, email: expect.stringContaining('@') });
    expect(Object.keys(member).sort()).toEqual(['clientId', 'createdAt', 'displayName', 'email', 'id', 'role', 'userId']);
    const listed = (await call('GET', '/members', ownerA)).json().items.find((m: { id: string }) => m.id === ids.viewerA);
    expect(listed).toEqual(member);
    expect((await call('PATCH', `/members/${ids.viewerA}`, ownerA, { role: 'VIEWER' })).statusCode).toBe(200);
  });

  it('refuses an unknown id format before touching the database', async () => {
    expect((await call('GET', `/assets/${randomUUID()}`, ownerA)).statusCode).toBe(404);
    expect((await call('GET', '/assets/1%20OR%201=1', ownerA)).statusCode).toBe(400);
  });
});
