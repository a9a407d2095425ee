import { randomBytes, timingSafeEqual } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

/**
 * TOTP as RFC 6238 and every common authenticator app read it: HMAC-SHA-1, 6 digits, 30-second
 * steps. Anything else (SHA-256, 8 digits) is silently ignored by some apps, which then show
 * codes that never match; the defaults are the only interoperable choice.
 */
export const TOTP_ALGORITHM = 'SHA1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps accepted either side of the current one: tolerates a phone clock 30 s off. */
export const TOTP_WINDOW = 1;
/** 160 bits, the HMAC-SHA-1 block output size RFC 4226 recommends for the shared secret. */
export const TOTP_SECRET_BYTES = 20;

const SIX_ASCII_DIGITS = /^[0-9]{6}$/;
/** Longer input is not a code: refuse it before trimming a 10 kB string. */
const MAX_CODE_INPUT = 32;

export function generateTotpSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

function otpSecret(secret: Uint8Array): Secret {
  // A copy into a fresh ArrayBuffer: a pooled Buffer's `.buffer` is a shared 8 kB slab.
  return new Secret({ buffer: Uint8Array.from(secret).buffer });
}

export function secretToBase32(secret: Uint8Array): string {
  return otpSecret(secret).base32;
}

/** The `otpauth://totp/Issuer:account?secret=…&issuer=…` URI authenticator apps import. */
export function otpauthUri(secret: Uint8Array, accountEmail: string, issuer = 'Vigil'): string {
  return new TOTP({
    issuer,
    label: accountEmail,
    secret: otpSecret(secret),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  }).toString();
}

/** The URI as a QR code, an SVG in a data URL the dashboard can show in an <img> (CSP allows data:). */
export async function qrCodeDataUrl(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

/**
 * The code as typed, or null. Exactly six ASCII digits after trimming spaces: `\d` would take
 * Arabic-Indic or full-width digits, which no authenticator shows and which only arrive to probe
 * the parser. Everything is decided here, before any database access.
 */
export function parseTotpCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > MAX_CODE_INPUT) return null;
  const code = input.replaceAll(' ', '');
  return SIX_ASCII_DIGITS.test(code) ? code : null;
}

/** The RFC 6238 time step `at` (ms since the epoch) falls in. */
export function timeStep(at: number): number {
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: at });
}

function totpCodeAt(secret: Uint8Array, step: number): string {
  return HOTP.generate({ secret: otpSecret(secret), algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, counter: step });
}

/**
 * The time step whose code `code` is, within ±TOTP_WINDOW of `at`, or null. The matched step is
 * what replay protection stores and compares. Every step of the window is computed and compared
 * in constant time, with no early exit, so the response time does not say which step (if any)
 * matched. Should two steps share a code (one chance in a million), the newest wins, which only
 * ever makes replay protection stricter.
 */
export function matchTotpStep(secret: Uint8Array, code: string, at: number = Date.now()): number | null {
  const typed = Buffer.from(code, 'utf8');
  if (typed.length !== TOTP_DIGITS) return null;
  const current = timeStep(at);
  let matched: number | null = null;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const expected = Buffer.from(totpCodeAt(secret, step), 'utf8');
    if (timingSafeEqual(expected, typed)) matched = step;
  }
  return matched;
}
