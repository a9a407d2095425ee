import { canonicalJson, sha256Hex } from '../../lib/canonical-json.ts';

/** The `prev_hash` of a chain's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export const ACTOR_KINDS = ['user', 'api_key', 'agent', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/**
 * One audit entry as stored: every column of `vigil.audit_log` except `id`, in the exact text
 * forms the hash is computed over. The same forms are what the repository reads back, so
 * verification recomputes the hash from the row without any other state.
 */
export interface AuditContent {
  orgId: string;
  seq: number;
  /** UTC, microseconds: `YYYY-MM-DDTHH:MM:SS.ffffffZ`, as PostgreSQL's to_char writes it. */
  occurredAt: string;
  actorKind: ActorKind;
  actorUserId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  clientId: string | null;
  /** PostgreSQL's display form of the inet (`abbrev(ip)`): `192.0.2.1`, `2001:db8::1`. */
  ip: string | null;
  userAgent: string | null;
  /**
   * A person's IP address and user agent, sealed under their data key (audit.personal.ts); ip
   * and userAgent are then null. Erasing the person destroys the key, not this value.
   */
  personal: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  details: Record<string, unknown> | null;
  prevHash: string;
}

/**
 * The hash of an entry, the definition `vigil audit verify` checks (change it only with a new
 * chain version):
 *
 *   hash = hex(SHA-256(prev_hash || canonicalJson(content)))
 *
 * where `||` is string concatenation, prev_hash is 64 lower-case hex digits, and content is a
 * JSON object keyed by the column names — org_id, seq, occurred_at, actor_kind, actor_user_id,
 * action, target_type, target_id, client_id, ip, user_agent, before, after, details, prev_hash —
 * every key always present (null when empty), uuids in lower case, seq a JSON number,
 * occurred_at and ip in the forms above, before/after/details the JSON values as PostgreSQL's
 * jsonb returns them. canonicalJson (lib/canonical-json.ts) sorts keys at every level and writes
 * no whitespace, so any reader that parses the row back gets the same text.
 *
 * `personal` (0006) is one more key, present only when the column is set: entries without sealed
 * personal fields, those written before 0006 included, hash exactly as before. Setting or
 * clearing it changes the hashed text either way, so neither goes unnoticed.
 */
export function auditHash(content: AuditContent): string {
  return sha256Hex(
    content.prevHash +
      canonicalJson({
        ...(content.personal === null ? {} : { personal: content.personal }),
        org_id: content.orgId,
        seq: content.seq,
        occurred_at: content.occurredAt,
        actor_kind: content.actorKind,
        actor_user_id: content.actorUserId,
        action: content.action,
        target_type: content.targetType,
        target_id: content.targetId,
        client_id: content.clientId,
        ip: content.ip,
        user_agent: content.userAgent,
        before: content.before,
        after: content.after,
        details: content.details,
        prev_hash: content.prevHash,
      }),
  );
}
