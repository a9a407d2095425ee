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
  'clientA1' | 'clientA2' | 'clientB' | 'assetA1' | 'assetA2' | 'assetAgency' | 'assetB' | 'memberB' | 'memberA',
  string
>;

beforeAll(async () => {
  ta = await createTestApp();
  f = createFactories(ta.t.database.db);
  const [orgA, orgB] = [await f.org(), await f.org()];
  const [clientA1, clientA2, clientB] = [await f.client(orgA.id), await f.client(orgA.id), await f.client(orgB.id)];
  Object.assign(ids, {
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
    return { token: ta.tokenFor({ kind: 'user', id: a.user.id, tenant: a.ctx }), membershipId: a.membership.id };
  };
  const oa = await login(orgA.id, 'OWNER');
  ownerA = oa.token;
  ids.memberA = oa.membershipId;
  viewerA = (await login(orgA.id, 'VIEWER')).token;
  memberA1 = (await login(orgA.id, 'CLIENT_MEMBER', clientA1.id)).token;
  const ob = await login(orgB.id, 'OWNER');
  ownerB = ob.token;
  ids.memberB = ob.membershipId;
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

describe('every tenancy endpoint', () => {
  it.each(endpoints)('%s %s refuses a request without credentials with 401', async (method, url, body) => {
    const response = await call(method, url(ids), undefined, body);
    expect(response.statusCode).toBe(401);
  });

  it.each(endpoints.filter(([, url]) => url(ids).match(/[0-9a-f-]{36}/)))(
    '%s %s answers 404 to another organization, and changes nothing',
    async (method, url, body) => {
      const response = await call(method, url(ids), ownerB, body);
      expect(response.statusCode).toBe(404);
      expect(response.body).not.toContain(ids.clientA1);
      expect((await call('GET', `/assets/${ids.assetA1}`, ownerA)).statusCode).toBe(200);
      expect((await call('GET', `/clients/${ids.clientA2}`, ownerA)).statusCode).toBe(200);
    },
  );
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

  it('refuses an unknown id format before touching the database', async () => {
    expect((await call('GET', `/assets/${randomUUID()}`, ownerA)).statusCode).toBe(404);
    expect((await call('GET', '/assets/1%20OR%201=1', ownerA)).statusCode).toBe(400);
  });
});
