import { existsSync } from 'node:fs';
import type { Config } from '../../config/config.ts';
import type { Logger } from '../../logger.ts';
import {
  generateRaw,
  KEY_PURPOSES,
  type KeyMaterial,
  type KeyPurpose,
  type KeyStatus,
  materialFromRaw,
  PURPOSE_NAMES,
  randomKid,
  type SignPurpose,
} from './key-material.ts';
import { keyFilePath, loadOrCreateKeyFile, readKeyFile, type StoredKeyring } from './key-store.ts';

export type KeySource = 'env' | 'file';

/** A usable key: retired keys are never loaded, so nothing can decrypt or verify with them. */
export interface KeyEntry extends KeyMaterial {
  purpose: KeyPurpose;
  status: Exclude<KeyStatus, 'retired'>;
  /** ISO time the key was generated; null for keys given in the environment. */
  createdAt: string | null;
  source: KeySource;
}

/** What `vigil keys list` shows: never material. */
export interface KeyInfo {
  purpose: KeyPurpose;
  kid: string;
  status: KeyStatus;
  createdAt: string | null;
  source: KeySource;
}

/** An Ed25519 public key as published in the JWKS: an allow-list of fields, never `d`. */
export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface Keyring {
  /** The key new values are sealed or signed with. */
  active(purpose: KeyPurpose): KeyEntry;
  /** A key that may still decrypt or verify; undefined for an unknown or retired id. */
  byId(purpose: KeyPurpose, kid: string): KeyEntry | undefined;
  /** Active first, then verify-only keys: what a signature or token is checked against. */
  verifying(purpose: KeyPurpose): KeyEntry[];
  /** Public halves of the verifying keys of a signing purpose, for `/.well-known/jwks.json`. */
  publicJwks(purpose?: SignPurpose): { keys: PublicJwk[] };
}

/** Builds a keyring from loaded keys; each purpose must have exactly one active key. */
export function createKeyring(entries: readonly KeyEntry[]): Keyring {
  const byPurpose = new Map<KeyPurpose, KeyEntry[]>();
  for (const purpose of PURPOSE_NAMES) {
    const list = entries.filter((entry) => entry.purpose === purpose);
    const active = list.filter((entry) => entry.status === 'active');
    if (active.length !== 1) throw new Error(`the ${purpose} keyring needs exactly one active key (has ${active.length})`);
    byPurpose.set(purpose, [...active, ...list.filter((entry) => entry.status !== 'active')]);
  }
  const verifying = (purpose: KeyPurpose): KeyEntry[] => byPurpose.get(purpose) ?? [];
  return {
    active: (purpose) => verifying(purpose)[0] as KeyEntry,
    byId: (purpose, kid) => verifying(purpose).find((entry) => entry.kid === kid),
    verifying: (purpose) => [...verifying(purpose)],
    publicJwks: (purpose = 'jwt') => ({
      keys: verifying(purpose).map((entry) => {
        const { x } = (entry.publicKey as NonNullable<KeyEntry['publicKey']>).export({ format: 'jwk' });
        return { kty: 'OKP', crv: 'Ed25519', x: x as string, kid: entry.kid, alg: 'EdDSA', use: 'sig' };
      }),
    }),
  };
}

/** A throw-away keyring with one fresh key per purpose, for tests of the modules that use keys. */
export function createEphemeralKeyring(): Keyring {
  return createKeyring(
    PURPOSE_NAMES.map((purpose) => ({
      ...materialFromRaw(purpose, randomKid(), generateRaw()),
      purpose,
      status: 'active' as const,
      createdAt: new Date().toISOString(),
      source: 'file' as const,
    })),
  );
}

function entriesFromFile(keyring: StoredKeyring): KeyEntry[] {
  return keyring.keys.flatMap((stored) =>
    stored.status === 'retired'
      ? []
      : [
          {
            ...materialFromRaw(keyring.purpose, stored.kid, Buffer.from(stored.material, 'base64url')),
            purpose: keyring.purpose,
            status: stored.status,
            createdAt: stored.createdAt,
            source: 'file' as const,
          },
        ],
  );
}

function entriesFromEnv(purpose: KeyPurpose, keys: readonly KeyMaterial[]): KeyEntry[] {
  return keys.map((key, index) => ({ ...key, purpose, status: index === 0 ? 'active' : 'verify-only', createdAt: null, source: 'env' }));
}

/**
 * Loads every purpose's keys: from the environment where its variable is set, otherwise from its
 * keyring file, generating the file on first start. A generated key is announced with one warning
 * naming the file, because losing it loses data that the database backup alone cannot restore.
 * Throws (KEY_FILE_*) on an unreadable, damaged or insecure key file. Call it again to pick up
 * keys rotated by `vigil keys rotate`.
 */
export function loadKeyring(config: Pick<Config, 'keys'>, logger: Pick<Logger, 'warn'>, now = new Date()): Keyring {
  const entries: KeyEntry[] = [];
  for (const purpose of PURPOSE_NAMES) {
    const { variable, label, loss } = KEY_PURPOSES[purpose];
    const file = keyFilePath(config.keys.dir, purpose);
    const fromEnv = config.keys.fromEnv[purpose];
    if (fromEnv) {
      entries.push(...entriesFromEnv(purpose, fromEnv));
      if (existsSync(file)) {
        logger.warn(
          { purpose, file },
          `${variable} is set, so the ${label} keys in ${file} are not used: values sealed or signed with them stay valid only if those keys are listed in ${variable} too (after the new one)`,
        );
      }
      continue;
    }
    const { keyring, created } = loadOrCreateKeyFile(config.keys.dir, purpose, now);
    if (created) {
      logger.warn(
        { purpose, file },
        `GENERATED A NEW ${label.toUpperCase()} KEY in ${file}: back this file up with the database, because if it is lost ${loss}; set ${variable} to supply the key yourself instead`,
      );
    }
    entries.push(...entriesFromFile(keyring));
  }
  return createKeyring(entries);
}

/** Every key of every purpose with its status, without generating anything (for `vigil keys list`). */
export function describeKeys(config: Pick<Config, 'keys'>): Array<KeyInfo | { purpose: KeyPurpose; missing: string }> {
  return PURPOSE_NAMES.flatMap((purpose): Array<KeyInfo | { purpose: KeyPurpose; missing: string }> => {
    const fromEnv = config.keys.fromEnv[purpose];
    if (fromEnv)
      return entriesFromEnv(purpose, fromEnv).map(({ kid, status, createdAt, source }) => ({ purpose, kid, status, createdAt, source }));
    const stored = readKeyFile(config.keys.dir, purpose);
    if (!stored) return [{ purpose, missing: keyFilePath(config.keys.dir, purpose) }];
    return stored.keys.map(({ kid, status, createdAt }) => ({ purpose, kid, status, createdAt, source: 'file' }));
  });
}
