import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { Role } from '../../src/db/schema.ts';
import { withSystem } from '../../src/db/tenant.ts';
import { loginRepo } from '../../src/modules/auth/login/login.repo.ts';
import { hashPassword } from '../../src/modules/auth/passwords/index.ts';
import { createFactories } from './factories.ts';
import type { TestApp } from './test-app.ts';

export interface Member {
  email: string;
  password: string;
  userId: string;
  orgId: string;
  membershipId: string;
}

/** A strong random password the policy accepts. */
export function strongPassword(): string {
  return `Correct-Horse-${randomBytes(9).toString('base64url')}`;
}

/** A member of a (new, unless given) organization who can log in with a password. */
export async function seedMember(
  ta: TestApp,
  opts: { role?: Role; orgId?: string; clientId?: string; password?: string } = {},
): Promise<Member> {
  const f = createFactories(ta.t.database.db);
  const orgId = opts.orgId ?? (await f.org()).id;
  const actor = await f.actor(orgId, opts.role ?? 'OWNER', opts.clientId ? { clientId: opts.clientId } : {});
  const password = opts.password ?? strongPassword();
  const hash = await hashPassword(password);
  await withSystem(ta.t.database.db, (tx) => loginRepo.setPasswordHash(tx, actor.user.id, hash));
  return { email: actor.user.email, password, userId: actor.user.id, orgId, membershipId: actor.membership.id };
}

export function post(ta: TestApp, url: string, payload: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return ta.app.inject({ method: 'POST', url, payload: payload as object, headers: { 'content-type': 'application/json', ...headers } });
}

export function login(
  ta: TestApp,
  email: string,
  password: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  return post(ta, '/api/v1/auth/login', { email, password, refreshTokenDelivery: 'body', ...extra }, headers);
}

export function get(ta: TestApp, url: string, accessToken?: string): Promise<LightMyRequestResponse> {
  return ta.app.inject({ method: 'GET', url, headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {} });
}

/** The parts of a problem response that must not differ between two failures of the same kind. */
export function comparable(response: LightMyRequestResponse) {
  const body = response.json() as Record<string, unknown>;
  const { instance: _instance, requestId: _requestId, ...rest } = body;
  const headers = { ...response.headers };
  for (const name of ['x-request-id', 'date', 'content-length', 'ratelimit-remaining', 'ratelimit-reset']) delete headers[name];
  return { status: response.statusCode, body: rest, headers };
}

/** A cookie the response set, parsed into its attributes. */
export function setCookie(response: LightMyRequestResponse, name: string): { value: string; attributes: string[] } | null {
  const raw = response.headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const line = all.find((cookie) => cookie.startsWith(`${name}=`));
  if (!line) return null;
  const [pair, ...attributes] = line.split(';').map((part) => part.trim());
  return { value: decodeURIComponent(pair?.slice(name.length + 1) ?? ''), attributes };
}
