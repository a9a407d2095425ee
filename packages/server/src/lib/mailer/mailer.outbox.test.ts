import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, expectFailure, type Factories } from '../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { loadConfig } from '../../config/config.ts';
import { mailOutbox } from '../../db/schema.ts';
import { withSystem, withTenant } from '../../db/tenant.ts';
import { createMailer } from './mailer.ts';

let t: TestDatabase;
let f: Factories;

beforeAll(async () => {
  t = await createTestDatabase();
  f = createFactories(t.database.db);
});
afterAll(() => t?.destroy());

interface LogLine {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  msg: string;
}

function recordingMailer(format: 'pretty' | 'json') {
  const lines: LogLine[] = [];
  const config = loadConfig({ LOG_FORMAT: format });
  const mailer = createMailer(config, {
    database: t.database.db,
    logger: {
      info: ((fields: Record<string, unknown>, msg: string) => lines.push({ level: 'info', fields, msg })) as never,
      warn: ((fields: Record<string, unknown>, msg: string) => lines.push({ level: 'warn', fields, msg })) as never,
    },
  });
  return { mailer, lines };
}

const resetMail = {
  to: 'bob@example.test',
  subject: 'Reset your Vigil password',
  text: 'Reset it at https://vigil.example.test/reset#secret-reset-token',
  html: '<a href="https://vigil.example.test/reset#secret-reset-token">Reset</a>',
  purpose: 'password_reset',
};

describe('mailer without SMTP: the outbox', () => {
  it('stores the message, and logs one line with the body in pretty mode only', async () => {
    for (const format of ['pretty', 'json'] as const) {
      const { mailer, lines } = recordingMailer(format);
      const result = await mailer.send(resetMail);
      expect(result.delivered).toBe('outbox');
      const rows = await withSystem(t.database.db, (tx) => tx.select().from(mailOutbox).where(eq(mailOutbox.id, result.id)));
      expect(rows).toMatchObject([
        {
          orgId: null,
          toAddress: 'bob@example.test',
          subject: 'Reset your Vigil password',
          textBody: resetMail.text,
          htmlBody: resetMail.html,
          purpose: 'password_reset',
          sentAt: null,
          error: null,
        },
      ]);
      expect(lines).toHaveLength(1);
      const [line] = lines;
      expect(line?.level).toBe('info');
      expect(line?.fields.mail).toEqual({ id: result.id, to: 'bob@example.test', subject: resetMail.subject, purpose: 'password_reset' });
      const logged = JSON.stringify(line);
      // The HTML body is never logged; the text body (a reset link) only on a developer's terminal.
      expect(logged).not.toContain('<a href');
      if (format === 'pretty') expect(line?.fields.text).toBe(resetMail.text);
      else expect(logged).not.toContain('secret-reset-token');
    }
  });

  it('refuses a header injection before storing anything', async () => {
    const { mailer, lines } = recordingMailer('pretty');
    const before = await withSystem(t.database.db, (tx) => tx.select({ id: mailOutbox.id }).from(mailOutbox));
    await expectFailure(() => mailer.send({ ...resetMail, subject: 'Hi\r\nBcc: x@example.test' }), 'MAIL_INVALID_MESSAGE', 400);
    await expectFailure(() => mailer.send({ ...resetMail, to: 'bob@example.test\nBcc: x@example.test' }), 'MAIL_INVALID_MESSAGE', 400);
    const after = await withSystem(t.database.db, (tx) => tx.select({ id: mailOutbox.id }).from(mailOutbox));
    expect(after).toHaveLength(before.length);
    expect(lines).toEqual([]);
  });

  it('row-level security keeps other organizations and client-bound contexts out, whatever the query', async () => {
    const [orgA, orgB] = [await f.org(), await f.org()];
    const { mailer } = recordingMailer('json');
    await mailer.send({ ...resetMail, orgId: orgA.id });
    await mailer.send({ ...resetMail, orgId: orgB.id });
    await mailer.send(resetMail);
    const admin = await f.actor(orgA.id, 'ADMIN');
    const seen = await withTenant(t.database.db, admin.ctx, (tx) => tx.select().from(mailOutbox));
    expect(seen.map((r) => r.orgId)).toEqual([orgA.id]);
    const client = await f.actor(orgA.id, 'CLIENT_OWNER');
    expect(await withTenant(t.database.db, client.ctx, (tx) => tx.select().from(mailOutbox))).toEqual([]);
    // A tenant context cannot write the outbox (every write goes through the mailer's system scope).
    await expect(
      withTenant(t.database.db, admin.ctx, (tx) =>
        tx.insert(mailOutbox).values({ orgId: orgA.id, toAddress: 'x@example.test', subject: 's', textBody: 't', purpose: 'invite' }),
      ),
    ).rejects.toThrow();
    // Once recorded, a message only gains its outcome: its body cannot be rewritten.
    await expect(
      withSystem(t.database.db, (tx) => tx.update(mailOutbox).set({ textBody: 'changed' }).where(eq(mailOutbox.orgId, orgA.id))),
    ).rejects.toThrow();
    await withSystem(t.database.db, (tx) => tx.update(mailOutbox).set({ error: 'bounced' }).where(eq(mailOutbox.orgId, orgA.id)));
  });

  it('refuses an orgId that is not a UUID', async () => {
    const { mailer } = recordingMailer('json');
    await expectFailure(() => mailer.send({ ...resetMail, orgId: randomUUID().slice(1) }), 'MAIL_INVALID_MESSAGE', 400);
  });
});
