import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import type { TenantContext } from '../../db/tenant.ts';
import { type AuditContent, auditHash, GENESIS_HASH } from './audit.chain.ts';
import { sealPersonal } from './audit.personal.ts';

/**
 * The audit log's queries, in plain SQL: the hash is computed over the text forms PostgreSQL
 * writes (timestamps to the microsecond, inet in its display form), so every read spells those
 * conversions out instead of relying on each driver's parsing.
 */

/** A stored entry: its content (what the hash covers), its id and its hash. */
export interface AuditRow extends AuditContent {
  /** bigint identity, as text: it can outgrow a JS number's exact range. */
  id: string;
  hash: string;
}

/** What a caller supplies; the repository adds seq, occurred_at, the sealed fields and the hashes. */
export type NewAuditEntry = Omit<AuditContent, 'seq' | 'occurredAt' | 'prevHash' | 'personal'>;

/**
 * Whose personal data the entry's IP address and user agent are, and that person's data key:
 * they are sealed under it, or, with no key (an erased person), not stored at all.
 */
export interface PersonalSeal {
  userId: string;
  key: Buffer | null;
}

export interface AuditListFilter {
  limit: number;
  /** Only entries older than this one (its seq): the keyset cursor. */
  beforeSeq?: number | undefined;
  /** An action or a prefix of whole segments: `auth.login` matches `auth.login.failed`. */
  action?: string | undefined;
  actorUserId?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  clientId?: string | undefined;
  /** Inclusive lower and exclusive upper bound on occurred_at (ISO 8601). */
  from?: string | undefined;
  to?: string | undefined;
}

// Both key spaces of the two-integer advisory locks are ours to pick; this class is 'audi'.
const CHAIN_LOCK_CLASS = 0x61_75_64_69;
const OCCURRED_AT = sql.raw(`to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
const NOW = sql.raw(`to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
// The text forms shadow the column names in ORDER BY: sort by `audit_log.seq`, never by `seq`.
const COLUMNS = sql`id::text AS id, org_id::text AS org_id, seq::text AS seq, ${OCCURRED_AT} AS occurred_at, actor_kind,
  actor_user_id::text AS actor_user_id, action, target_type, target_id, client_id::text AS client_id, abbrev(ip) AS ip,
  user_agent, personal, before, after, details, prev_hash, hash`;

interface RawRow {
  id: string | number;
  org_id: string;
  seq: string | number;
  occurred_at: string;
  actor_kind: AuditContent['actorKind'];
  actor_user_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  personal: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  details: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

async function rows<T>(tx: Tx, query: SQL): Promise<T[]> {
  // node-postgres and PGlite both answer { rows }; drizzle types the raw result per driver.
  return ((await tx.execute(query)) as unknown as { rows: T[] }).rows;
}

function toRow(r: RawRow): AuditRow {
  return {
    id: String(r.id),
    orgId: r.org_id,
    seq: Number(r.seq),
    occurredAt: r.occurred_at,
    actorKind: r.actor_kind,
    actorUserId: r.actor_user_id,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    clientId: r.client_id,
    ip: r.ip,
    userAgent: r.user_agent,
    personal: r.personal,
    before: r.before,
    after: r.after,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

const json = (value: Record<string, unknown> | null) => (value === null ? null : JSON.stringify(value));

export const auditRepo = {
  /**
   * Appends one entry to its organization's chain inside the caller's transaction, so the entry
   * commits or rolls back with the change it records. The advisory lock serialises appenders of
   * one organization until COMMIT, so each reads the head the previous one wrote; the insert
   * trigger re-checks the link, so even a writer that skipped the lock cannot fork the chain.
   */
  async append(tx: Tx, entry: NewAuditEntry, seal: PersonalSeal | null = null): Promise<AuditRow> {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${CHAIN_LOCK_CLASS}::int, hashtext(${entry.orgId}))`);
    const [head] = await rows<{ seq: string | null; hash: string | null; now: string; ip: string | null }>(
      tx,
      sql`SELECT h.seq::text AS seq, h.hash, ${NOW} AS now, abbrev(${entry.ip}::inet) AS ip
          FROM (SELECT 1) AS one LEFT JOIN vigil.audit_heads h ON h.org_id = ${entry.orgId}::uuid`,
    );
    if (!head) throw new Error('the audit head query returned no row');
    const seq = head.seq === null ? 1 : Number(head.seq) + 1;
    const fields = { ip: head.ip, userAgent: entry.userAgent };
    const hasFields = fields.ip !== null || fields.userAgent !== null;
    // A person's fields are sealed, or dropped when their key is gone; never stored in the clear.
    const personal =
      seal?.key && hasFields ? sealPersonal(seal.key, { orgId: entry.orgId, seq, userId: seal.userId.toLowerCase() }, fields) : null;
    const content: AuditContent = {
      ...entry,
      ip: seal ? null : fields.ip,
      userAgent: seal ? null : fields.userAgent,
      personal,
      seq,
      occurredAt: head.now,
      prevHash: head.hash ?? GENESIS_HASH,
    };
    const hash = auditHash(content);
    await tx.execute(
      sql`INSERT INTO vigil.audit_log (org_id, seq, occurred_at, actor_kind, actor_user_id, action, target_type, target_id,
            client_id, ip, user_agent, personal, before, after, details, prev_hash, hash)
          VALUES (${content.orgId}::uuid, ${content.seq}::bigint, ${content.occurredAt}::timestamptz, ${content.actorKind},
            ${content.actorUserId}::uuid, ${content.action}, ${content.targetType}, ${content.targetId}, ${content.clientId}::uuid,
            ${content.ip}::inet, ${content.userAgent}, ${content.personal}, ${json(content.before)}::jsonb, ${json(content.after)}::jsonb,
            ${json(content.details)}::jsonb, ${content.prevHash}, ${hash})`,
    );
    // Not RETURNING: that needs the new row to pass a SELECT policy, which the system scope has
    // not (it may append, never read). The identity came from this session's nextval, so currval
    // names it.
    const [inserted] = await rows<{ id: string }>(tx, sql`SELECT currval(pg_get_serial_sequence('vigil.audit_log', 'id'))::text AS id`);
    if (!inserted) throw new Error('currval returned no row');
    return { ...content, id: String(inserted.id), hash };
  },

  /** The tenant's entries, newest first, one page (limit + 1 rows tell whether more follow). */
  async list(tx: Tx, ctx: TenantContext, f: AuditListFilter): Promise<AuditRow[]> {
    const where: SQL[] = [sql`org_id = ${ctx.orgId}::uuid`];
    // Layer 2 of tenancy (RLS is layer 3): a client-bound actor sees only its clients' entries.
    if (ctx.clientIds !== 'all') {
      where.push(
        ctx.clientIds.length === 0
          ? sql`false`
          : sql`client_id IN (${sql.join(
              ctx.clientIds.map((id) => sql`${id}::uuid`),
              sql`, `,
            )})`,
      );
    }
    if (f.beforeSeq !== undefined) where.push(sql`seq < ${f.beforeSeq}::bigint`);
    // Compared by segments, not LIKE: `auth.login` must not match `auth.loginx`.
    if (f.action !== undefined) where.push(sql`(action = ${f.action} OR left(action, ${f.action.length + 1}) = ${`${f.action}.`})`);
    if (f.actorUserId !== undefined) where.push(sql`actor_user_id = ${f.actorUserId}::uuid`);
    if (f.targetType !== undefined) where.push(sql`target_type = ${f.targetType}`);
    if (f.targetId !== undefined) where.push(sql`target_id = ${f.targetId}`);
    if (f.clientId !== undefined) where.push(sql`client_id = ${f.clientId}::uuid`);
    if (f.from !== undefined) where.push(sql`occurred_at >= ${f.from}::timestamptz`);
    if (f.to !== undefined) where.push(sql`occurred_at < ${f.to}::timestamptz`);
    const found = await rows<RawRow>(
      tx,
      sql`SELECT ${COLUMNS} FROM vigil.audit_log WHERE ${sql.join(where, sql` AND `)} ORDER BY audit_log.seq DESC LIMIT ${f.limit + 1}`,
    );
    return found.map(toRow);
  },

  /** The head of an organization's chain: its last entry's seq and hash, or null when empty. */
  async head(tx: Tx, orgId: string): Promise<{ seq: number; hash: string } | null> {
    const [row] = await rows<{ seq: string | number; hash: string }>(
      tx,
      sql`SELECT seq::text AS seq, hash FROM vigil.audit_heads WHERE org_id = ${orgId}::uuid`,
    );
    return row ? { seq: Number(row.seq), hash: row.hash } : null;
  },

  /** Entries of one chain after `afterSeq`, in chain order, for verification. */
  async chainPage(tx: Tx, orgId: string, afterSeq: number, limit: number): Promise<AuditRow[]> {
    const found = await rows<RawRow>(
      tx,
      sql`SELECT ${COLUMNS} FROM vigil.audit_log WHERE org_id = ${orgId}::uuid AND seq > ${afterSeq}::bigint
          ORDER BY audit_log.seq LIMIT ${limit}`,
    );
    return found.map(toRow);
  },

  /** Every organization's id, in order; run in the system scope. */
  async organizationIds(tx: Tx): Promise<string[]> {
    return (await rows<{ id: string }>(tx, sql`SELECT id::text AS id FROM vigil.organizations ORDER BY id`)).map((r) => r.id);
  },
};
