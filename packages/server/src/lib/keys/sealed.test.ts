import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.ts';
import { AppError } from '../app-error.ts';
import { retireKey, rotateKey } from './key-store.ts';
import { createEphemeralKeyring, type Keyring, loadKeyring } from './keyring.ts';
import { needsReseal, open, reseal, seal } from './sealed.ts';

const USER_A = 'users.totp_secret:8c1c6f5e-0000-4000-8000-00000000000a';
const USER_B = 'users.totp_secret:8c1c6f5e-0000-4000-8000-00000000000b';

function decryptFailure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError && error.code === 'KEY_DECRYPT_FAILED') return error;
    throw error;
  }
  throw new Error('expected KEY_DECRYPT_FAILED');
}

describe('seal and open', () => {
  const keyring = createEphemeralKeyring();

  it('round-trips strings and bytes, with a fresh IV every time', () => {
    const sealed = seal(keyring, 'mfa', 'JBSWY3DPEHPK3PXP', USER_A);
    expect(sealed).toMatch(new RegExp(`^v1\\.${keyring.active('mfa').kid}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]+$`));
    expect(open(keyring, 'mfa', sealed, USER_A).toString()).toBe('JBSWY3DPEHPK3PXP');
    expect(seal(keyring, 'mfa', 'JBSWY3DPEHPK3PXP', USER_A)).not.toBe(sealed);
    const bytes = randomBytes(100);
    expect(open(keyring, 'credentials', seal(keyring, 'credentials', bytes, 'x'), 'x').equals(bytes)).toBe(true);
    expect(open(keyring, 'mfa', seal(keyring, 'mfa', '', 'x'), 'x').length).toBe(0);
  });

  it('binds a value to its row: a TOTP secret copied to another user does not open', () => {
    const sealed = seal(keyring, 'mfa', 'JBSWY3DPEHPK3PXP', USER_A);
    expect(decryptFailure(() => open(keyring, 'mfa', sealed, USER_B)).message).toMatch(/does not authenticate/);
    expect(() => open(keyring, 'mfa', sealed, '')).toThrow(AppError);
  });

  it('rejects every single-byte change anywhere in the value', () => {
    const sealed = seal(keyring, 'credentials', 'token-123', 'integrations:1');
    const [version, kid, iv, body] = sealed.split('.') as [string, string, string, string];
    const flip = (part: string, index: number) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[index] = (bytes[index] as number) ^ 0x01;
      return bytes.toString('base64url');
    };
    for (let i = 0; i < 12; i++)
      decryptFailure(() => open(keyring, 'credentials', [version, kid, flip(iv, i), body].join('.'), 'integrations:1'));
    const bodyLength = Buffer.from(body, 'base64url').length;
    expect(bodyLength).toBe(9 + 16);
    for (let i = 0; i < bodyLength; i++) {
      decryptFailure(() => open(keyring, 'credentials', [version, kid, iv, flip(body, i)].join('.'), 'integrations:1'));
    }
    // Truncated tag.
    decryptFailure(() => open(keyring, 'credentials', [version, kid, iv, body.slice(0, -2)].join('.'), 'integrations:1'));
  });

  it('refuses an unknown key id without trying another key', () => {
    const sealed = seal(keyring, 'mfa', 'x', USER_A);
    const other = createEphemeralKeyring();
    expect(decryptFailure(() => open(other, 'mfa', sealed, USER_A)).message).toMatch(/retired or unknown/);
    const relabelled = sealed.replace(keyring.active('mfa').kid, other.active('mfa').kid);
    expect(decryptFailure(() => open(other, 'mfa', relabelled, USER_A)).message).toMatch(/does not authenticate/);
  });

  it.each([
    '',
    'v1',
    'v1...',
    'v2.kid.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA',
    'v1.k!d.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA',
    'v1.kid.AAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA',
    'v1.kid.AAAAAAAAAAAAAAAA.AAAA',
    'v1.kid.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.extra',
    'v1.kid.AAAAAAAAAAAAAAA+.AAAAAAAAAAAAAAAAAAAAAA',
    'v1.kid.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAB',
    'JBSWY3DPEHPK3PXP',
  ])('refuses the malformed value %j', (value) => {
    expect(decryptFailure(() => open(keyring, 'mfa', value, USER_A)).message).toMatch(/malformed/);
  });

  it('handles a 1 MB plaintext', () => {
    const big = randomBytes(1024 * 1024);
    const sealed = seal(keyring, 'credentials', big, 'big');
    expect(open(keyring, 'credentials', sealed, 'big').equals(big)).toBe(true);
    const tampered = `${sealed.slice(0, -10)}${sealed.slice(-10) === 'AAAAAAAAAA' ? 'BBBBBBBBBB' : 'AAAAAAAAAA'}`;
    decryptFailure(() => open(keyring, 'credentials', tampered, 'big'));
  });
});

describe('rotation', () => {
  let dataDir: string;
  const quiet = pino({ level: 'silent' });
  const config = () => loadConfig({ VIGIL_DATA_DIR: dataDir });
  const reload = (): Keyring => loadKeyring(config(), quiet);

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'vigil-rotate-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('seals with the new key, still opens old values until the old key is retired', () => {
    const before = reload();
    const oldKid = before.active('mfa').kid;
    const oldSealed = seal(before, 'mfa', 'old secret', USER_A);
    expect(needsReseal(before, 'mfa', oldSealed)).toBe(false);

    const rotated = rotateKey(config().keys.dir, 'mfa');
    expect(rotated.previousKid).toBe(oldKid);
    const after = reload();
    expect(after.active('mfa').kid).toBe(rotated.kid);
    expect(after.byId('mfa', oldKid)?.status).toBe('verify-only');
    expect(after.active('credentials').kid).toBe(before.active('credentials').kid);

    const newSealed = seal(after, 'mfa', 'new secret', USER_A);
    expect(newSealed.split('.')[1]).toBe(rotated.kid);
    expect(open(after, 'mfa', oldSealed, USER_A).toString()).toBe('old secret');
    expect(needsReseal(after, 'mfa', oldSealed)).toBe(true);
    expect(needsReseal(after, 'mfa', newSealed)).toBe(false);

    // The background re-encryption: old values move to the new key, keeping their binding.
    const moved = reseal(after, 'mfa', oldSealed, USER_A);
    expect(moved?.split('.')[1]).toBe(rotated.kid);
    expect(open(after, 'mfa', moved as string, USER_A).toString()).toBe('old secret');
    expect(reseal(after, 'mfa', newSealed, USER_A)).toBeNull();
    decryptFailure(() => reseal(after, 'mfa', oldSealed, USER_B));

    retireKey(config().keys.dir, 'mfa', oldKid);
    const retired = reload();
    expect(retired.byId('mfa', oldKid)).toBeUndefined();
    expect(decryptFailure(() => open(retired, 'mfa', oldSealed, USER_A)).message).toMatch(/retired or unknown/);
    expect(open(retired, 'mfa', moved as string, USER_A).toString()).toBe('old secret');
  });

  it('publishes active and verify-only JWT keys, not retired ones, never private parts', () => {
    const first = reload().active('jwt').kid;
    const { kid: second } = rotateKey(config().keys.dir, 'jwt');
    const { kid: third } = rotateKey(config().keys.dir, 'jwt');
    retireKey(config().keys.dir, 'jwt', first);
    const jwks = reload().publicJwks();
    expect(jwks.keys.map((key) => key.kid)).toEqual([third, second]);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
  });

  it('keeps the file private and atomic, and refuses to retire the active key or an unknown one', () => {
    reload();
    const dir = config().keys.dir;
    const { kid } = rotateKey(dir, 'credentials');
    const file = join(dir, 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(stored.keys.map((key: { status: string }) => key.status)).toEqual(['active', 'verify-only']);
    expect(() => retireKey(dir, 'credentials', kid)).toThrow(/active credentials key; rotate first/);
    expect(() => retireKey(dir, 'credentials', 'nope')).toThrow(/no credentials key has the id "nope"/);
    const old = stored.keys[1].kid;
    expect(retireKey(dir, 'credentials', old).alreadyRetired).toBe(false);
    expect(retireKey(dir, 'credentials', old).alreadyRetired).toBe(true);
  });
});
