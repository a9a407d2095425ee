import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import type { Role } from '../../db/schema.ts';
import type { TenantContext } from '../../db/tenant.ts';

/**
 * Erasure's queries. Unless a function takes a tenant context, it runs in the system scope: a
 * person's credentials, sessions and mail belong to no tenant. Each function names the table it
 * clears, so a reviewer can hold the list against the schema (users.erasure.test.ts does, row by
 * row, on a full dump).
 */

export interface ErasableUser {
  email: string;
  displayName: string | null;
  passwordHash: string | null;
}

export interface MembershipRef {
  id: string;
  orgId: string;
  userId: string;
  role: Role;
}

async function rows<T>(tx: Tx, query: SQL): Promise<T[]> {
  return ((await tx.execute(query)) as unknown as { rows: T[] }).rows;
}

const ids = (values: readonly string[]) =>
  sql.join(
    values.map((id) => sql`${id}::uuid`),
    sql`, `,
  );

/** Rows of the mail outbox that are to or about the person (their address or name in it). */
function mailAbout(email: string, displayName: string | null): SQL {
  const text = sql`lower(subject || ' ' || text_body || ' ' || coalesce(html_body, ''))`;
  // A very short name would match unrelated mail; an email is always long enough to be specific.
  const name = displayName && displayName.trim().length >= 3 ? sql` OR strpos(${text}, lower(${displayName.trim()})) > 0` : sql``;
  return sql`(lower(to_address) = lower(${email}) OR strpos(${text}, lower(${email})) > 0${name})`;
}

export const usersRepo = {
  /** The user, locked until the erasure commits; null when missing or already erased. */
  async lockUser(tx: Tx, userId: string): Promise<ErasableUser | null> {
    const [row] = await rows<{ email: string; display_name: string | null; password_hash: string | null }>(
      tx,
      sql`SELECT u.email, u.display_name, p.password_hash FROM vigil.users u
          LEFT JOIN vigil.user_passwords p ON p.user_id = u.id
          WHERE u.id = ${userId}::uuid AND u.erased_at IS NULL FOR UPDATE OF u`,
    );
    return row ? { email: row.email, displayName: row.display_name, passwordHash: row.password_hash } : null;
  },

  async memberships(tx: Tx, userId: string): Promise<MembershipRef[]> {
    return rows<MembershipRef>(
      tx,
      sql`SELECT id::text AS id, org_id::text AS "orgId", user_id::text AS "userId", role FROM vigil.memberships
          WHERE user_id = ${userId}::uuid ORDER BY org_id`,
    );
  },

  /** A membership of the context's organization (tenant scope): another organization's is not found. */
  async findMember(tx: Tx, ctx: TenantContext, membershipId: string): Promise<MembershipRef | null> {
    const [row] = await rows<MembershipRef>(
      tx,
      sql`SELECT id::text AS id, org_id::text AS "orgId", user_id::text AS "userId", role FROM vigil.memberships
          WHERE id = ${membershipId}::uuid AND org_id = ${ctx.orgId}::uuid`,
    );
    return row ?? null;
  },

  /** When a session of this user began (its login), or null when it is gone or revoked. */
  async sessionStartedAt(tx: Tx, userId: string, sessionId: string): Promise<Date | null> {
    const [row] = await rows<{ created_at: string | Date }>(
      tx,
      sql`SELECT created_at FROM vigil.sessions WHERE id = ${sessionId}::uuid AND user_id = ${userId}::uuid AND revoked_at IS NULL`,
    );
    return row ? new Date(row.created_at) : null;
  },

  /**
   * The organization's owners, locked in id order (in the organization's tenant context: the
   * system scope may not lock memberships). Two owners erasing themselves at once queue here,
   * and the second then counts one owner fewer.
   */
  async lockOwners(tx: Tx, ctx: TenantContext): Promise<string[]> {
    const found = await rows<{ user_id: string }>(
      tx,
      sql`SELECT user_id::text AS user_id FROM vigil.memberships WHERE org_id = ${ctx.orgId}::uuid AND role = 'OWNER'
          ORDER BY id FOR UPDATE`,
    );
    return found.map((r) => r.user_id);
  },

  /** In the organization's tenant context, as the tenancy policies allow. */
  async deleteMembership(tx: Tx, ctx: TenantContext, membershipId: string): Promise<void> {
    await tx.execute(sql`DELETE FROM vigil.memberships WHERE id = ${membershipId}::uuid AND org_id = ${ctx.orgId}::uuid`);
  },

  /**
   * Everything Vigil holds on the person, deleted or overwritten; the row stays as the pseudonym
   * the audit trail names. `erased-<id>@invalid` satisfies the email CHECK and can receive no
   * mail (.invalid is reserved, RFC 2606); disabled_at keeps every "active user" check closed.
   */
  async eraseAccount(tx: Tx, userId: string, user: ErasableUser, orgIds: readonly string[], loginKey: string): Promise<void> {
    const uid = sql`${userId}::uuid`;
    for (const table of [
      'user_passwords',
      'mfa_totp',
      'mfa_backup_codes',
      'webauthn_credentials',
      'password_resets',
      'auth_challenges',
      'setup_tokens',
      // Their refresh tokens go with them (ON DELETE CASCADE): the access tokens die at their next
      // request, which resolves its session.
      'sessions',
    ]) {
      await tx.execute(sql`DELETE FROM ${sql.raw(`vigil.${table}`)} WHERE user_id = ${uid}`);
    }
    // The lockout counter is keyed by the SHA-256 of the login name: a pseudonym of the email.
    await tx.execute(sql`DELETE FROM vigil.login_throttle WHERE account_key = ${loginKey}`);
    // Keys they created are revoked; created_by stays, a pseudonym like the audit trail's.
    await tx.execute(sql`UPDATE vigil.api_keys SET revoked_at = now() WHERE created_by = ${uid} AND revoked_at IS NULL`);
    await tx.execute(sql`DELETE FROM vigil.invitations WHERE lower(email) = lower(${user.email})`);
    await tx.execute(sql`DELETE FROM vigil.mail_outbox WHERE ${mailAbout(user.email, user.displayName)}`);
    await this.destroyDataKeys(tx, userId, { tombstones: orgIds });
    await tx.execute(sql`UPDATE vigil.users SET email = ${`erased-${userId}@invalid`}, display_name = NULL,
      erased_at = now(), disabled_at = coalesce(disabled_at, now()) WHERE id = ${uid}`);
  },

  /**
   * What one organization holds on a member who stays in others: their sessions in it, keys they
   * created in it, its invitations and mail to them, and their data key for its audit entries.
   */
  async eraseFromOrganization(tx: Tx, userId: string, orgId: string, user: ErasableUser): Promise<void> {
    const [uid, oid] = [sql`${userId}::uuid`, sql`${orgId}::uuid`];
    await tx.execute(sql`DELETE FROM vigil.sessions WHERE user_id = ${uid} AND org_id = ${oid}`);
    await tx.execute(
      sql`UPDATE vigil.api_keys SET revoked_at = now() WHERE created_by = ${uid} AND org_id = ${oid} AND revoked_at IS NULL`,
    );
    await tx.execute(sql`DELETE FROM vigil.invitations WHERE org_id = ${oid} AND lower(email) = lower(${user.email})`);
    await tx.execute(sql`DELETE FROM vigil.mail_outbox WHERE org_id = ${oid} AND ${mailAbout(user.email, user.displayName)}`);
    await this.destroyDataKeys(tx, userId, { only: orgId, tombstones: [orgId] });
  },

  /**
   * Destroys the person's audit data keys, leaving tombstones. Organizations they belong to get a
   * tombstone even without a key yet, so an append racing with the erasure cannot create one.
   */
  async destroyDataKeys(tx: Tx, userId: string, which: { only?: string; tombstones: readonly string[] }): Promise<void> {
    const scoped = which.only === undefined ? sql`` : sql` AND org_id = ${which.only}::uuid`;
    await tx.execute(sql`UPDATE vigil.user_data_keys SET data_key = NULL, erased_at = now()
      WHERE user_id = ${userId}::uuid AND data_key IS NOT NULL${scoped}`);
    if (which.tombstones.length === 0) return;
    await tx.execute(sql`INSERT INTO vigil.user_data_keys (user_id, org_id, data_key, erased_at)
      SELECT ${userId}::uuid, o, NULL, now() FROM unnest(ARRAY[${ids(which.tombstones)}]) AS o
      ON CONFLICT (user_id, org_id) DO NOTHING`);
  },
};
