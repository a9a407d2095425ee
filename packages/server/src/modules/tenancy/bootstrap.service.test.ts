import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { contextFor, failureOf, seedContext } from '../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { loadConfig } from '../../config/config.ts';
import { memberships, organizations, setupTokens, users } from '../../db/schema.ts';
import { withSystem, withTenant } from '../../db/tenant.ts';
import { bootstrapFirstOrganization, slugify } from './bootstrap.service.ts';
import { createTenancyService } from './tenancy.service.ts';

/**
 * Bootstrap works on an empty instance only, so each test starts from one: the file's single
 * database is emptied before every test (organizations cascade to memberships and setup
 * tokens; users are removed under the system scope).
 */
let t: TestDatabase;
const config = loadConfig({ PUBLIC_URL: 'https://vigil.example.com/base', VIGIL_DATA_DIR: '/nonexistent' });
/** The CHECK constraint on organizations.slug. */
const SLUG = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.destroy());

beforeEach(async () => {
  await emptyInstance();
  expect(await everything()).toEqual({ organizations: [], users: [], memberships: [], setupTokens: [] });
});

async function emptyInstance() {
  const db = t.database.db;
  const orgs = await withSystem(db, (tx) => tx.select({ id: organizations.id }).from(organizations));
  for (const { id } of orgs) await withTenant(db, seedContext(id), (tx) => tx.delete(organizations));
  await withSystem(db, (tx) => tx.delete(users));
}

function bootstrap(raw: { orgName: string; email: string }) {
  return bootstrapFirstOrganization({ db: t.database.db, config }, raw);
}

/** Every row bootstrap can write, as the system scope sees them. */
function everything() {
  return withSystem(t.database.db, async (tx) => ({
    organizations: await tx.select().from(organizations),
    users: await tx.select().from(users),
    memberships: await tx.select().from(memberships),
    setupTokens: await tx.select().from(setupTokens),
  }));
}

function tokenOf(link: string): string {
  const token = new URLSearchParams(new URL(link).hash.slice(1)).get('token');
  if (!token) throw new Error(`no token in ${link}`);
  return token;
}

describe('bootstrapFirstOrganization', () => {
  it('creates the organization, its OWNER and a one-time setup link', async () => {
    const before = Date.now();
    const result = await bootstrap({ orgName: '  Acme Managed Services  ', email: 'founder@acme.example' });
    const rows = await everything();

    expect(rows.organizations).toHaveLength(1);
    expect(rows.organizations[0]).toMatchObject({ id: result.orgId, name: 'Acme Managed Services', slug: 'acme-managed-services' });
    expect(rows.users).toHaveLength(1);
    expect(rows.users[0]).toMatchObject({ id: result.userId, email: 'founder@acme.example', disabledAt: null });
    expect(rows.memberships).toHaveLength(1);
    expect(rows.memberships[0]).toMatchObject({ orgId: result.orgId, userId: result.userId, role: 'OWNER', clientId: null });
    expect(rows.setupTokens).toHaveLength(1);
    expect(rows.setupTokens[0]).toMatchObject({ orgId: result.orgId, userId: result.userId, usedAt: null });

    // Valid for a day, and the stored expiry is the one reported.
    expect(rows.setupTokens[0]?.expiresAt.getTime()).toBe(result.expiresAt.getTime());
    expect(result.expiresAt.getTime() - before).toBeGreaterThan(23 * 3600_000);
    expect(result.expiresAt.getTime() - before).toBeLessThanOrEqual(24 * 3600_000 + 60_000);

    // The new owner can act in the new organization through the ordinary services.
    const owner = contextFor(rows.memberships[0] as (typeof rows.memberships)[number]);
    const org = await createTenancyService({ db: t.database.db }).getOrganization(owner);
    expect(org).toMatchObject({ id: result.orgId, slug: 'acme-managed-services' });
  });

  it('puts the token only in the link’s fragment, under the public URL, and stores only its SHA-256', async () => {
    const result = await bootstrap({ orgName: 'Acme', email: 'founder@acme.example' });
    // The fragment never reaches a server log or a Referer header.
    expect(result.setupLink.startsWith('https://vigil.example.com/base/setup#token=')).toBe(true);
    const link = new URL(result.setupLink);
    expect(link.search).toBe('');
    expect(link.pathname).toBe('/base/setup');

    const token = tokenOf(result.setupLink);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32);
    const [stored] = (await everything()).setupTokens;
    expect(stored?.tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    // A database dump must not hand out the link.
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('mints a different token on every instance', async () => {
    const first = tokenOf((await bootstrap({ orgName: 'One', email: 'one@example.test' })).setupLink);
    await emptyInstance();
    const second = tokenOf((await bootstrap({ orgName: 'Two', email: 'two@example.test' })).setupLink);
    expect(second).not.toBe(first);
  });

  // Replay: a bootstrap command left in shell history must not mint a second owner later.
  it('works once: a second call answers ALREADY_BOOTSTRAPPED and writes nothing', async () => {
    await bootstrap({ orgName: 'Acme', email: 'founder@acme.example' });
    const before = await everything();
    const error = await failureOf(() => bootstrap({ orgName: 'Intruder Ltd', email: 'intruder@evil.example' }));
    expect({ code: error.code, status: error.status }).toEqual({ code: 'ALREADY_BOOTSTRAPPED', status: 409 });
    expect(await everything()).toEqual(before);
  });

  // Race: two operators (or a retried deploy step) bootstrapping at the same moment.
  it('lets exactly one of several concurrent bootstraps succeed', async () => {
    // On PostgreSQL, open pooled connections first so that the attempts really overlap.
    await Promise.all(Array.from({ length: 4 }, () => t.database.query('SELECT pg_sleep(0.05)')));
    const attempts = ['alpha', 'bravo', 'charlie', 'delta'].map((name) =>
      bootstrap({ orgName: `Org ${name}`, email: `${name}@example.test` }),
    );
    const settled = await Promise.allSettled(attempts);
    const won = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const lost = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost.map((e) => e.code)).toEqual(['ALREADY_BOOTSTRAPPED', 'ALREADY_BOOTSTRAPPED', 'ALREADY_BOOTSTRAPPED']);

    const rows = await everything();
    expect(rows.organizations.map((o) => o.id)).toEqual([won[0]?.orgId]);
    expect(rows.users.map((u) => u.id)).toEqual([won[0]?.userId]);
    expect(rows.memberships).toHaveLength(1);
    expect(rows.setupTokens).toHaveLength(1);
  });

  it.each([
    { why: 'an empty organization name', orgName: '', email: 'founder@acme.example' },
    { why: 'a blank organization name', orgName: '   \t ', email: 'founder@acme.example' },
    { why: 'an organization name over 200 characters', orgName: 'x'.repeat(201), email: 'founder@acme.example' },
    // Regression: PostgreSQL text cannot hold NUL; the insert failed with a database error.
    { why: 'an organization name with a NUL byte', orgName: 'Acme\u0000Ltd', email: 'founder@acme.example' },
    { why: 'an organization name with an escape sequence', orgName: 'Acme\u001b[2J', email: 'founder@acme.example' },
    { why: 'an invalid email', orgName: 'Acme', email: 'not-an-email' },
    { why: 'an email without a domain', orgName: 'Acme', email: 'founder@' },
    { why: 'an empty email', orgName: 'Acme', email: '' },
  ])('refuses $why with INVALID_BOOTSTRAP and writes nothing', async ({ orgName, email }) => {
    const error = await failureOf(() => bootstrap({ orgName, email }));
    expect({ code: error.code, status: error.status }).toEqual({ code: 'INVALID_BOOTSTRAP', status: 400 });
    expect(error.detail).toMatch(orgName === 'Acme' ? /^--email / : /^--org /);
    expect(await everything()).toEqual({ organizations: [], users: [], memberships: [], setupTokens: [] });
  });

  it('stores a slug the database accepts for a long, accented name', async () => {
    const orgName = `Société Générale de Sécurité Informatique et Réseaux ${'é'.repeat(140)}`;
    const result = await bootstrap({ orgName, email: 'founder@sgsir.example' });
    const [org] = (await everything()).organizations;
    expect(org).toMatchObject({ id: result.orgId, name: orgName });
    expect(org?.slug).toMatch(SLUG);
    expect(org?.slug.startsWith('societe-generale-de-securite-informatique-et-reseaux-')).toBe(true);
  });
});

describe('slugify', () => {
  it.each([
    ['Acme', 'acme'],
    ['ACME, Inc.', 'acme-inc'],
    ['  --Hello__World!!  ', 'hello-world'],
    ['Café Crème Brûlée', 'cafe-creme-brulee'],
    ['Ångström & Söhne', 'angstrom-sohne'],
    ['İstanbul Bilişim', 'istanbul-bilisim'],
    ['ﬁnance ①', 'finance-1'],
    // Letters Unicode does not decompose (regression: they used to become dashes).
    ['Müller & Søn', 'muller-son'],
    ['Straße 7', 'strasse-7'],
    ['Ærø Œuvre', 'aero-oeuvre'],
    ['Łódź Đakovo', 'lodz-dakovo'],
    ['web.dev/ops — 24×7', 'web-dev-ops-24-7'],
  ])('turns %j into %j', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it('cuts long names to 63 characters without a trailing dash', () => {
    expect(slugify('a'.repeat(100))).toBe('a'.repeat(63));
    // The cut falls right after a separator: the dash it leaves is dropped.
    expect(slugify(`${'a'.repeat(62)} bcd`)).toBe('a'.repeat(62));
    expect(slugify(`${'ab '.repeat(40)}`)).toMatch(SLUG);
  });

  it.each(['', '   ', '!!!', '---', '日本語の会社', '🚀✨'])('falls back to "org" when nothing is left of %j', (name) => {
    expect(slugify(name)).toBe('org');
  });

  it('always yields what the database CHECK accepts', () => {
    const samples = [
      'x',
      '-a-',
      'a--b',
      `${'é'.repeat(70)}z`,
      `${'a-'.repeat(40)}`,
      `${'-'.repeat(10)}${'b'.repeat(70)}`,
      'Zürich Versicherungs-Gesellschaft AG',
    ];
    for (let i = 0; i < 200; i++) {
      samples.push(Array.from({ length: 1 + (i % 90) }, (_, j) => String.fromCodePoint(32 + ((i * 7919 + j * 104729) % 600))).join(''));
    }
    for (const name of samples) expect({ name, slug: slugify(name) }).toEqual({ name, slug: expect.stringMatching(SLUG) });
  });
});
