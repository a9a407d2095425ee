import { Secret, TOTP, URI } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { generateTotpSecret, matchTotpStep, otpauthUri, parseTotpCode, qrCodeDataUrl, secretToBase32, timeStep } from './totp.ts';

/**
 * The TOTP primitives against the `otpauth` package as an independent authenticator: what an
 * app computes from the URI must be what the server accepts, at ±1 step and not at ±2.
 */
const STEP_MS = 30_000;
/** The middle of a time step, so ±n steps are whole steps away whatever the rounding. */
const AT = 1_800_000_000_000 + STEP_MS / 2;

function appFor(secret: Buffer): TOTP {
  // What an authenticator app builds after scanning: it knows only the base32 secret.
  return new TOTP({ secret: Secret.fromBase32(secretToBase32(secret)) });
}

describe('secrets and the otpauth URI', () => {
  it('makes 20-byte random secrets', () => {
    const a = generateTotpSecret();
    const b = generateTotpSecret();
    expect(a).toHaveLength(20);
    expect(a.equals(b)).toBe(false);
  });

  it('writes a URI an authenticator app parses back to the same secret and parameters', () => {
    const secret = generateTotpSecret();
    const uri = otpauthUri(secret, 'ana+mfa@example.test');
    expect(uri).toMatch(/^otpauth:\/\/totp\/Vigil:ana%2Bmfa%40example\.test\?issuer=Vigil&secret=[A-Z2-7]{32}&/);
    const parsed = URI.parse(uri) as TOTP;
    expect(parsed).toBeInstanceOf(TOTP);
    expect({ alg: parsed.algorithm, digits: parsed.digits, period: parsed.period, issuer: parsed.issuer, label: parsed.label }).toEqual({
      alg: 'SHA1',
      digits: 6,
      period: 30,
      issuer: 'Vigil',
      label: 'ana+mfa@example.test',
    });
    expect(Buffer.from(parsed.secret.bytes).equals(secret)).toBe(true);
    expect(otpauthUri(secret, 'a@example.test', 'Acme Agency')).toContain('issuer=Acme%20Agency');
  });

  it('draws the URI as an SVG QR code in a base64 data URL', async () => {
    const url = await qrCodeDataUrl('otpauth://totp/Vigil:a%40example.test?secret=JBSWY3DPEHPK3PXP');
    const prefix = 'data:image/svg+xml;base64,';
    expect(url.startsWith(prefix)).toBe(true);
    const svg = Buffer.from(url.slice(prefix.length), 'base64').toString('utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('<path');
  });
});

describe('parseTotpCode', () => {
  it('accepts six ASCII digits, with spaces trimmed', () => {
    expect(parseTotpCode('012345')).toBe('012345');
    expect(parseTotpCode(' 123 456 ')).toBe('123456');
  });

  it.each([
    ['empty', ''],
    ['five digits', '12345'],
    ['seven digits', '1234567'],
    ['a letter', '12a456'],
    ['Arabic-Indic digits', '١٢٣٤٥٦'],
    ['full-width digits', '１２３４５６'],
    ['a sign', '+12345'],
    ['a tab inside', '123\t456'],
    ['a newline after', '123456\n'],
    ['a NUL', '123456\0'],
    ['10 kB', '1'.repeat(10_240)],
    ['10 kB of spaces around a code', `${' '.repeat(5_000)}123456${' '.repeat(5_000)}`],
  ])('refuses %s', (_name, input) => {
    expect(parseTotpCode(input)).toBeNull();
  });

  it.each([[123456], [null], [undefined], [['123456']], [{ code: '123456' }]])('refuses the non-string %j', (input) => {
    expect(parseTotpCode(input)).toBeNull();
  });
});

describe('matchTotpStep', () => {
  // Fixed secrets and a fixed time: the test is deterministic, so no code collides by chance.
  const secret = Buffer.from('3132333435363738393031323334353637383930', 'hex');
  const app = appFor(secret);
  const step = timeStep(AT);
  const codeAt = (offset: number) => app.generate({ timestamp: AT + offset * STEP_MS });

  it('uses seven distinct codes around the test time (so the checks below mean what they say)', () => {
    expect(new Set([-3, -2, -1, 0, 1, 2, 3].map(codeAt)).size).toBe(7);
  });

  it('returns the time step of the current, the previous and the next code', () => {
    expect(matchTotpStep(secret, codeAt(0), AT)).toBe(step);
    expect(matchTotpStep(secret, codeAt(-1), AT)).toBe(step - 1);
    expect(matchTotpStep(secret, codeAt(1), AT)).toBe(step + 1);
  });

  it('refuses codes two or more steps away', () => {
    for (const offset of [-3, -2, 2, 3]) expect(matchTotpStep(secret, codeAt(offset), AT), `offset ${offset}`).toBeNull();
  });

  it('refuses the current code of another secret', () => {
    const other = appFor(Buffer.alloc(20, 7)).generate({ timestamp: AT });
    expect([-1, 0, 1].map(codeAt)).not.toContain(other);
    expect(matchTotpStep(secret, other, AT)).toBeNull();
  });

  it('matches the RFC 6238 test vector (SHA-1, T = 59 s) truncated to six digits', () => {
    // RFC 6238 appendix B: 94287082 at T = 59 s for the ASCII secret "12345678901234567890".
    expect(matchTotpStep(secret, '287082', 59_000)).toBe(1);
  });
});
