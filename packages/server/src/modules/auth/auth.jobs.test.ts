import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories } from '../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-database.ts';
import { loadConfig } from '../../config/config.ts';
import { mfaTotp, sessions } from '../../db/schema.ts';
import { withSystem } from '../../db/tenant.ts';
import { createKeyringSource, retireKey, rotateKey } from '../../lib/keys/index.ts';
import { purgeEndedAuthRows, resealTotpSecrets } from './auth.jobs.ts';
import { confirmTotpEnrolment, startTotpEnrolment, verifyTotp } from './mfa/index.ts';

let t: TestDatabase;
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-reseal-'));
const config = loadConfig({ VIGIL_DATA_DIR: dir, LOG_LEVEL: 'silent' });
const quiet = { warn: () => {}, error: () => {} };

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const code = (secret: string, offset: number) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offset * 1000 });

async function enrolled(keys: ReturnType<typeof createKeyringSource>) {
  const f = createFactories(t.database.db);
  const user = await f.user();
  const { secret } = await withSystem(t.database.db, (tx) => startTotpEnrolment(tx, { keyring: keys.current() }, user));
  await withSystem(t.database.db, (tx) => confirmTotpEnrolment(tx, { keyring: keys.current(), logger: quiet }, user.id, code(secret, -30)));
  return { user, secret };
}

const sealedOf = async (userId: string) =>
  (await withSystem(t.database.db, (tx) => tx.select({ s: mfaTotp.secretSealed }).from(mfaTotp).where(eq(mfaTotp.userId, userId))))[0]
    ?.s as string;

describe('re-encryption after an MFA key rotation', () => {
  it('moves every secret to the new key, so the old key can be retired without locking anyone out', async () => {
    const keys = createKeyringSource(config, quiet);
    const a = await enrolled(keys);
    const b = await enrolled(keys);
    const oldKid = keys.current().active('mfa').kid;
    rotateKey(config.keys.dir, 'mfa');
    keys.reload();
    const newKid = keys.current().active('mfa').kid;
    expect(newKid).not.toBe(oldKid);

    expect(await resealTotpSecrets(t.database, keys)).toMatchObject({ resealed: 2, failed: 0 });
    for (const user of [a.user, b.user]) expect((await sealedOf(user.id)).startsWith(`v1.${newKid}.`)).toBe(true);
    // Idempotent.
    expect(await resealTotpSecrets(t.database, keys)).toMatchObject({ resealed: 0 });

    retireKey(config.keys.dir, 'mfa', oldKid);
    keys.reload();
    const verified = await withSystem(t.database.db, (tx) =>
      verifyTotp(tx, { keyring: keys.current(), logger: quiet }, a.user.id, code(a.secret, 30)),
    );
    expect(verified).toBe(true);
  });

  it('leaves a secret that does not open (copied from another user) alone and counts it', async () => {
    const keys = createKeyringSource(config, quiet);
    const a = await enrolled(keys);
    const b = await enrolled(keys);
    rotateKey(config.keys.dir, 'mfa');
    keys.reload();
    const stolen = await sealedOf(a.user.id);
    await withSystem(t.database.db, (tx) => tx.update(mfaTotp).set({ secretSealed: stolen }).where(eq(mfaTotp.userId, b.user.id)));
    const result = await resealTotpSecrets(t.database, keys);
    expect(result.failed).toBe(1);
    expect(await sealedOf(b.user.id)).toBe(stolen);
  });
});

describe('purging ended auth rows', () => {
  it('drops sessions ended over 30 days ago and keeps the others', async () => {
    const f = createFactories(t.database.db);
    const org = await f.org();
    const user = await f.user();
    const now = new Date();
    const days = (n: number) => new Date(now.getTime() + n * 86_400_000);
    const base = { userId: user.id, orgId: org.id, method: 'password' as const, idleExpiresAt: days(5), absoluteExpiresAt: days(20) };
    const ids = await withSystem(t.database.db, async (tx) => {
      const rows = await tx
        .insert(sessions)
        .values([
          { ...base },
          { ...base, revokedAt: days(-40), revokedReason: 'logout' },
          { ...base, revokedAt: days(-2), revokedReason: 'logout' },
          { ...base, idleExpiresAt: days(-35), absoluteExpiresAt: days(-35) },
        ])
        .returning({ id: sessions.id });
      return rows.map((r) => r.id);
    });
    const purged = await purgeEndedAuthRows(t.database, now);
    expect(purged.sessions).toBeGreaterThanOrEqual(2);
    const left = await withSystem(t.database.db, (tx) => tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, user.id)));
    expect(left.map((r) => r.id).sort()).toEqual([ids[0], ids[2]].sort());
  });
});
