import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { hash as bcryptHash } from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import {
  ARGON2_PARAMS,
  ARGON2ID,
  dummyVerify,
  hashPassword,
  PasswordTooLongError,
  prepareDummyHash,
  verifyPassword,
} from './password-hash.ts';

// Algorithm.Argon2i of @node-rs/argon2 (a const enum in its types).
const ARGON2I = 1;

const PASSWORD = 'correct horse battery staple';

function phcParams(phc: string): Record<string, string> {
  const parts = phc.split('$');
  return Object.fromEntries((parts[3] ?? '').split(',').map((pair) => pair.split('=') as [string, string]));
}

describe('hashPassword / verifyPassword (argon2id)', () => {
  it('round-trips and refuses a wrong password', async () => {
    const stored = await hashPassword(PASSWORD);
    expect(await verifyPassword(stored, PASSWORD)).toEqual({ ok: true, rehash: null });
    expect(await verifyPassword(stored, `${PASSWORD}!`)).toEqual({ ok: false, rehash: null });
  });

  it('writes an argon2id PHC string with the OWASP parameters m=19456, t=2, p=1', async () => {
    const stored = await hashPassword(PASSWORD);
    expect(stored.startsWith('$argon2id$v=19$')).toBe(true);
    expect(phcParams(stored)).toEqual({ m: '19456', t: '2', p: '1' });
  });

  it('salts: two hashes of the same password differ', async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    expect(a).not.toBe(b);
  });

  it('normalises with NFKC, so full-width input verifies against the ASCII password', async () => {
    const stored = await hashPassword('ｃｏｒｒｅｃｔ horse battery staple');
    expect((await verifyPassword(stored, PASSWORD)).ok).toBe(true);
  });

  it('rehashes an argon2id hash with weaker parameters', async () => {
    const weak = await argon2Hash(PASSWORD, { algorithm: ARGON2ID, memoryCost: 4096, timeCost: 2, parallelism: 1 });
    const result = await verifyPassword(weak, PASSWORD);
    expect(result.ok).toBe(true);
    expect(result.rehash).not.toBeNull();
    expect(phcParams(result.rehash ?? '')).toEqual({ m: '19456', t: '2', p: '1' });
    expect(await argon2Verify(result.rehash ?? '', PASSWORD)).toBe(true);
    expect((await verifyPassword(weak, 'not the password at all')).rehash).toBeNull();
  });

  it('rehashes an argon2i hash to argon2id', async () => {
    const legacy = await argon2Hash(PASSWORD, { algorithm: ARGON2I, ...ARGON2_PARAMS });
    const result = await verifyPassword(legacy, PASSWORD);
    expect(result.ok).toBe(true);
    expect(result.rehash?.startsWith('$argon2id$')).toBe(true);
  });
});

describe('imported bcrypt hashes', () => {
  it('verifies a bcrypt hash and hands back an argon2id replacement', async () => {
    const stored = await bcryptHash(PASSWORD, 4);
    expect(stored.startsWith('$2b$04$')).toBe(true);
    const result = await verifyPassword(stored, PASSWORD);
    expect(result.ok).toBe(true);
    expect(result.rehash?.startsWith('$argon2id$')).toBe(true);
    expect(await verifyPassword(result.rehash ?? '', PASSWORD)).toEqual({ ok: true, rehash: null });
  });

  it('refuses a wrong password without a rehash', async () => {
    const stored = await bcryptHash(PASSWORD, 4);
    expect(await verifyPassword(stored, 'correct horse battery stapler')).toEqual({ ok: false, rehash: null });
  });

  it('accepts the $2a$ and $2y$ (PHP) prefixes', async () => {
    const stored = await bcryptHash(PASSWORD, 4);
    for (const prefix of ['$2a$', '$2y$']) {
      const imported = prefix + stored.slice(4);
      expect((await verifyPassword(imported, PASSWORD)).ok).toBe(true);
      expect((await verifyPassword(imported, 'wrong password here')).ok).toBe(false);
    }
  });

  it('refuses a bcrypt hash with an absurd cost instead of running it (planted denial of service)', async () => {
    const stored = await bcryptHash(PASSWORD, 4);
    expect(await verifyPassword(`$2b$31$${stored.slice(7)}`, PASSWORD)).toEqual({ ok: false, rehash: null });
  });
});

describe('malformed stored hashes', () => {
  const garbage = [
    '',
    'plain',
    '$argon2id$broken',
    '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$',
    '$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
    '$argon2x$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
    '$2b$xx',
    '$2b$10$tooshort',
    PASSWORD,
  ];
  it.each(garbage)('answers ok false for %j without throwing', async (stored) => {
    await expect(verifyPassword(stored, PASSWORD)).resolves.toEqual({ ok: false, rehash: null });
  });

  it('does not throw for a non-string stored value', async () => {
    await expect(verifyPassword(null as unknown as string, PASSWORD)).resolves.toEqual({ ok: false, rehash: null });
  });
});

describe('oversized passwords', () => {
  const huge = 'a'.repeat(10_000);

  it('verifyPassword refuses a 10,000-character password even when it is the right one', async () => {
    // Hashed directly with the library, bypassing hashPassword's limit: if verify hashed the input
    // at all, this would answer ok true.
    const stored = await argon2Hash(huge, { algorithm: ARGON2ID, ...ARGON2_PARAMS });
    expect(await verifyPassword(stored, huge)).toEqual({ ok: false, rehash: null });
  });

  it('hashPassword refuses it', async () => {
    await expect(hashPassword(huge)).rejects.toBeInstanceOf(PasswordTooLongError);
    await expect(hashPassword('a'.repeat(257))).rejects.toBeInstanceOf(PasswordTooLongError);
    await expect(hashPassword('a'.repeat(256))).resolves.toMatch(/^\$argon2id\$/);
  });
});

describe('dummyVerify', () => {
  it('resolves without throwing, also for odd input', async () => {
    await prepareDummyHash();
    await expect(dummyVerify(PASSWORD)).resolves.toBeUndefined();
    await expect(dummyVerify('')).resolves.toBeUndefined();
    await expect(dummyVerify('ｆｕｌｌ-width')).resolves.toBeUndefined();
    await expect(dummyVerify('a'.repeat(10_000))).resolves.toBeUndefined();
  });
});

describe('event loop', () => {
  it('keeps turning while four hashes run on the thread pool', async () => {
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
    }, 5);
    try {
      // Two rounds of four (the default thread pool size), so a fast machine still spans several ticks.
      for (let round = 0; round < 2; round++) {
        await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD), hashPassword(PASSWORD), hashPassword(PASSWORD)]);
      }
    } finally {
      clearInterval(timer);
    }
    // A hash computed on the main thread would hold every timer until it finished (0 or 1 tick).
    expect(ticks).toBeGreaterThanOrEqual(3);
  });
});
