import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFactories, type Factories } from '../../../../test/helpers/factories.ts';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/test-database.ts';
import type { Tx } from '../../../db/database.ts';
import { withSystem } from '../../../db/tenant.ts';
import { consumeBackupCode, hashBackupCode, normalizeBackupCode, regenerateBackupCodes, remainingBackupCodes } from './backup-codes.ts';

/**
 * Backup codes on a real, migrated database (PGlite, or PostgreSQL under DATABASE_URL): shown
 * once, stored as hashes, each usable once even under 50 concurrent attempts.
 */
let t: TestDatabase;
let f: Factories;

beforeAll(async () => {
  t = await createTestDatabase();
  f = createFactories(t.database.db);
});
afterAll(() => t?.destroy());

const sys = <T>(fn: (tx: Tx) => Promise<T>) => withSystem(t.database.db, fn);
const consume = (userId: string, code: unknown) => sys((tx) => consumeBackupCode(tx, userId, code));

/** Rows as the owner (superuser) reads them, bypassing RLS: what a dump would contain. */
async function ownerRows(userId: string): Promise<Array<{ code_hash: string; used: boolean; dump: string }>> {
  const text =
    'SELECT code_hash, used_at IS NOT NULL AS used, row_to_json(b)::text AS dump FROM vigil.mfa_backup_codes b WHERE user_id = $1 ORDER BY code_hash';
  if (t.admin) return (await t.admin.query(text, [userId])).rows;
  await t.database.exec('RESET ROLE');
  try {
    return (await t.database.query(text, [userId])).rows as never;
  } finally {
    await t.database.exec('SET ROLE vigil_app');
  }
}

async function userWithCodes() {
  const user = await f.user();
  const codes = await sys((tx) => regenerateBackupCodes(tx, user.id));
  return { user, codes };
}

const untouchableTx = new Proxy({} as Tx, {
  get(_target, property) {
    throw new Error(`the database was touched (${String(property)})`);
  },
});

describe('normalizeBackupCode', () => {
  it('ignores case, spaces and dashes, and reads O as 0 and I, L as 1', () => {
    expect(normalizeBackupCode('ab2cd-ef3gh')).toBe('AB2CDEF3GH');
    expect(normalizeBackupCode(' AB2CD EF3GH ')).toBe('AB2CDEF3GH');
    expect(normalizeBackupCode('a-b-2-c-d-e-f-3-g-h')).toBe('AB2CDEF3GH');
    expect(normalizeBackupCode('OOOOO-iiLLl')).toBe('0000011111');
  });

  it.each([
    ['empty', ''],
    ['nine characters', 'AB2CD-EF3G'],
    ['eleven characters', 'AB2CD-EF3GHJ'],
    ['a U (not in the alphabet)', 'AB2CD-EF3GU'],
    ['punctuation', 'AB2CD_EF3GH'],
    ['a NUL', 'AB2CD\0EF3GH'],
    ['full-width letters', 'ＡＢ２ＣＤ-ＥＦ３ＧＨ'],
    ['a six-digit TOTP code', '123456'],
    ['10 kB', 'A'.repeat(10_240)],
    ['10 kB of dashes around a code', `${'-'.repeat(5_000)}AB2CDEF3GH${'-'.repeat(5_000)}`],
    ['a number', 1234567890],
    ['null', null],
  ])('refuses %s', (_name, input) => {
    expect(normalizeBackupCode(input)).toBeNull();
  });
});

describe('regenerateBackupCodes', () => {
  it('returns 8 distinct codes as xxxxx-xxxxx from the unambiguous alphabet', async () => {
    const { codes } = await userWithCodes();
    expect(codes).toHaveLength(8);
    expect(new Set(codes).size).toBe(8);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
  });

  it('stores only SHA-256 hashes bound to the user, never the codes', async () => {
    const { user, codes } = await userWithCodes();
    const rows = await ownerRows(user.id);
    expect(rows).toHaveLength(8);
    const dump = rows.map((r) => r.dump).join('\n');
    for (const code of codes) {
      const bare = code.replace('-', '');
      expect(dump).not.toContain(bare);
      expect(dump).not.toContain(code);
      // Not the plain SHA-256 of the code either (that would be one table for every account).
      expect(dump).not.toContain(createHash('sha256').update(bare).digest('hex'));
    }
    expect(rows.map((r) => r.code_hash).sort()).toEqual(codes.map((c) => hashBackupCode(user.id, c.replace('-', ''))).sort());
  });

  it('replaces every old code, used or not', async () => {
    const { user, codes: old } = await userWithCodes();
    expect(await consume(user.id, old[0])).toBe(true);
    const fresh = await sys((tx) => regenerateBackupCodes(tx, user.id));
    expect(await sys((tx) => remainingBackupCodes(tx, user.id))).toBe(8);
    for (const code of old) expect(await consume(user.id, code)).toBe(false);
    expect(await consume(user.id, fresh[0])).toBe(true);
  });
});

describe('consumeBackupCode', () => {
  it('accepts each code exactly once, in any spelling', async () => {
    const { user, codes } = await userWithCodes();
    for (const [i, code] of codes.entries()) {
      const typed = i % 2 === 0 ? code.toLowerCase() : ` ${code.replace('-', ' ')} `;
      expect(await consume(user.id, typed)).toBe(true);
      expect(await consume(user.id, code)).toBe(false);
      expect(await sys((tx) => remainingBackupCodes(tx, user.id))).toBe(7 - i);
    }
    expect((await ownerRows(user.id)).every((r) => r.used)).toBe(true);
  });

  it("refuses another user's code", async () => {
    const a = await userWithCodes();
    const b = await userWithCodes();
    expect(await consume(b.user.id, a.codes[0])).toBe(false);
    expect(await consume(a.user.id, a.codes[0])).toBe(true);
  });

  it('gives exactly one success to 50 concurrent uses of one code', async () => {
    const { user, codes } = await userWithCodes();
    const results = await Promise.all(Array.from({ length: 50 }, () => consume(user.id, codes[3])));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await sys((tx) => remainingBackupCodes(tx, user.id))).toBe(7);
  });

  it.each([[''], ['12345'], ['1234567'], ['12a456'], ['١٢٣٤٥٦'], ['x'.repeat(10_240)]])(
    'refuses the malformed %j before touching the database',
    async (input) => {
      expect(await consumeBackupCode(untouchableTx, '00000000-0000-4000-8000-000000000000', input)).toBe(false);
    },
  );
});
