import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, expectFailure, type Factories } from '../../../test/helpers/factories.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { loadConfig } from '../../config/config.ts';
import { mailOutbox } from '../../db/schema.ts';
import { withSystem } from '../../db/tenant.ts';
import { createMailer } from '../../lib/mailer/index.ts';
import { createMailService, type MailService } from './mail.service.ts';

let t: TestDatabase;
let f: Factories;
let mail: MailService;

beforeAll(async () => {
  t = await createTestDatabase();
  f = createFactories(t.database.db);
  mail = createMailService({ db: t.database.db });
});
afterAll(() => t?.destroy());

/** An outbox mailer (no SMTP configured) writing to this file's database. */
function outboxMailer() {
  const config = loadConfig({ LOG_FORMAT: 'json' });
  return { mailer: createMailer(config, { database: t.database.db, logger: { info: () => {}, warn: () => {} } }) };
}

const resetMail = {
  to: 'bob@example.test',
  subject: 'Reset your Vigil password',
  text: 'Reset it at https://vigil.example.test/reset#secret-reset-token',
  html: '<a href="https://vigil.example.test/reset#secret-reset-token">Reset</a>',
  purpose: 'password_reset',
};

describe('the outbox list (mail:read)', () => {
  it('shows an organization its own outbox to owners and admins only', async () => {
    const [orgA, orgB] = [await f.org(), await f.org()];
    const { mailer } = outboxMailer();
    const sentA = [
      await mailer.send({ ...resetMail, to: 'a1@example.test', purpose: 'invite', orgId: orgA.id }),
      await mailer.send({ ...resetMail, to: 'a2@example.test', purpose: 'invite', orgId: orgA.id }),
      await mailer.send({ ...resetMail, to: 'a3@example.test', purpose: 'invite', orgId: orgA.id }),
    ];
    await mailer.send({ ...resetMail, to: 'b1@example.test', purpose: 'invite', orgId: orgB.id });

    const ownerA = await f.actor(orgA.id, 'OWNER');
    const adminA = await f.actor(orgA.id, 'ADMIN');
    const all = await mail.listOutbox(adminA.ctx, { limit: 200 });
    expect(all.items.map((m) => m.id).sort()).toEqual(sentA.map((s) => s.id).sort());
    expect(all.items.every((m) => m.to.startsWith('a'))).toBe(true);
    expect(all.nextCursor).toBeNull();
    expect((await mail.listOutbox(ownerA.ctx)).items).toHaveLength(3);

    // Paging walks every row once.
    const first = await mail.listOutbox(adminA.ctx, { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await mail.listOutbox(adminA.ctx, { limit: 2, cursor: first.nextCursor ?? '' });
    expect([...first.items, ...second.items].map((m) => m.id).sort()).toEqual(sentA.map((s) => s.id).sort());
    expect(second.nextCursor).toBeNull();

    for (const role of ['VIEWER', 'ENGINEER', 'CLIENT_OWNER'] as const) {
      const actor = await f.actor(orgA.id, role);
      await expectFailure(() => mail.listOutbox(actor.ctx), 'FORBIDDEN', 403);
    }
  });

  it('pages through rows written in the same transaction (one created_at) without gaps or repeats', async () => {
    const org = await f.org();
    const written = await withSystem(t.database.db, (tx) =>
      tx
        .insert(mailOutbox)
        .values(
          [1, 2, 3, 4, 5].map((n) => ({ orgId: org.id, toAddress: `m${n}@example.test`, subject: 's', textBody: 't', purpose: 'invite' })),
        )
        .returning({ id: mailOutbox.id }),
    );
    const admin = await f.actor(org.id, 'ADMIN');
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const result = await mail.listOutbox(admin.ctx, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...result.items.map((m) => m.id));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    expect(seen).toHaveLength(5);
    expect([...seen].sort()).toEqual(written.map((w) => w.id).sort());
  });

  it('refuses a forged cursor', async () => {
    const org = await f.org();
    const admin = await f.actor(org.id, 'ADMIN');
    await expectFailure(() => mail.listOutbox(admin.ctx, { cursor: 'bm90LWEtY3Vyc29y' }), 'OUTBOX_CURSOR_INVALID', 400);
    await expectFailure(
      () => mail.listOutbox(admin.ctx, { cursor: Buffer.from(`x|${randomUUID()}`).toString('base64url') }),
      'OUTBOX_CURSOR_INVALID',
      400,
    );
  });

  it('never lists mail that belongs to no organization (password resets)', async () => {
    const org = await f.org();
    const { mailer } = outboxMailer();
    await mailer.send(resetMail);
    const owner = await f.actor(org.id, 'OWNER');
    expect((await mail.listOutbox(owner.ctx)).items).toEqual([]);
  });
});

describe('GET /api/v1/mail/outbox', () => {
  let ta: TestApp;
  beforeAll(async () => {
    ta = await createTestApp();
  });
  afterAll(() => ta?.close());

  it('answers owners and admins with their organization only, others 403, anonymous 401', async () => {
    const af = createFactories(ta.t.database.db);
    const [orgA, orgB] = [await af.org(), await af.org()];
    const mailer = createMailer(loadConfig({ LOG_FORMAT: 'json' }), {
      database: ta.t.database.db,
      logger: { info: () => {}, warn: () => {} },
    });
    const sent = await mailer.send({ ...resetMail, purpose: 'invite', orgId: orgA.id });
    await mailer.send({ ...resetMail, purpose: 'invite', orgId: orgB.id });
    const admin = await af.actor(orgA.id, 'ADMIN');
    const response = await ta.app.inject({
      method: 'GET',
      url: '/api/v1/mail/outbox?limit=10',
      headers: { authorization: ta.tokenFor({ kind: 'user', id: admin.user.id, tenant: admin.ctx }) },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({
      items: [expect.objectContaining({ id: sent.id, to: resetMail.to, text: resetMail.text, html: resetMail.html, purpose: 'invite' })],
      nextCursor: null,
    });
    expect(Object.keys(response.json().items[0]).sort()).toEqual(
      ['createdAt', 'error', 'html', 'id', 'purpose', 'sentAt', 'subject', 'text', 'to'].sort(),
    );
    for (const role of ['ENGINEER', 'VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER'] as const) {
      const actor = await af.actor(orgA.id, role);
      const refused = await ta.app.inject({
        method: 'GET',
        url: '/api/v1/mail/outbox',
        headers: { authorization: ta.tokenFor({ kind: 'user', id: actor.user.id, tenant: actor.ctx }) },
      });
      expect(refused.statusCode, role).toBe(403);
    }
    expect((await ta.app.inject({ method: 'GET', url: '/api/v1/mail/outbox' })).statusCode).toBe(401);
    for (const query of ['limit=0', 'limit=201', 'limit=x', 'cursor=', 'other=1', `cursor=${'a'.repeat(300)}`]) {
      const bad = await ta.app.inject({
        method: 'GET',
        url: `/api/v1/mail/outbox?${query}`,
        headers: { authorization: ta.tokenFor({ kind: 'user', id: admin.user.id, tenant: admin.ctx }) },
      });
      expect(bad.statusCode, query).toBe(400);
    }
  });
});
