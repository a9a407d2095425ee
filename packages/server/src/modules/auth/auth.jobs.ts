import { and, eq, isNotNull, lt, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, Tx } from '../../db/database.ts';
import { authChallenges, mfaTotp, passwordResets, sessions } from '../../db/schema.ts';
import { withSystem } from '../../db/tenant.ts';
import { defineJob } from '../../jobs/job.definition.ts';
import { type KeyringSource, reseal } from '../../lib/keys/index.ts';
import type { Logger } from '../../logger.ts';
import { totpAad } from './mfa/totp.service.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Ended sessions stay listed this long (for "where was I logged in"), then go. */
const SESSION_RETENTION_MS = 30 * DAY_MS;
const RESEAL_BATCH = 500;

/**
 * Re-encrypts TOTP secrets still sealed under an older MFA key, in batches, each row with a
 * conditional UPDATE so a concurrent enrolment or verification is never overwritten. After
 * `vigil keys rotate mfa` this moves every secret to the new key, and the old key can then be
 * retired. A secret that does not open is left alone and counted (it fails at login as well).
 */
export async function resealTotpSecrets(database: Database, keys: KeyringSource): Promise<{ resealed: number; failed: number }> {
  const keyring = keys.current();
  const activePrefix = `v1.${keyring.active('mfa').kid}.`;
  let resealed = 0;
  let failed = 0;
  for (;;) {
    const batch = await withSystem(database.db, (tx) =>
      tx
        .select({ userId: mfaTotp.userId, sealed: mfaTotp.secretSealed })
        .from(mfaTotp)
        .where(sql`left(${mfaTotp.secretSealed}, ${activePrefix.length}) <> ${activePrefix}`)
        .limit(RESEAL_BATCH + failed),
    );
    const todo = batch.slice(failed);
    if (todo.length === 0) break;
    await withSystem(database.db, async (tx: Tx) => {
      for (const row of todo) {
        let next: string | null;
        try {
          next = reseal(keyring, 'mfa', row.sealed, totpAad(row.userId));
        } catch {
          failed++;
          continue;
        }
        if (next === null) continue;
        const updated = await tx
          .update(mfaTotp)
          .set({ secretSealed: next })
          .where(and(eq(mfaTotp.userId, row.userId), eq(mfaTotp.secretSealed, row.sealed)))
          .returning({ userId: mfaTotp.userId });
        resealed += updated.length;
      }
    });
    if (todo.length < RESEAL_BATCH) break;
  }
  return { resealed, failed };
}

/** Drops what has ended: old sessions (with their refresh tokens), spent challenges and reset links. */
export async function purgeEndedAuthRows(
  database: Database,
  now = new Date(),
): Promise<{ sessions: number; challenges: number; resets: number }> {
  return withSystem(database.db, async (tx) => {
    const cutoff = new Date(now.getTime() - SESSION_RETENTION_MS);
    const ended = await tx
      .delete(sessions)
      .where(
        or(
          and(isNotNull(sessions.revokedAt), lt(sessions.revokedAt, cutoff)),
          lt(sessions.idleExpiresAt, cutoff),
          lt(sessions.absoluteExpiresAt, cutoff),
        ),
      )
      .returning({ id: sessions.id });
    const challenges = await tx
      .delete(authChallenges)
      .where(lt(authChallenges.expiresAt, new Date(now.getTime() - DAY_MS)))
      .returning({ id: authChallenges.id });
    const resets = await tx
      .delete(passwordResets)
      .where(lt(passwordResets.expiresAt, new Date(now.getTime() - DAY_MS)))
      .returning({ id: passwordResets.id });
    return { sessions: ended.length, challenges: challenges.length, resets: resets.length };
  });
}

/** Hourly: re-encryption after key rotation, and clearing out ended auth rows. */
export function authMaintenanceJob(deps: { database: Database; logger: Logger; keys: KeyringSource }) {
  return defineJob({
    name: 'auth.maintenance',
    payload: z.object({}),
    retry: { limit: 1, delaySeconds: 600, backoff: false },
    expireInSeconds: 60 * 60,
    schedule: '41 * * * *',
    async handler() {
      const secrets = await resealTotpSecrets(deps.database, deps.keys);
      if (secrets.resealed > 0 || secrets.failed > 0)
        deps.logger.info({ ...secrets }, 'TOTP secrets re-encrypted under the active MFA key');
      if (secrets.failed > 0)
        deps.logger.warn({ failed: secrets.failed }, 'some TOTP secrets do not open with any MFA key; those users must enrol again');
      const purged = await purgeEndedAuthRows(deps.database);
      deps.logger.debug({ ...purged }, 'ended sessions, challenges and reset links removed');
    },
  });
}
