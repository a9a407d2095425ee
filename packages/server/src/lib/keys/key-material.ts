import { createHash, createPrivateKey, createPublicKey, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

/**
 * What each key is for. Every purpose has its own key so that a leak or a rotation of one never
 * touches the others: a leaked report-signing key must not forge sessions, and rotating the MFA
 * key must not force re-encrypting stored credentials.
 */
export const KEY_PURPOSES = {
  jwt: { variable: 'JWT_SIGNING_KEY', kind: 'ed25519', label: 'JWT signing', loss: 'everyone is signed out' },
  mfa: {
    variable: 'MFA_KEK',
    kind: 'aes',
    label: 'MFA (TOTP secret encryption)',
    loss: 'every stored TOTP secret becomes unreadable and every user must enrol MFA again',
  },
  credentials: {
    variable: 'CREDENTIALS_KEK',
    kind: 'aes',
    label: 'stored-credential encryption',
    loss: 'every stored credential becomes unreadable and must be entered again',
  },
  report: {
    variable: 'REPORT_SIGNING_KEY',
    kind: 'ed25519',
    label: 'report signing',
    loss: 'reports signed so far can no longer be checked against the current key',
  },
  action: {
    variable: 'ACTION_SIGNING_KEY',
    kind: 'ed25519',
    label: 'action signing',
    loss: 'agents refuse actions signed with the new key until a check-in has delivered it to them',
  },
} as const;

export type KeyPurpose = keyof typeof KEY_PURPOSES;
/** Purposes whose keys encrypt (AES-256-GCM); the others sign (Ed25519). */
export type SealPurpose = { [P in KeyPurpose]: (typeof KEY_PURPOSES)[P]['kind'] extends 'aes' ? P : never }[KeyPurpose];
export type SignPurpose = Exclude<KeyPurpose, SealPurpose>;
export type KeyStatus = 'active' | 'verify-only' | 'retired';

export const PURPOSE_NAMES = Object.keys(KEY_PURPOSES) as KeyPurpose[];
export const KEY_VARIABLES = PURPOSE_NAMES.map((purpose) => KEY_PURPOSES[purpose].variable);

export function isKeyPurpose(value: string): value is KeyPurpose {
  return Object.hasOwn(KEY_PURPOSES, value);
}

/** Both AES-256 keys and Ed25519 seeds (RFC 8032: any 32 bytes) are 32 random bytes. */
export const KEY_BYTES = 32;

/** Key ids travel in sealed values (dot-separated) and JWT headers: a safe, short alphabet. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A key ready for use. Material is held as a `KeyObject`, never a Buffer: a KeyObject prints as
 * `{}` in JSON and logs, so a config or keyring logged by mistake does not spill a secret.
 */
export interface KeyMaterial {
  kid: string;
  /** The secret key (AES) or the private key (Ed25519). */
  key: KeyObject;
  /** The public key, for signing purposes only. */
  publicKey?: KeyObject;
}

// DER prefix of a PKCS#8 Ed25519 private key (RFC 8410), followed by the 32-byte seed.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Builds the usable key from 32 raw bytes; `raw` is not kept. */
export function materialFromRaw(purpose: KeyPurpose, kid: string, raw: Buffer): KeyMaterial {
  if (raw.length !== KEY_BYTES) throw new Error(`a ${purpose} key must be ${KEY_BYTES} bytes`);
  if (KEY_PURPOSES[purpose].kind === 'aes') return { kid, key: createSecretKey(Buffer.from(raw)) };
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  return { kid, key, publicKey: createPublicKey(key) };
}

/** The 32 raw bytes of a key, for writing a keyring file. */
export function rawFromMaterial(material: KeyMaterial): Buffer {
  if (material.key.type === 'secret') return material.key.export();
  const d = material.key.export({ format: 'jwk' }).d;
  if (d === undefined) throw new Error('not a private key');
  return Buffer.from(d, 'base64url');
}

export function generateRaw(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** A fresh, random key id for a generated key: 8 bytes, 11 base64url characters. */
export function randomKid(): string {
  return randomBytes(8).toString('base64url');
}

/**
 * The id of a key given in the environment without one: derived from the key so it is the same
 * on every start and in every process (server and worker). For Ed25519 it is the RFC 7638 JWK
 * thumbprint of the public key; for AES a purpose-separated SHA-256, which reveals nothing usable
 * about a 256-bit random key.
 */
export function derivedKid(purpose: KeyPurpose, material: Omit<KeyMaterial, 'kid'>): string {
  const hash = createHash('sha256');
  if (material.publicKey) {
    const { x } = material.publicKey.export({ format: 'jwk' });
    hash.update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }));
  } else {
    hash.update(`vigil key id\0${purpose}\0`).update(material.key.export());
  }
  return hash.digest('base64url').slice(0, 16);
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Strict base64/base64url decode: Node's decoder silently skips bad characters, which would accept typos. */
function decodeBase64(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  return Buffer.from(text, 'base64');
}

const PEM = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/;

function parseOne(purpose: KeyPurpose, text: string): Buffer | string {
  const kind = KEY_PURPOSES[purpose].kind;
  if (kind === 'ed25519' && PEM.test(text)) {
    try {
      const key = createPrivateKey({ key: text, format: 'pem' });
      if (key.asymmetricKeyType !== 'ed25519') return 'holds a PEM private key that is not Ed25519';
      return rawFromMaterial({ kid: '', key });
    } catch {
      return 'holds a PEM block that is not a valid Ed25519 private key';
    }
  }
  const raw = decodeBase64(text);
  if (raw === null) return 'holds a key that is not base64';
  if (raw.length !== KEY_BYTES) return `holds a key of ${raw.length} bytes; each key must be exactly ${KEY_BYTES} bytes`;
  return raw;
}

export type ParsedVariable =
  /** `fingerprints`: SHA-256 of each key's bytes, to refuse one key reused for two purposes. */
  { ok: true; keys: KeyMaterial[]; fingerprints: string[] } | { ok: false; problem: string };

const MAX_ENV_KEYS = 16;

/**
 * Parses a key variable: a comma-separated list of `[kid:]key` entries, the active key first and
 * older keys after it (they still decrypt and verify until dropped). A key is 32 random bytes in
 * base64 (`openssl rand -base64 32`); a signing key may also be an Ed25519 PKCS#8 PEM block.
 * Problems never quote the value: it is a secret, and errors reach terminals and CI logs.
 */
export function parseKeyVariable(purpose: KeyPurpose, value: string): ParsedVariable {
  const usage = `(a comma-separated list of [kid:]key entries, newest first; generate a key with: openssl rand -base64 32)`;
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) return { ok: false, problem: `holds no key ${usage}` };
  if (entries.length > MAX_ENV_KEYS) return { ok: false, problem: `holds more than ${MAX_ENV_KEYS} keys` };
  const keys: KeyMaterial[] = [];
  const fingerprints: string[] = [];
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const explicitKid = colon >= 0 ? entry.slice(0, colon).trim() : undefined;
    if (explicitKid !== undefined && !KID_PATTERN.test(explicitKid)) {
      return { ok: false, problem: `entry ${index + 1} has a key id that is not 1-64 letters, digits, _ or - ${usage}` };
    }
    const parsed = parseOne(purpose, colon >= 0 ? entry.slice(colon + 1).trim() : entry);
    if (typeof parsed === 'string') return { ok: false, problem: `entry ${index + 1} ${parsed} ${usage}` };
    const material = materialFromRaw(purpose, '', parsed);
    const kid = explicitKid ?? derivedKid(purpose, material);
    if (keys.some((key) => key.kid === kid)) return { ok: false, problem: `lists the key id "${kid}" twice` };
    keys.push({ ...material, kid });
    fingerprints.push(createHash('sha256').update(parsed).digest('hex'));
    parsed.fill(0);
  }
  return { ok: true, keys, fingerprints };
}
