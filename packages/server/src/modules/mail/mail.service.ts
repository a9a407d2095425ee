import type { Db } from '../../db/database.ts';
import { type TenantContext, withTenant } from '../../db/tenant.ts';
import { access } from '../tenancy/access.ts';
import { mailModuleError } from './mail.errors.ts';
import { type OutboxRow, mailRepo as repo } from './mail.repo.ts';
import type { OutboxEntry, OutboxPage } from './mail.schemas.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const encodeCursor = (createdAt: Date, id: string) => Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (rest.length > 0 || id === undefined || !UUID.test(id) || Number.isNaN(createdAt.getTime())) {
    throw mailModuleError('OUTBOX_CURSOR_INVALID');
  }
  return { createdAt, id };
}

function present(row: OutboxRow): OutboxEntry {
  return {
    id: row.id,
    to: row.toAddress,
    subject: row.subject,
    text: row.textBody,
    html: row.htmlBody,
    purpose: row.purpose,
    createdAt: row.createdAt.toISOString(),
    sentAt: row.sentAt?.toISOString() ?? null,
    error: row.error,
  };
}

export type MailService = ReturnType<typeof createMailService>;

export function createMailService({ db }: { db: Db }) {
  return {
    /**
     * The organization's outbox (mail stored because no SMTP server is configured), newest first,
     * for owners and admins (`mail:read`): its bodies carry invitation links. Row-level security
     * confines the read to the context's organization; client-bound contexts see nothing.
     * Password-reset mail belongs to no organization and so never appears here.
     */
    async listOutbox(ctx: TenantContext, opts: { limit?: number; cursor?: string } = {}): Promise<OutboxPage> {
      access.require(ctx, 'mail:read');
      const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 50), 1), 200);
      const after = opts.cursor === undefined ? null : decodeCursor(opts.cursor);
      const rows = await withTenant(db, ctx, (tx) => repo.listOutbox(tx, ctx, { limit, after }));
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { items: page.map(present), nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
    },
  };
}
