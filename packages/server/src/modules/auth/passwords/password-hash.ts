import { randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { compare as bcryptCompare } from 'bcryptjs';
import { withHashSlot } from './hash-slots.ts';
import { isWithinHashLimit, normalizePassword } from './password-input.ts';

/**
 * Password hashing for Vigil accounts.
 *
 * argon2id through `@node-rs/argon2` (a native binding with prebuilt binaries, nothing compiled at
 * install): the work runs on the libuv thread pool, so a login
 * never blocks the event loop. Parameters are the OWASP Password Storage Cheat Sheet's first
 * argon2id configuration: m=19 MiB (19456 KiB), t=2, p=1.
 * https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#argon2id
 *
 * Hashes imported from other systems in bcrypt form are verified with bcryptjs and replaced by an
 * argon2id hash on the first successful login (the caller stores `rehash`).
 */
export const ARGON2_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
/** `Algorithm.Argon2id` of @node-rs/argon2, a const enum its types declare but cannot export at run time. */
export const ARGON2ID = 2;
/** The argon2 version written and expected (0x13). */
const ARGON2_VERSION = 19;

/**
 * Bounds on the parameters of a *stored* hash we agree to recompute. A corrupted or hostile import
 * (`m=4294967295`, bcrypt cost 31) would otherwise make one login allocate gigabytes or run for
 * days: a denial of service planted in the database.
 */
const STORED_ARGON2_LIMITS = { maxMemoryKiB: 262_144, maxTime: 10, maxParallelism: 16 } as const;
const STORED_BCRYPT_MAX_COST = 15;

export interface VerifyResult {
  ok: boolean;
  /** A fresh argon2id hash to store in place of the old one, or null when the stored one is current. */
  rehash: string | null;
}

const REFUSED: VerifyResult = { ok: false, rehash: null };

export class PasswordTooLongError extends RangeError {
  constructor() {
    super('password exceeds the maximum length; run the password policy first');
    this.name = 'PasswordTooLongError';
  }
}

/** argon2id PHC string of the NFKC-normalised password. Throws if the password is over the length limit. */
export async function hashPassword(password: string): Promise<string> {
  // Refused before any work: hashing attacker-sized input is a denial of service.
  if (!isWithinHashLimit(password)) throw new PasswordTooLongError();
  const normalized = normalizePassword(password);
  return withHashSlot(() => argon2Hash(normalized, { algorithm: ARGON2ID, ...ARGON2_PARAMS }));
}

interface StoredScheme {
  verify(candidate: string): Promise<boolean>;
  outdated: boolean;
}

const B64 = /^[A-Za-z0-9+/]+$/;

function parseArgon2(stored: string): StoredScheme | null {
  // $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>  (version segment optional, params in any order)
  const parts = stored.split('$');
  if (parts.length !== 5 && parts.length !== 6) return null;
  const [empty, id, ...rest] = parts;
  if (empty !== '' || (id !== 'argon2id' && id !== 'argon2i' && id !== 'argon2d')) return null;
  if (rest.length === 4 && !/^v=\d{1,3}$/.test(rest[0] ?? '')) return null;
  const version = rest.length === 4 ? Number((rest[0] ?? '').slice(2)) : 16;
  const [paramText, salt, digest] = rest.slice(-3);
  if (paramText === undefined || !B64.test(salt ?? '') || !B64.test(digest ?? '')) return null;
  const params = new Map<string, number>();
  for (const pair of paramText.split(',')) {
    const match = /^([mtp])=(\d{1,10})$/.exec(pair);
    if (match?.[1] === undefined || match[2] === undefined) {
      if (pair.startsWith('data=')) continue;
      return null;
    }
    params.set(match[1], Number(match[2]));
  }
  const m = params.get('m');
  const t = params.get('t');
  const p = params.get('p');
  if (m === undefined || t === undefined || p === undefined) return null;
  if (p < 1 || p > STORED_ARGON2_LIMITS.maxParallelism) return null;
  if (t < 1 || t > STORED_ARGON2_LIMITS.maxTime) return null;
  if (m < 8 * p || m > STORED_ARGON2_LIMITS.maxMemoryKiB) return null;
  return {
    // Any difference from the current parameters (weaker or stronger) or an old version is
    // outdated; rehashing a stronger hash down to the current cost keeps every login equally
    // expensive, which the constant-time login relies on.
    outdated:
      id !== 'argon2id' ||
      version !== ARGON2_VERSION ||
      m !== ARGON2_PARAMS.memoryCost ||
      t !== ARGON2_PARAMS.timeCost ||
      p !== ARGON2_PARAMS.parallelism,
    verify: (candidate) => withHashSlot(() => argon2Verify(stored, candidate)).catch(() => false),
  };
}

function parseBcrypt(stored: string): StoredScheme | null {
  // $2a$, $2b$ and PHP's $2y$ are the same algorithm; bcryptjs accepts all three.
  const match = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/.exec(stored);
  if (match?.[1] === undefined) return null;
  const cost = Number(match[1]);
  if (cost < 4 || cost > STORED_BCRYPT_MAX_COST) return null;
  return {
    outdated: true,
    // bcrypt only reads the first 72 bytes of the password: an imported hash keeps those
    // semantics until the login that replaces it with argon2id, which has no such limit.
    // bcryptjs is pure JavaScript; its async form yields between rounds so the event loop keeps
    // turning, and it only ever runs for legacy hashes until their first login.
    verify: (candidate) => bcryptCompare(candidate, stored),
  };
}

function identify(stored: unknown): StoredScheme | null {
  if (typeof stored !== 'string') return null;
  if (stored.startsWith('$argon2')) return parseArgon2(stored);
  if (stored.startsWith('$2')) return parseBcrypt(stored);
  return null;
}

/**
 * The normalised password first; the raw one too when NFKC changes it, because an imported hash
 * was made by a system that did not normalise. A successful raw match is rehashed normalised.
 */
function candidates(password: string): string[] {
  const normalized = normalizePassword(password);
  return normalized === password ? [normalized] : [normalized, password];
}

async function attempt(scheme: StoredScheme, candidate: string): Promise<boolean> {
  try {
    return await scheme.verify(candidate);
  } catch {
    // A stored hash that passed the format check but still upsets the library must not crash
    // the login route: it simply does not match.
    return false;
  }
}

async function verifyWith(scheme: StoredScheme, password: string): Promise<VerifyResult> {
  for (const candidate of candidates(password)) {
    if (await attempt(scheme, candidate)) {
      return { ok: true, rehash: scheme.outdated ? await hashPassword(password) : null };
    }
  }
  return REFUSED;
}

/**
 * Checks `password` against a stored hash. Never throws on a malformed stored hash: unknown or
 * broken formats answer `ok: false` after the same work as a miss, so a damaged account row looks
 * like any other from outside.
 */
export async function verifyPassword(stored: string, password: string): Promise<VerifyResult> {
  // Refused before any hashing: a multi-megabyte password must not buy CPU or memory. The early
  // return depends only on the input, never on the account, so it reveals nothing.
  if (typeof password !== 'string' || !isWithinHashLimit(password)) return REFUSED;
  const scheme = identify(stored);
  if (scheme === null) {
    await dummyVerify(password);
    return REFUSED;
  }
  return verifyWith(scheme, password);
}

let dummyHash: Promise<string> | null = null;

function getDummyHash(): Promise<string> {
  if (dummyHash === null) {
    // A random secret nobody knows: the dummy can never match. Same parameters as real hashes.
    const pending = hashPassword(randomBytes(32).toString('base64url'));
    dummyHash = pending;
    pending.catch(() => {
      if (dummyHash === pending) dummyHash = null;
    });
  }
  return dummyHash;
}

/**
 * Computes the dummy hash ahead of time. Call once at start-up so that even the first login for
 * an unknown account costs what later ones do.
 */
export async function prepareDummyHash(): Promise<void> {
  await getDummyHash();
}

/**
 * The work of a failed login for an account that does not exist. Without it, "unknown email"
 * answers in microseconds and "wrong password" in tens of milliseconds, and the difference tells
 * an attacker which emails have accounts (account enumeration by timing).
 */
export async function dummyVerify(password: string): Promise<void> {
  if (typeof password !== 'string' || !isWithinHashLimit(password)) return;
  const scheme = parseArgon2(await getDummyHash());
  if (scheme !== null) await verifyWith(scheme, password);
}
