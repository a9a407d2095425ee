import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KID_PATTERN, type SealPurpose } from './key-material.ts';
import type { Keyring } from './keyring.ts';
import { keysError } from './keys.errors.ts';

/**
 * Secrets at rest (TOTP secrets, stored credentials): AES-256-GCM under the purpose's key, as
 * `v1.<kid>.<iv>.<ciphertext+tag>` (base64url, 12-byte random IV, 16-byte tag). The key id says
 * which key opens it, so keys rotate without a flag day.
 *
 * `aad` binds a value to where it is stored, e.g. `users.totp_secret:<user id>`: an attacker who
 * can write to the database and copies their own TOTP secret into a victim's row gets a value
 * that no longer opens, instead of MFA on the victim's account. The purpose is bound in too.
 */

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]+$/;

function associatedData(purpose: SealPurpose, kid: string, aad: string): Buffer {
  // NUL-separated: kid and purpose cannot contain NUL, so no two inputs give the same bytes.
  return Buffer.from(`vigil-sealed\0${VERSION}\0${purpose}\0${kid}\0${aad}`, 'utf8');
}

export function seal(keyring: Keyring, purpose: SealPurpose, plaintext: Buffer | string, aad: string): string {
  const { kid, key } = keyring.active(purpose);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(purpose, kid, aad));
  const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
  const sealed = Buffer.concat([body, cipher.getAuthTag()]);
  return `${VERSION}.${kid}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
}

function strictBase64url(text: string | undefined): Buffer | null {
  if (text === undefined || !B64URL.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  // Reject non-canonical encodings, so one value has exactly one spelling.
  return bytes.toString('base64url') === text ? bytes : null;
}

interface Parsed {
  kid: string;
  iv: Buffer;
  body: Buffer;
  tag: Buffer;
}

function parse(sealed: string): Parsed {
  const malformed = () => keysError('KEY_DECRYPT_FAILED', 'the value is not a sealed secret (malformed)');
  if (typeof sealed !== 'string') throw malformed();
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw malformed();
  const kid = parts[1] as string;
  if (!KID_PATTERN.test(kid)) throw malformed();
  const iv = strictBase64url(parts[2]);
  const data = strictBase64url(parts[3]);
  if (!iv || iv.length !== IV_BYTES || !data || data.length < TAG_BYTES) throw malformed();
  return { kid, iv, body: data.subarray(0, data.length - TAG_BYTES), tag: data.subarray(data.length - TAG_BYTES) };
}

/**
 * Opens a sealed value with the key it names (active or verify-only). Any failure — malformed,
 * a retired or unknown key, wrong associated data, a changed byte — is KEY_DECRYPT_FAILED, and
 * no plaintext is returned unless the tag verified.
 */
export function open(keyring: Keyring, purpose: SealPurpose, sealed: string, aad: string): Buffer {
  const { kid, iv, body, tag } = parse(sealed);
  const entry = keyring.byId(purpose, kid);
  if (!entry) throw keysError('KEY_DECRYPT_FAILED', `the value is sealed under ${purpose} key ${kid}, which is retired or unknown`);
  const decipher = createDecipheriv('aes-256-gcm', entry.key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(purpose, kid, aad));
  decipher.setAuthTag(tag);
  // GCM releases plaintext before checking the tag: keep it until final() has checked it.
  const plaintext = decipher.update(body);
  try {
    return Buffer.concat([plaintext, decipher.final()]);
  } catch {
    throw keysError('KEY_DECRYPT_FAILED', 'the value does not authenticate (wrong key or associated data, or it was altered)');
  } finally {
    // Buffer.concat copied it; the unauthenticated buffer is wiped either way.
    plaintext.fill(0);
  }
}

/** True when the value was sealed under a key other than the active one: re-encrypt it. */
export function needsReseal(keyring: Keyring, purpose: SealPurpose, sealed: string): boolean {
  return parse(sealed).kid !== keyring.active(purpose).kid;
}

/**
 * The value sealed under the active key, or null if it already is. For the background
 * re-encryption after a rotation; the plaintext never leaves this function.
 */
export function reseal(keyring: Keyring, purpose: SealPurpose, sealed: string, aad: string): string | null {
  if (!needsReseal(keyring, purpose, sealed)) return null;
  const plaintext = open(keyring, purpose, sealed, aad);
  try {
    return seal(keyring, purpose, plaintext, aad);
  } finally {
    plaintext.fill(0);
  }
}
