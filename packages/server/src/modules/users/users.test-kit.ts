import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { seedMember } from '../../../test/helpers/auth-flow.ts';
import type { TestApp } from '../../../test/helpers/test-app.ts';
import type { Role } from '../../db/schema.ts';
import { withSystem } from '../../db/tenant.ts';

/** Helpers for the erasure tests: real logins from a chosen address, raw rows as the superuser. */

export interface Person {
  email: string;
  password: string;
  userId: string;
  orgId: string;
  membershipId: string;
  displayName: string;
  ip: string;
  userAgent: string;
}

/** A member with a distinctive name, and the address and browser they will sign in from. */
export async function seedPerson(ta: TestApp, opts: { role?: Role; orgId?: string } = {}): Promise<Person> {
  const member = await seedMember(ta, opts);
  const tag = randomBytes(4).toString('hex');
  const displayName = `Zelda Quill-${tag}`;
  await withSystem(ta.t.database.db, (tx) =>
    tx.execute(sql`UPDATE vigil.users SET display_name = ${displayName} WHERE id = ${member.userId}::uuid`),
  );
  // An address no other person in the file shares (nor contains as a substring): eight full
  // groups, none with a leading zero, which is also PostgreSQL's display form.
  const group = () => (0x1000 + (randomBytes(2).readUInt16BE() % 0xf000)).toString(16);
  const ip = `2001:db8:${Array.from({ length: 6 }, group).join(':')}`;
  return { ...member, displayName, ip, userAgent: `ErasureProbe/${tag} (distinct-ua-${tag})` };
}

export function call(
  ta: TestApp,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  opts: { token?: string; payload?: unknown; as?: Pick<Person, 'ip' | 'userAgent'> } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.payload !== undefined) headers['content-type'] = 'application/json';
  if (opts.as) headers['user-agent'] = opts.as.userAgent;
  return ta.app.inject({
    method,
    url: `/api/v1${url}`,
    headers,
    ...(opts.payload !== undefined ? { payload: JSON.stringify(opts.payload) } : {}),
    ...(opts.as ? { remoteAddress: opts.as.ip } : {}),
  });
}

/** Logs the person in from their address and browser; returns the access and refresh tokens. */
export async function signIn(ta: TestApp, p: Person, orgId = p.orgId): Promise<{ accessToken: string; refreshToken: string }> {
  const response = await call(ta, 'POST', '/auth/login', {
    payload: { email: p.email, password: p.password, orgId, refreshTokenDelivery: 'body' },
    as: p,
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** Runs SQL as the superuser/owner: PostgreSQL's admin connection, or PGlite's superuser for a moment. */
export async function asOwner<T = Record<string, unknown>>(ta: TestApp, text: string, params: unknown[] = []): Promise<T[]> {
  if (ta.t.admin) return (await ta.t.admin.query(text, params)).rows as T[];
  await ta.t.database.exec('RESET ROLE');
  try {
    return (await ta.t.database.query<T>(text, params)).rows;
  } finally {
    await ta.t.database.exec('SET ROLE vigil_app');
  }
}

/** Every row of every table of schema vigil, as text, read past row-level security. */
export async function dumpVigil(ta: TestApp): Promise<string> {
  const tables = await asOwner<{ name: string }>(
    ta,
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'vigil' AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  const parts: string[] = [];
  for (const { name } of tables) {
    const [row] = await asOwner<{ dump: string }>(ta, `SELECT coalesce(string_agg(t::text, E'\\n'), '') AS dump FROM vigil."${name}" t`);
    parts.push(`-- ${name}\n${row?.dump ?? ''}`);
  }
  return parts.join('\n').toLowerCase();
}

/** The person's traces a dump must not hold after erasure (and does hold before it). */
export function tracesOf(p: Person): string[] {
  return [p.email, p.displayName, p.ip, p.userAgent].map((s) => s.toLowerCase());
}

/** How many rows of each per-user table still name the user. */
export async function rowsOf(ta: TestApp, userId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [
    'user_passwords',
    'mfa_totp',
    'mfa_backup_codes',
    'webauthn_credentials',
    'password_resets',
    'auth_challenges',
    'setup_tokens',
    'sessions',
    'memberships',
  ]) {
    const [row] = await asOwner<{ n: string | number }>(ta, `SELECT count(*) AS n FROM vigil.${table} WHERE user_id = $1`, [userId]);
    counts[table] = Number(row?.n ?? -1);
  }
  return counts;
}
