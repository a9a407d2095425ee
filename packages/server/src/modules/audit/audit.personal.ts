import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';

/**
 * The personal fields of an audit entry (the acting person's IP address and user agent) sealed
 * under that person's data key for the organization, so that erasing the person (destroying the
 * key) erases them from an append-only, hash-chained log without touching a single entry.
 *
 * Format: `pd1.<user id>.<iv>.<ciphertext+tag>` (base64url, AES-256-GCM, 12-byte IV, 16-byte
 * tag). The user id says whose key opens it; the associated data binds the value to its
 * organization, entry (seq) and person, so a value copied into another entry, chain or person's
 * row does not open.
 */

export interface PersonalFields {
  ip: string | null;
  userAgent: string | null;
}

export interface PersonalPlace {
  orgId: string;
  seq: number;
  userId: string;
}

const VERSION = 'pd1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

function associatedData(place: PersonalPlace): Buffer {
  // NUL-separated: none of the parts can contain NUL, so no two places give the same bytes.
  return Buffer.from(`vigil-audit-personal\0${VERSION}\0${place.orgId}\0${place.seq}\0${place.userId}`, 'utf8');
}

export function sealPersonal(key: Buffer, place: PersonalPlace, fields: PersonalFields): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(place));
  const body = Buffer.concat([cipher.update(JSON.stringify({ ip: fields.ip, userAgent: fields.userAgent }), 'utf8'), cipher.final()]);
  return `${VERSION}.${place.userId}.${iv.toString('base64url')}.${Buffer.concat([body, cipher.getAuthTag()]).toString('base64url')}`;
}

/** Whose key a sealed value needs, or null when it is not one. */
export function personalOwner(sealed: string): string | null {
  const [version, userId] = sealed.split('.');
  return version === VERSION && userId !== undefined && UUID.test(userId) ? userId : null;
}

/**
 * Opens a sealed value, or returns null: no key (the person was erased), a key that is not
 * theirs, a value moved from elsewhere or altered. Plaintext is returned only after the tag
 * verified.
 */
export function openPersonal(key: Buffer | null, place: Omit<PersonalPlace, 'userId'>, sealed: string): PersonalFields | null {
  const parts = sealed.split('.');
  const userId = personalOwner(sealed);
  if (!key || key.length !== DATA_KEY_BYTES || parts.length !== 4 || userId === null) return null;
  const [, , ivText = '', dataText = ''] = parts;
  if (!B64URL.test(ivText) || !B64URL.test(dataText)) return null;
  const iv = Buffer.from(ivText, 'base64url');
  const data = Buffer.from(dataText, 'base64url');
  if (iv.length !== IV_BYTES || data.length <= TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData({ ...place, userId }));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const text = Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    const parsed = JSON.parse(text) as Partial<PersonalFields>;
    return {
      ip: typeof parsed.ip === 'string' ? parsed.ip : null,
      userAgent: typeof parsed.userAgent === 'string' ? parsed.userAgent : null,
    };
  } catch {
    return null;
  }
}

/**
 * Whose personal data an entry's IP address and user agent are: the acting person; failing
 * that, the person the entry is about (a failed login against their account, say).
 */
export function personalDataOwner(actorUserId: string | null, targetType: string | null, targetId: string | null): string | null {
  if (actorUserId !== null) return actorUserId;
  const target = targetId?.toLowerCase() ?? null;
  return targetType === 'user' && target !== null && UUID.test(target) ? target : null;
}

async function rows<T>(tx: Tx, query: SQL): Promise<T[]> {
  return ((await tx.execute(query)) as unknown as { rows: T[] }).rows;
}

const toKey = (value: unknown): Buffer | null => (value === null || value === undefined ? null : Buffer.from(value as Uint8Array));

export const dataKeysRepo = {
  /**
   * The person's data key for the organization, created on first use. Null when the person was
   * erased (a tombstone, or `users.erased_at`), does not exist, or is not visible in the
   * transaction's scope: the caller then stores no personal fields at all, never plaintext.
   * A tombstone makes the insert a no-op, so no key is ever created again after an erasure.
   */
  async keyFor(tx: Tx, orgId: string, userId: string): Promise<Buffer | null> {
    const [existing] = await rows<{ data_key: unknown }>(
      tx,
      sql`SELECT data_key FROM vigil.user_data_keys WHERE user_id = ${userId}::uuid AND org_id = ${orgId}::uuid`,
    );
    if (existing) return toKey(existing.data_key);
    const fresh = randomBytes(DATA_KEY_BYTES);
    await tx.execute(sql`INSERT INTO vigil.user_data_keys (user_id, org_id, data_key)
      SELECT u.id, ${orgId}::uuid, decode(${fresh.toString('hex')}, 'hex') FROM vigil.users u WHERE u.id = ${userId}::uuid AND u.erased_at IS NULL
      ON CONFLICT (user_id, org_id) DO NOTHING`);
    const [created] = await rows<{ data_key: unknown }>(
      tx,
      sql`SELECT data_key FROM vigil.user_data_keys WHERE user_id = ${userId}::uuid AND org_id = ${orgId}::uuid`,
    );
    return created ? toKey(created.data_key) : null;
  },

  /** The live keys of these people in the organization (erased ones are absent). */
  async keysOf(tx: Tx, orgId: string, userIds: readonly string[]): Promise<Map<string, Buffer>> {
    if (userIds.length === 0) return new Map();
    const found = await rows<{ user_id: string; data_key: unknown }>(
      tx,
      sql`SELECT user_id::text AS user_id, data_key FROM vigil.user_data_keys
          WHERE org_id = ${orgId}::uuid AND data_key IS NOT NULL AND user_id IN (${sql.join(
            userIds.map((id) => sql`${id}::uuid`),
            sql`, `,
          )})`,
    );
    const keys = new Map<string, Buffer>();
    for (const row of found) {
      const key = toKey(row.data_key);
      if (key) keys.set(row.user_id, key);
    }
    return keys;
  },
};
