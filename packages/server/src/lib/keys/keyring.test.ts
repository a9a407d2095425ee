import { generateKeyPairSync, type JsonWebKey, randomBytes, sign, verify } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/config.ts';
import { AppError } from '../app-error.ts';
import { PURPOSE_NAMES } from './key-material.ts';
import { loadKeyring } from './keyring.ts';
import { open, seal } from './sealed.ts';

let dataDir: string;
let logLines: Array<{ level: number; msg: string; [key: string]: unknown }>;
let rawLog: string;

const logger = () =>
  pino(
    { level: 'info' },
    {
      write: (line: string) => {
        rawLog += line;
        logLines.push(JSON.parse(line));
      },
    },
  );

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-keys-'));
  logLines = [];
  rawLog = '';
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

const config = (env: Record<string, string> = {}) => loadConfig({ VIGIL_DATA_DIR: dataDir, ...env });
const keysDir = () => join(dataDir, 'keys');
const mode = (file: string) => statSync(file).mode & 0o777;
const b64 = () => randomBytes(32).toString('base64');

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('loadKeyring from the data directory', () => {
  it('generates one keyring per purpose on first start, private to the owner, with one warning each and no material in the log', () => {
    const keyring = loadKeyring(config(), logger());
    expect(mode(keysDir())).toBe(0o700);
    expect(readdirSync(keysDir()).sort()).toEqual(['action.json', 'credentials.json', 'jwt.json', 'mfa.json', 'report.json']);
    for (const purpose of PURPOSE_NAMES) {
      const file = join(keysDir(), `${purpose}.json`);
      expect(mode(file)).toBe(0o600);
      const stored = JSON.parse(readFileSync(file, 'utf8'));
      expect(stored.keys).toHaveLength(1);
      expect(stored.keys[0]).toMatchObject({ kid: keyring.active(purpose).kid, status: 'active' });
      // The material must appear nowhere in what was logged, in any encoding.
      const raw = Buffer.from(stored.keys[0].material, 'base64url');
      for (const encoding of ['base64', 'base64url', 'hex'] as const) expect(rawLog).not.toContain(raw.toString(encoding));
    }
    const warnings = logLines.filter((line) => line.level === 40);
    expect(warnings).toHaveLength(PURPOSE_NAMES.length);
    expect(logLines).toHaveLength(PURPOSE_NAMES.length);
    for (const purpose of PURPOSE_NAMES) {
      const warning = warnings.find((line) => line.purpose === purpose);
      expect(warning?.msg).toContain(join(keysDir(), `${purpose}.json`));
      expect(warning?.msg).toMatch(/back this file up/);
    }
    // No temporary files left behind.
    expect(readdirSync(keysDir()).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('reuses the generated keys on the next start and logs nothing', () => {
    const first = loadKeyring(config(), logger());
    logLines = [];
    const second = loadKeyring(config(), logger());
    expect(logLines).toEqual([]);
    for (const purpose of PURPOSE_NAMES) expect(second.active(purpose).kid).toBe(first.active(purpose).kid);
    // Same material, not just the same id: a value sealed before the restart opens after it.
    expect(open(second, 'mfa', seal(first, 'mfa', 'totp', 'users:1'), 'users:1').toString()).toBe('totp');
  });

  it('generates a purpose added by an upgrade (the action key) into an existing keyring, touching no other file', () => {
    loadKeyring(config(), logger());
    const actionFile = join(keysDir(), 'action.json');
    rmSync(actionFile);
    const others = Object.fromEntries(
      PURPOSE_NAMES.filter((p) => p !== 'action').map((p) => [p, readFileSync(join(keysDir(), `${p}.json`), 'utf8')]),
    );
    logLines = [];
    const keyring = loadKeyring(config(), logger());
    expect(mode(actionFile)).toBe(0o600);
    expect(JSON.parse(readFileSync(actionFile, 'utf8')).keys[0].kid).toBe(keyring.active('action').kid);
    for (const [purpose, text] of Object.entries(others)) expect(readFileSync(join(keysDir(), `${purpose}.json`), 'utf8')).toBe(text);
    expect(logLines.map((line) => line.purpose)).toEqual(['action']);
    expect(logLines[0]?.msg).toMatch(/GENERATED A NEW ACTION SIGNING KEY/);
    expect(keyring.publicJwks('action').keys[0]?.kid).toBe(keyring.active('action').kid);
  });

  it('keeps separate keys per purpose', () => {
    const keyring = loadKeyring(config(), logger());
    const kids = PURPOSE_NAMES.map((purpose) => keyring.active(purpose).kid);
    expect(new Set(kids).size).toBe(PURPOSE_NAMES.length);
    const sealed = seal(keyring, 'mfa', 'x', 'a');
    expect(() => open(keyring, 'credentials', sealed, 'a')).toThrow(/retired or unknown/);
  });

  it.each(['644', '640', '604', '660'])('refuses a key file with mode %s, naming the file and the fix', (bad) => {
    loadKeyring(config(), logger());
    const file = join(keysDir(), 'mfa.json');
    chmodSync(file, Number.parseInt(bad, 8));
    const error = errorOf(() => loadKeyring(config(), logger()));
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('KEY_FILE_INSECURE');
    expect(error.message).toContain(file);
    expect(error.message).toContain(`chmod 600 ${file}`);
  });

  it('refuses a keys directory other users can write to (they could swap in their own key)', () => {
    mkdirSync(keysDir(), { mode: 0o700 });
    chmodSync(keysDir(), 0o777);
    const error = errorOf(() => loadKeyring(config(), logger()));
    expect((error as AppError).code).toBe('KEY_FILE_INSECURE');
    expect(error.message).toContain(`chmod 700 ${keysDir()}`);
  });

  it('refuses a damaged keyring, and one copied from another purpose, without quoting it', () => {
    loadKeyring(config(), logger());
    const mfa = join(keysDir(), 'mfa.json');
    const jwt = readFileSync(join(keysDir(), 'jwt.json'), 'utf8');
    writeFileSync(mfa, jwt, { mode: 0o600 });
    expect(errorOf(() => loadKeyring(config(), logger())).message).toMatch(/mfa\.json holds jwt keys, not mfa keys/);

    const stored = JSON.parse(jwt);
    stored.purpose = 'mfa';
    stored.keys[0].material = stored.keys[0].material.slice(0, 20);
    writeFileSync(mfa, JSON.stringify(stored), { mode: 0o600 });
    const error = errorOf(() => loadKeyring(config(), logger()));
    expect((error as AppError).code).toBe('KEY_FILE_INVALID');
    expect(error.message).toMatch(/keys\.0\.material is missing or invalid/);
    expect(error.message).not.toContain(stored.keys[0].material);

    writeFileSync(mfa, '{"version":1,', { mode: 0o600 });
    expect(errorOf(() => loadKeyring(config(), logger())).message).toMatch(/mfa\.json is not valid JSON/);
  });

  it('publishes only the public half of the JWT keys', () => {
    const keyring = loadKeyring(config(), logger());
    const jwks = keyring.publicJwks();
    expect(jwks.keys).toHaveLength(1);
    const [jwk] = jwks.keys;
    expect(Object.keys(jwk ?? {}).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(jwk).toMatchObject({ kid: keyring.active('jwt').kid, alg: 'EdDSA', use: 'sig', kty: 'OKP', crv: 'Ed25519' });
    // The published key verifies what the active key signs.
    const signature = sign(null, Buffer.from('payload'), keyring.active('jwt').key);
    expect(verify(null, Buffer.from('payload'), { key: jwk as unknown as JsonWebKey, format: 'jwk' }, signature)).toBe(true);
    expect(keyring.publicJwks('report').keys[0]?.kid).toBe(keyring.active('report').kid);
  });

  it('holds no key material where a logged config or keyring would print it', () => {
    const c = config({ MFA_KEK: b64() });
    const keyring = loadKeyring(c, logger());
    const material = keyring.active('mfa').key.export().toString('base64');
    expect(JSON.stringify(c)).not.toContain(material);
    expect(JSON.stringify(keyring.active('mfa'))).not.toContain(material);
  });
});

describe('keys from the environment', () => {
  it('uses them instead of files, first key active and the rest verify-only, and writes no file for them', () => {
    const [newer, older] = [b64(), b64()];
    const keyring = loadKeyring(config({ MFA_KEK: `${newer},legacy-1:${older}` }), logger());
    expect(existsSync(join(keysDir(), 'mfa.json'))).toBe(false);
    expect(existsSync(join(keysDir(), 'jwt.json'))).toBe(true);
    expect(keyring.active('mfa').key.export().toString('base64')).toBe(newer);
    expect(keyring.verifying('mfa').map((key) => [key.status, key.source])).toEqual([
      ['active', 'env'],
      ['verify-only', 'env'],
    ]);
    expect(keyring.byId('mfa', 'legacy-1')?.key.export().toString('base64')).toBe(older);
    // One warning per generated purpose, none for the one given in the environment.
    expect(logLines.map((line) => line.purpose).sort()).toEqual(['action', 'credentials', 'jwt', 'report']);
  });

  it('derives the same key id on every start, so sealed values keep opening', () => {
    const env = { CREDENTIALS_KEK: b64() };
    const sealed = seal(loadKeyring(config(env), logger()), 'credentials', 'secret', 'integrations:7');
    rmSync(dataDir, { recursive: true, force: true });
    expect(open(loadKeyring(config(env), logger()), 'credentials', sealed, 'integrations:7').toString()).toBe('secret');
  });

  it('accepts an Ed25519 signing key as a base64 seed or as a PKCS#8 PEM', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url').toString('base64');
    for (const value of [pem, seed, `main:${seed}`]) {
      const keyring = loadKeyring(config({ JWT_SIGNING_KEY: value }), logger());
      const jwk = keyring.publicJwks().keys[0];
      expect(jwk?.x).toBe(publicKey.export({ format: 'jwk' }).x);
    }
    // Without an explicit id the kid is the key's JWK thumbprint prefix: the same from PEM and seed.
    const fromPem = loadKeyring(config({ JWT_SIGNING_KEY: pem }), logger()).active('jwt').kid;
    expect(loadKeyring(config({ JWT_SIGNING_KEY: seed }), logger()).active('jwt').kid).toBe(fromPem);
  });

  it('warns when a variable shadows an existing key file', () => {
    loadKeyring(config(), logger());
    logLines = [];
    loadKeyring(config({ MFA_KEK: b64() }), logger());
    expect(logLines).toHaveLength(1);
    expect(logLines[0]?.msg).toMatch(/MFA_KEK is set, so .*mfa\.json are not used/);
  });

  const secret = Buffer.from('secret-secret-secret-secret-sec').toString('base64'); // 31 bytes
  const pem = `-----BEGIN PRIVATE KEY-----\nZ2FyYmFnZWdhcmJhZ2VnYXJiYWdl\n-----END PRIVATE KEY-----`;
  const rsaPem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  it.each([
    ['MFA_KEK', secret, /31 bytes; each key must be exactly 32 bytes/],
    ['CREDENTIALS_KEK', randomBytes(16).toString('base64'), /16 bytes/],
    ['CREDENTIALS_KEK', randomBytes(32).toString('hex'), /48 bytes/],
    ['MFA_KEK', `${b64()},not base64!`, /entry 2 holds a key that is not base64/],
    ['MFA_KEK', `bad kid:${b64()}`, /entry 1 has a key id/],
    ['MFA_KEK', ' , ', /holds no key/],
    ['JWT_SIGNING_KEY', pem, /not a valid Ed25519 private key/],
    ['REPORT_SIGNING_KEY', rsaPem, /not Ed25519/],
    ['JWT_SIGNING_KEY', 'hunter2hunter2', /not base64|bytes/],
  ])('refuses a bad %s, naming it and not echoing the value', (variable, value, problem) => {
    const error = errorOf(() => config({ [variable]: value }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect(error.message.startsWith(`${variable} `)).toBe(true);
    expect(error.message).toMatch(problem);
    expect(error.message).toMatch(/openssl rand -base64 32/);
    for (const part of value.split(/[\n,:]/).filter((p) => p.trim().length > 6)) expect(error.message).not.toContain(part.trim());
  });

  it('refuses the same key for two purposes, and the same id twice', () => {
    const key = b64();
    const reused = errorOf(() => config({ MFA_KEK: key, CREDENTIALS_KEK: key }));
    expect(reused).toBeInstanceOf(ConfigError);
    expect(reused.message).toMatch(/^CREDENTIALS_KEK holds a key that MFA_KEK also holds/);
    expect(reused.message).not.toContain(key);
    const seed = errorOf(() => config({ MFA_KEK: key, JWT_SIGNING_KEY: key }));
    // Not even across kinds: an AES key reused as an Ed25519 seed.
    expect(seed.message).toMatch(/^MFA_KEK holds a key that JWT_SIGNING_KEY also holds/);
    expect(errorOf(() => config({ MFA_KEK: `a:${b64()},a:${b64()}` })).message).toMatch(/lists the key id "a" twice/);
  });
});
