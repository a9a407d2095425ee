import {
  closeSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../app-error.ts';
import { generateRaw, isKeyPurpose, KEY_BYTES, type KeyPurpose, type KeyStatus, KID_PATTERN, randomKid } from './key-material.ts';
import { keysError } from './keys.errors.ts';

/**
 * Keyring files: `<dataDir>/keys/<purpose>.json`, one per purpose, mode 0600 in a 0700
 * directory. A file lists every key of its purpose with its status; material is the key's 32 raw
 * bytes in base64url. Only the `vigil keys` commands and the first start write them.
 */

export interface StoredKey {
  kid: string;
  status: KeyStatus;
  createdAt: string;
  material: string;
}

export interface StoredKeyring {
  version: 1;
  purpose: KeyPurpose;
  keys: StoredKey[];
}

const storedKeyringSchema = z.object({
  version: z.literal(1),
  purpose: z.string(),
  keys: z
    .array(
      z.object({
        kid: z.string().regex(KID_PATTERN),
        status: z.enum(['active', 'verify-only', 'retired']),
        createdAt: z.string().min(1),
        material: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .refine((value) => Buffer.from(value, 'base64url').length === KEY_BYTES),
      }),
    )
    .min(1),
});

export function keyFilePath(dir: string, purpose: KeyPurpose): string {
  return path.join(dir, `${purpose}.json`);
}

const CHECK_MODES = process.platform !== 'win32';

/**
 * Refuses a key file other users can read or write, as ssh does for private keys: a readable MFA
 * key decrypts every TOTP secret in a stolen backup, a writable JWT key lets a local user swap in
 * a key of their own and forge sessions for any account.
 */
function assertPrivateFile(file: string, stats: Stats): void {
  if (!stats.isFile()) throw keysError('KEY_FILE_INVALID', `${file} is not a regular file`);
  if (CHECK_MODES && (stats.mode & 0o077) !== 0) {
    throw keysError(
      'KEY_FILE_INSECURE',
      `${file} is accessible by other users (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}); fix it with: chmod 600 ${file}`,
    );
  }
}

/** A directory others can write to lets them replace a key file with their own key. */
function assertPrivateDir(dir: string): void {
  const stats = statSync(dir);
  if (!stats.isDirectory()) throw keysError('KEY_FILE_UNUSABLE', `${dir} is not a directory`);
  if (CHECK_MODES && (stats.mode & 0o022) !== 0) {
    throw keysError(
      'KEY_FILE_INSECURE',
      `${dir} is writable by other users (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}); fix it with: chmod 700 ${dir}`,
    );
  }
}

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw keysError('KEY_FILE_UNUSABLE', `cannot create ${dir}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  assertPrivateDir(dir);
}

function validate(file: string, purpose: KeyPurpose, text: string): StoredKeyring {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw keysError('KEY_FILE_INVALID', `${file} is not valid JSON`);
  }
  const parsed = storedKeyringSchema.safeParse(json);
  // The issue's path only: a message could quote the value, and the value may be key material.
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || 'the top level';
    throw keysError('KEY_FILE_INVALID', `${file} is not a valid keyring: ${where} is missing or invalid`);
  }
  const keyring = parsed.data;
  // A jwt.json copied over mfa.json would otherwise turn a signing seed into an encryption key.
  if (keyring.purpose !== purpose) {
    const holds = isKeyPurpose(keyring.purpose) ? `${keyring.purpose} keys` : 'keys of an unknown purpose';
    throw keysError('KEY_FILE_INVALID', `${file} holds ${holds}, not ${purpose} keys`);
  }
  if (keyring.keys.filter((key) => key.status === 'active').length !== 1) {
    throw keysError('KEY_FILE_INVALID', `${file} must have exactly one active key`);
  }
  if (new Set(keyring.keys.map((key) => key.kid)).size !== keyring.keys.length) {
    throw keysError('KEY_FILE_INVALID', `${file} lists a key id twice`);
  }
  return { ...keyring, purpose };
}

/** Reads and checks a keyring file; `null` when there is none yet. Never creates anything. */
export function readKeyFile(dir: string, purpose: KeyPurpose): StoredKeyring | null {
  const file = keyFilePath(dir, purpose);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw keysError('KEY_FILE_UNUSABLE', `cannot read ${file}: ${code ?? 'error'}`);
  }
  try {
    // Checked on the open descriptor, so the file checked is the file read.
    assertPrivateFile(file, fstatSync(fd));
    return validate(file, purpose, readFileSync(fd, 'utf8'));
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a directory; the rename itself is still atomic.
  }
}

/**
 * Writes a keyring atomically: a temporary file (0600, fsynced) is renamed over the old one, so a
 * crash leaves either the old or the new keyring, never half of one. With `create`, it is linked
 * into place instead and the call returns false if the file appeared meanwhile: when the server
 * and a worker start together on an empty data directory, both must end up with the same keys,
 * or values sealed by one would not open in the other.
 */
function writeKeyFile(dir: string, keyring: StoredKeyring, mode: 'create' | 'replace'): boolean {
  const file = keyFilePath(dir, keyring.purpose);
  const temp = path.join(dir, `.${keyring.purpose}.${randomKid()}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeFileSync(fd, `${JSON.stringify(keyring, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (mode === 'replace') {
      renameSync(temp, file);
    } else {
      try {
        linkSync(temp, file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return false;
        // A file system without hard links: fall back to a rename, checked just before.
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
        if (readKeyFile(dir, keyring.purpose) !== null) return false;
        renameSync(temp, file);
      }
    }
    fsyncDir(dir);
    return true;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw keysError('KEY_FILE_UNUSABLE', `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Already renamed into place.
    }
  }
}

function newKey(now: Date): StoredKey {
  return { kid: randomKid(), status: 'active', createdAt: now.toISOString(), material: generateRaw().toString('base64url') };
}

/**
 * The keyring of a purpose, generated on first use. `created` is true only in the process that
 * wrote the file, so one start logs one warning per generated key.
 */
export function loadOrCreateKeyFile(dir: string, purpose: KeyPurpose, now = new Date()): { keyring: StoredKeyring; created: boolean } {
  ensureDir(dir);
  const existing = readKeyFile(dir, purpose);
  if (existing) return { keyring: existing, created: false };
  const keyring: StoredKeyring = { version: 1, purpose, keys: [newKey(now)] };
  if (writeKeyFile(dir, keyring, 'create')) return { keyring, created: true };
  const winner = readKeyFile(dir, purpose);
  if (!winner) throw keysError('KEY_FILE_UNUSABLE', `${keyFilePath(dir, purpose)} disappeared while being created`);
  return { keyring: winner, created: false };
}

/**
 * Adds a new active key and demotes the previous one to verify-only: it keeps decrypting and
 * verifying until retired, so values sealed and tokens signed before the rotation stay valid
 * while the background re-encryption catches up.
 */
export function rotateKey(
  dir: string,
  purpose: KeyPurpose,
  now = new Date(),
): { kid: string; previousKid: string | null; keyring: StoredKeyring } {
  const { keyring: current, created } = loadOrCreateKeyFile(dir, purpose, now);
  if (created) return { kid: current.keys[0]?.kid ?? '', previousKid: null, keyring: current };
  const previous = current.keys.find((key) => key.status === 'active');
  const fresh = newKey(now);
  const keyring: StoredKeyring = {
    ...current,
    keys: [fresh, ...current.keys.map((key): StoredKey => (key.status === 'active' ? { ...key, status: 'verify-only' } : key))],
  };
  writeKeyFile(dir, keyring, 'replace');
  return { kid: fresh.kid, previousKid: previous?.kid ?? null, keyring };
}

/**
 * Marks a key retired: it no longer decrypts or verifies. Its material stays in the file, so a
 * retirement made too early (before re-encryption finished) can still be undone by hand.
 */
export function retireKey(dir: string, purpose: KeyPurpose, kid: string): { alreadyRetired: boolean; keyring: StoredKeyring } {
  const file = keyFilePath(dir, purpose);
  const current = readKeyFile(dir, purpose);
  if (!current) throw keysError('KEY_UNKNOWN', `there is no ${purpose} keyring yet (${file})`);
  const target = current.keys.find((key) => key.kid === kid);
  if (!target) throw keysError('KEY_UNKNOWN', `no ${purpose} key has the id "${kid}"; see vigil keys list`);
  if (target.status === 'active') {
    throw keysError(
      'KEY_NOT_RETIRABLE',
      `${kid} is the active ${purpose} key; rotate first (vigil keys rotate ${purpose}), then retire it`,
    );
  }
  if (target.status === 'retired') return { alreadyRetired: true, keyring: current };
  const keyring: StoredKeyring = {
    ...current,
    keys: current.keys.map((key): StoredKey => (key.kid === kid ? { ...key, status: 'retired' } : key)),
  };
  writeKeyFile(dir, keyring, 'replace');
  return { alreadyRetired: false, keyring };
}
