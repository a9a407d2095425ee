import { isIP } from 'node:net';
import type { z } from 'zod';
import type { Db, Tx } from '../../db/database.ts';
import { type TenantContext, withTenant } from '../../db/tenant.ts';
import { unstorableJson } from '../../lib/canonical-json.ts';
import { access } from '../tenancy/access.ts';
import type { ActorKind } from './audit.chain.ts';
import { dataKeysRepo, openPersonal, personalDataOwner, personalOwner } from './audit.personal.ts';
import { type AuditRow, auditRepo as repo } from './audit.repo.ts';
import {
  ACTION_PATTERN,
  type AuditEntryView,
  type AuditPage,
  type auditListQuery,
  decodeCursor,
  encodeCursor,
  TARGET_TYPE_PATTERN,
} from './audit.schemas.ts';

export const USER_AGENT_MAX = 512;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What happened, as the service that did it describes it. */
export interface AuditEntryInput {
  /** Dotted lower-case segments, e.g. `auth.login.succeeded`, `asset.deleted`. */
  action: string;
  /** Default: `user` when the context has a user, else `system`. */
  actorKind?: ActorKind;
  /** Default: the context's user. */
  actorUserId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  /**
   * The client the entry concerns (who may see it). Default: the context's client when it is
   * bound to exactly one, else none (an org-level entry).
   */
  clientId?: string | null;
  /**
   * The request's address (Fastify's `request.ip`, which honours TRUST_PROXY only). With the user
   * agent, the person's personal data: when the entry has a person (its acting user, else a user
   * it targets) both are sealed under that person's data key and erased with it.
   */
  ip?: string | null;
  userAgent?: string | null;
  /**
   * Settings before and after a change, and facts about the action. Never put personal data
   * here (an email address, a name): these are hashed in the clear and cannot be erased. Name
   * people by their user id, which stays a pseudonym once they are erased.
   */
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  details?: Record<string, unknown> | null;
}

/** Who records: a tenant context, or the system scope naming the organization. */
export type AuditScope = TenantContext | { readonly system: true; readonly orgId: string };

function uuidOrNull(value: string | null | undefined, what: string): string | null {
  if (value === null || value === undefined) return null;
  if (!UUID.test(value)) throw new TypeError(`${what} must be a UUID`);
  // The database writes uuids in lower case; the hash must cover the same text it reads back.
  return value.toLowerCase();
}

/** A plain JSON object exactly as jsonb will hand it back (undefined dropped, Dates as strings). */
function jsonOrNull(value: Record<string, unknown> | null | undefined, what: string): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  const text = JSON.stringify(value);
  const problem = unstorableJson(text);
  if (problem) throw new TypeError(`audit ${what} ${problem}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** An address PostgreSQL's inet accepts, or null (never fail the audited action over it). */
function ipOrNull(value: string | null | undefined): string | null {
  if (!value) return null;
  const bare = value.split('%')[0] ?? '';
  return isIP(bare) === 0 ? null : bare;
}

/**
 * A user agent is attacker-chosen text: control characters (which forge log lines, and NUL,
 * which PostgreSQL refuses) are dropped, unpaired surrogates replaced, the length capped.
 */
export function cleanUserAgent(value: string | null | undefined): string | null {
  if (!value) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const cleaned = value.replace(/[\u0000-\u001f\u007f]/g, '').replace(LONE_SURROGATE, '\ufffd');
  // Cut by code points, so the cap never splits a surrogate pair.
  const text = [...cleaned].slice(0, USER_AGENT_MAX).join('');
  return text.length > 0 ? text : null;
}

/**
 * Appends an entry to the organization's audit chain inside `tx`, the transaction that makes the
 * change it records: both commit or neither does. `tx` must run in `scope` (withTenant with the
 * same context, or withSystem); the policies refuse anything else.
 */
export async function recordAudit(tx: Tx, scope: AuditScope, entry: AuditEntryInput): Promise<AuditRow> {
  if (!ACTION_PATTERN.test(entry.action) || entry.action.length > 100) throw new TypeError(`invalid audit action ${entry.action}`);
  const targetType = entry.targetType ?? null;
  if (targetType !== null && (!TARGET_TYPE_PATTERN.test(targetType) || targetType.length > 50)) {
    throw new TypeError(`invalid audit target type ${targetType}`);
  }
  const ctx = 'system' in scope ? null : scope;
  const actorUserId = uuidOrNull(entry.actorUserId !== undefined ? entry.actorUserId : (ctx?.userId ?? null), 'actorUserId');
  const boundClient = ctx && ctx.clientIds !== 'all' && ctx.clientIds.length === 1 ? ctx.clientIds[0] : null;
  const orgId = uuidOrNull(scope.orgId, 'orgId') as string;
  const targetId = entry.targetId ? entry.targetId.slice(0, 200) : null;
  const ip = ipOrNull(entry.ip);
  const userAgent = cleanUserAgent(entry.userAgent);
  const owner = personalDataOwner(actorUserId, targetType, targetId);
  // The key is looked up only when there is something to seal (one indexed read; created once).
  const seal = owner && (ip || userAgent) ? { userId: owner, key: await dataKeysRepo.keyFor(tx, orgId, owner) } : null;
  return repo.append(
    tx,
    {
      orgId,
      actorKind: entry.actorKind ?? (actorUserId ? 'user' : 'system'),
      actorUserId,
      action: entry.action,
      targetType,
      targetId,
      clientId: uuidOrNull(entry.clientId !== undefined ? entry.clientId : boundClient, 'clientId'),
      ip,
      userAgent,
      before: jsonOrNull(entry.before, 'before'),
      after: jsonOrNull(entry.after, 'after'),
      details: jsonOrNull(entry.details, 'details'),
    },
    seal,
  );
}

/** An entry as listed: a person's sealed fields opened while their key lives, else null. */
function present(row: AuditRow, keys: ReadonlyMap<string, Buffer>): AuditEntryView {
  const owner = row.personal === null ? null : personalOwner(row.personal);
  const opened = row.personal === null ? null : openPersonal(owner ? (keys.get(owner) ?? null) : null, row, row.personal);
  return {
    id: row.id,
    seq: row.seq,
    occurredAt: row.occurredAt,
    actorKind: row.actorKind,
    actorUserId: row.actorUserId,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    clientId: row.clientId,
    ip: opened ? opened.ip : row.ip,
    userAgent: opened ? opened.userAgent : row.userAgent,
    personalDataErased: row.personal !== null && opened === null,
    before: row.before,
    after: row.after,
    details: row.details,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

export type AuditListFilters = Partial<z.output<typeof auditListQuery>>;
export type AuditService = ReturnType<typeof createAuditService>;

export function createAuditService({ db }: { db: Db }) {
  return {
    /**
     * One page of the organization's audit log, newest first. Only roles with `audit:read`
     * (OWNER, ADMIN) may list it; RLS and the repository would still confine a client-bound
     * context to entries tagged with its client, should a client role ever be given the right.
     */
    async list(ctx: TenantContext, filters: AuditListFilters = {}): Promise<AuditPage> {
      access.require(ctx, 'audit:read');
      const limit = filters.limit ?? 50;
      const beforeSeq = filters.cursor === undefined ? undefined : (decodeCursor(filters.cursor) ?? undefined);
      const { rows, keys } = await withTenant(db, ctx, async (tx) => {
        const found = await repo.list(tx, ctx, {
          limit,
          beforeSeq,
          action: filters.action,
          actorUserId: filters.actor,
          targetType: filters.targetType,
          targetId: filters.targetId,
          clientId: filters.clientId,
          from: filters.from,
          to: filters.to,
        });
        const owners = new Set<string>();
        for (const row of found) {
          const owner = row.personal === null ? null : personalOwner(row.personal);
          if (owner) owners.add(owner);
        }
        return { rows: found, keys: await dataKeysRepo.keysOf(tx, ctx.orgId, [...owners]) };
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { items: page.map((row) => present(row, keys)), nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null };
    },
  };
}
