import { Writable } from 'node:stream';
import { Secret, TOTP } from 'otpauth';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFactories, expectFailure, type Factories } from '../../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/test-database.ts';
import type { Tx } from '../../../db/database.ts';
import { withSystem } from '../../../db/tenant.ts';
import { createEphemeralKeyring, createKeyring, type Keyring, open, PURPOSE_NAMES } from '../../../lib/keys/index.ts';
import { materialFromRaw, randomKid } from '../../../lib/keys/key-material.ts';
import { remainingBackupCodes } from './backup-codes.ts';
import {
  confirmTotpEnrolment,
  disableTotp,
  hasConfirmedTotp,
  type MfaKeys,
  startTotpEnrolment,
  type TotpEnrolment,
  verifySecondFactor,
  verifyTotp,
} from './totp.service.ts';

/**
 * TOTP enrolment and verification on a real, migrated database (PGlite, or PostgreSQL under
 * DATABASE_URL) as the RLS-bound app role, with codes computed by `otpauth` as an authenticator
 * app would. Raw rows are read as the owner/superuser, the way a database dump would see them.
 */
let t: TestDatabase;
let f: Factories;
let keyring: Keyring;
let logLines: string[];
let keys: MfaKeys;

const STEP_MS = 30_000;
/** Enrolment time, mid-step; later checks happen whole steps after it. */
const T0 = 1_800_000_000_000 + STEP_MS / 2;
const later = (steps: number) => T0 + steps * STEP_MS;

beforeAll(async () => {
  t = await createTestDatabase();
  f = createFactories(t.database.db);
  keyring = createEphemeralKeyring();
});
beforeEach(() => {
  logLines = [];
  const sink = new Writable({ write: (chunk, _enc, done) => done(void logLines.push(String(chunk))) });
  keys = { keyring, logger: pino({ level: 'error' }, sink) };
});
afterAll(() => t?.destroy());

const db = () => t.database.db;
const sys = <T>(fn: (tx: Tx) => Promise<T>) => withSystem(db(), fn);

/** A query as the table owner (superuser), bypassing RLS: what a stolen dump would contain. */
async function ownerQuery<R>(text: string, params: unknown[] = []): Promise<R[]> {
  if (t.admin) return (await t.admin.query(text, params)).rows as R[];
  await t.database.exec('RESET ROLE');
  try {
    return (await t.database.query(text, params)).rows as R[];
  } finally {
    await t.database.exec('SET ROLE vigil_app');
  }
}

const totpRow = async (userId: string) =>
  (
    await ownerQuery<{ secret_sealed: string; last_step: string | null; confirmed: boolean; dump: string }>(
      'SELECT secret_sealed, last_step::text, confirmed_at IS NOT NULL AS confirmed, row_to_json(m)::text AS dump FROM vigil.mfa_totp m WHERE user_id = $1',
      [userId],
    )
  )[0];

function appOf(enrolment: TotpEnrolment): TOTP {
  return new TOTP({ secret: Secret.fromBase32(enrolment.secret) });
}

/** A user with a confirmed authenticator (confirmed at T0) and the app that generates its codes. */
async function enrolledUser(k: MfaKeys = keys) {
  const user = await f.user();
  const enrolment = await sys((tx) => startTotpEnrolment(tx, k, user));
  const app = appOf(enrolment);
  const { backupCodes } = await sys((tx) => confirmTotpEnrolment(tx, k, user.id, app.generate({ timestamp: T0 }), T0));
  const code = (at: number) => app.generate({ timestamp: at });
  const verify = (input: unknown, at: number, kk: MfaKeys = k) => sys((tx) => verifyTotp(tx, kk, user.id, input, at));
  return { user, enrolment, app, code, verify, backupCodes };
}

/** A Tx that fails the test if anything touches it: proof a refusal happened before the database. */
const untouchableTx = new Proxy({} as Tx, {
  get(_target, property) {
    throw new Error(`the database was touched (${String(property)})`);
  },
});

describe('enrolment', () => {
  it('stores a pending secret, shows it once, and confirms with a code from the app', async () => {
    const user = await f.user();
    const enrolment = await sys((tx) => startTotpEnrolment(tx, keys, user));
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolment.otpauthUri).toContain(`secret=${enrolment.secret}`);
    expect(enrolment.qrCodeDataUrl).toMatch(/^data:image\/svg\+xml;base64,[A-Za-z0-9+/]+=*$/);
    expect(await sys((tx) => hasConfirmedTotp(tx, user.id))).toBe(false);
    // A pending secret is not a second factor yet.
    expect(await sys((tx) => verifyTotp(tx, keys, user.id, appOf(enrolment).generate({ timestamp: T0 }), T0))).toBe(false);

    const { backupCodes } = await sys((tx) => confirmTotpEnrolment(tx, keys, user.id, appOf(enrolment).generate({ timestamp: T0 }), T0));
    expect(backupCodes).toHaveLength(8);
    expect(await sys((tx) => hasConfirmedTotp(tx, user.id))).toBe(true);
    expect(await sys((tx) => remainingBackupCodes(tx, user.id))).toBe(8);
    expect(await totpRow(user.id)).toMatchObject({ confirmed: true, last_step: String(Math.floor(T0 / STEP_MS)) });
  });

  it('replaces a pending secret when started again; the first one no longer confirms', async () => {
    const user = await f.user();
    const first = await sys((tx) => startTotpEnrolment(tx, keys, user));
    const second = await sys((tx) => startTotpEnrolment(tx, keys, user));
    expect(second.secret).not.toBe(first.secret);
    await expectFailure(
      () => sys((tx) => confirmTotpEnrolment(tx, keys, user.id, appOf(first).generate({ timestamp: T0 }), T0)),
      'MFA_CODE_INVALID',
      400,
    );
    await sys((tx) => confirmTotpEnrolment(tx, keys, user.id, appOf(second).generate({ timestamp: T0 }), T0));
  });

  it('refuses to start over a confirmed secret, which stays as it was', async () => {
    const { user, verify, code } = await enrolledUser();
    const before = await totpRow(user.id);
    await expectFailure(() => sys((tx) => startTotpEnrolment(tx, keys, user)), 'MFA_ALREADY_ENABLED', 409);
    expect(await totpRow(user.id)).toEqual(before);
    expect(await verify(code(later(1)), later(1))).toBe(true);
  });

  it('refuses a wrong code, a second confirmation, and a confirmation without enrolment', async () => {
    const user = await f.user();
    await expectFailure(() => sys((tx) => confirmTotpEnrolment(tx, keys, user.id, '123456', T0)), 'MFA_ENROLMENT_NOT_STARTED', 409);
    const enrolment = await sys((tx) => startTotpEnrolment(tx, keys, user));
    const far = appOf(enrolment).generate({ timestamp: later(2) });
    await expectFailure(() => sys((tx) => confirmTotpEnrolment(tx, keys, user.id, far, T0)), 'MFA_CODE_INVALID', 400);
    expect(await totpRow(user.id)).toMatchObject({ confirmed: false, last_step: null });
    await sys((tx) => confirmTotpEnrolment(tx, keys, user.id, appOf(enrolment).generate({ timestamp: T0 }), T0));
    await expectFailure(
      () => sys((tx) => confirmTotpEnrolment(tx, keys, user.id, appOf(enrolment).generate({ timestamp: later(1) }), later(1))),
      'MFA_ALREADY_ENABLED',
      409,
    );
  });

  it('disables: the secret and the backup codes are gone, and codes stop working', async () => {
    const { user, verify, code } = await enrolledUser();
    expect(await sys((tx) => disableTotp(tx, user.id))).toBe(true);
    expect(await totpRow(user.id)).toBeUndefined();
    expect(await sys((tx) => remainingBackupCodes(tx, user.id))).toBe(0);
    expect(await verify(code(later(1)), later(1))).toBe(false);
    expect(await sys((tx) => disableTotp(tx, user.id))).toBe(false);
  });
});

describe('verification window', () => {
  it('accepts the previous, current and next step and records the step it matched', async () => {
    const now = later(10);
    const a = await enrolledUser();
    expect(await a.verify(a.code(now - STEP_MS), now)).toBe(true);
    expect((await totpRow(a.user.id))?.last_step).toBe(String(Math.floor(now / STEP_MS) - 1));
    expect(await a.verify(a.code(now), now)).toBe(true);
    expect(await a.verify(a.code(now + STEP_MS), now)).toBe(true);
    expect((await totpRow(a.user.id))?.last_step).toBe(String(Math.floor(now / STEP_MS) + 1));
  });

  it('refuses codes two steps before or after, and then still accepts the current one', async () => {
    const now = later(10);
    const a = await enrolledUser();
    expect(await a.verify(a.code(now - 2 * STEP_MS), now)).toBe(false);
    expect(await a.verify(a.code(now + 2 * STEP_MS), now)).toBe(false);
    expect((await totpRow(a.user.id))?.last_step).toBe(String(Math.floor(T0 / STEP_MS)));
    expect(await a.verify(a.code(now), now)).toBe(true);
  });
});

describe('replay protection (a code is accepted once)', () => {
  it('refuses the same code a second time', async () => {
    const a = await enrolledUser();
    const code = a.code(later(5));
    expect(await a.verify(code, later(5))).toBe(true);
    expect(await a.verify(code, later(5))).toBe(false);
    // Still refused when the clock has moved on but the code is inside the window.
    expect(await a.verify(code, later(6))).toBe(false);
  });

  it('refuses the code that confirmed enrolment', async () => {
    const a = await enrolledUser();
    expect(await a.verify(a.code(T0), T0)).toBe(false);
  });

  it('refuses an older code after a newer one was accepted', async () => {
    const a = await enrolledUser();
    const now = later(5);
    expect(await a.verify(a.code(now + STEP_MS), now)).toBe(true);
    expect(await a.verify(a.code(now), now)).toBe(false);
    expect(await a.verify(a.code(now - STEP_MS), now)).toBe(false);
  });

  it('gives exactly one success to 50 concurrent uses of one code', async () => {
    const a = await enrolledUser();
    const now = later(3);
    const code = a.code(now);
    const results = await Promise.all(Array.from({ length: 50 }, () => a.verify(code, now)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await totpRow(a.user.id))?.last_step).toBe(String(Math.floor(now / STEP_MS)));
  });
});

describe('verifySecondFactor (the login step and turning 2FA off)', () => {
  it('takes a current TOTP code or an unused backup code, each once, and says which', async () => {
    const a = await enrolledUser();
    const check = (input: unknown, at: number) => sys((tx) => verifySecondFactor(tx, keys, a.user.id, input, at));
    expect(await check(a.code(later(1)), later(1))).toBe('totp');
    expect(await check(a.code(later(1)), later(1))).toBeNull();
    expect(await check(a.backupCodes[0]?.toLowerCase(), later(1))).toBe('backup_code');
    expect(await check(a.backupCodes[0], later(1))).toBeNull();
    expect(await sys((tx) => remainingBackupCodes(tx, a.user.id))).toBe(7);
  });

  it.each([[''], ['12a456'], ['١٢٣٤٥٦'], ['AB2CD-EF3GU'], ['x'.repeat(10_240)]])(
    'refuses %j before touching the database',
    async (input) => {
      expect(await verifySecondFactor(untouchableTx, keys, '00000000-0000-4000-8000-000000000000', input)).toBeNull();
    },
  );
});

describe('malformed codes', () => {
  it.each([
    ['empty', ''],
    ['five digits', '12345'],
    ['seven digits', '1234567'],
    ['a letter', '12a456'],
    ['10 kB', '7'.repeat(10_240)],
    ['Arabic-Indic digits', '١٢٣٤٥٦'],
    ['a number, not a string', 123456],
    ['null', null],
  ])('refuses %s before touching the database', async (_name, input) => {
    expect(await verifyTotp(untouchableTx, keys, '00000000-0000-4000-8000-000000000000', input)).toBe(false);
    await expectFailure(
      () => confirmTotpEnrolment(untouchableTx, keys, '00000000-0000-4000-8000-000000000000', input),
      'MFA_CODE_INVALID',
      400,
    );
  });

  it('leaves the row exactly as it was after a burst of malformed codes', async () => {
    const a = await enrolledUser();
    const before = await totpRow(a.user.id);
    for (const input of ['', '12345', '1234567', '12a456', '١٢٣٤٥٦', 'x'.repeat(10_240)]) {
      expect(await a.verify(input, later(1))).toBe(false);
    }
    expect(await totpRow(a.user.id)).toEqual(before);
  });
});

describe('the secret at rest', () => {
  it('is sealed: a dump of the row holds neither its base32 nor its hex, and it opens only for this user', async () => {
    const a = await enrolledUser();
    const raw = Buffer.from(Secret.fromBase32(a.enrolment.secret).bytes);
    const row = await totpRow(a.user.id);
    if (!row) throw new Error('no row');
    for (const form of [a.enrolment.secret, raw.toString('hex'), raw.toString('base64'), raw.toString('base64url')]) {
      expect(row.dump.toLowerCase()).not.toContain(form.toLowerCase());
    }
    expect(row.secret_sealed).toMatch(/^v1\.[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{48}$/);
    expect(row.secret_sealed.split('.')[1]).toBe(keyring.active('mfa').kid);
    expect(open(keyring, 'mfa', row.secret_sealed, `mfa_totp:${a.user.id}`).equals(raw)).toBe(true);
    const other = await f.user();
    expect(() => open(keyring, 'mfa', row.secret_sealed, `mfa_totp:${other.id}`)).toThrow(/does not authenticate/);
  });

  it("does not decrypt when copied into another user's row: verification fails and is logged", async () => {
    const victim = await enrolledUser();
    const attacker = await enrolledUser();
    const sealed = (await totpRow(attacker.user.id))?.secret_sealed;
    await ownerQuery('UPDATE vigil.mfa_totp SET secret_sealed = $1 WHERE user_id = $2', [sealed, victim.user.id]);
    const now = later(4);
    // The attacker's phone now shows codes for the copied secret; they must not pass as the victim.
    expect(await victim.verify(attacker.code(now), now)).toBe(false);
    expect(await victim.verify(victim.code(now), now)).toBe(false);
    expect(logLines).toHaveLength(2);
    const entry = JSON.parse(logLines[0] as string);
    expect(entry).toMatchObject({ level: 50, userId: victim.user.id, err: { code: 'KEY_DECRYPT_FAILED' } });
    expect(entry.msg).toMatch(/could not be decrypted/);
    expect(logLines.join('')).not.toContain(sealed);
    expect(logLines.join('')).not.toContain(attacker.enrolment.secret);
    // The row was not touched by the refusals, and the attacker's own factor still works.
    expect((await totpRow(victim.user.id))?.secret_sealed).toBe(sealed);
    expect(await attacker.verify(attacker.code(now), now)).toBe(true);
  });

  it('is re-sealed under the new MFA key after a rotation, on the next successful check', async () => {
    const oldRing = createEphemeralKeyring();
    const a = await enrolledUser({ keyring: oldRing, logger: keys.logger });
    const oldKid = oldRing.active('mfa').kid;
    const newKid = randomKid();
    const rotated = createKeyring(
      PURPOSE_NAMES.flatMap((purpose) =>
        purpose === 'mfa'
          ? [
              {
                ...materialFromRaw('mfa', newKid, Buffer.alloc(32, 9)),
                purpose,
                status: 'active' as const,
                createdAt: null,
                source: 'file' as const,
              },
              { ...oldRing.active('mfa'), status: 'verify-only' as const },
            ]
          : oldRing.verifying(purpose),
      ),
    );
    const rotatedKeys = { keyring: rotated, logger: keys.logger };
    expect((await totpRow(a.user.id))?.secret_sealed.split('.')[1]).toBe(oldKid);
    // A wrong code re-seals nothing.
    expect(await a.verify('000000', later(1), rotatedKeys)).toBe(false);
    expect((await totpRow(a.user.id))?.secret_sealed.split('.')[1]).toBe(oldKid);
    expect(await a.verify(a.code(later(1)), later(1), rotatedKeys)).toBe(true);
    expect((await totpRow(a.user.id))?.secret_sealed.split('.')[1]).toBe(newKid);
    // The old key alone no longer opens it; the new ring keeps verifying.
    expect(await a.verify(a.code(later(2)), later(2), { keyring: oldRing, logger: keys.logger })).toBe(false);
    expect(await a.verify(a.code(later(3)), later(3), rotatedKeys)).toBe(true);
  });
});
