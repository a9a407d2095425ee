import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { RELEASE_PLATFORMS, type ReleasePlatform, type TrustedKey } from '@vigil/protocol';
import {
  defaultReleaseKid,
  generateReleaseKey,
  parseReleaseKeyFile,
  type ReleaseSigningKey,
  signRelease,
  verifyRelease,
} from '../../modules/releases/release-signing.ts';
import { BUNDLE_FILE, RELEASE_VERSION } from '../../modules/releases/releases.schemas.ts';
import { CliExit, EXIT } from '../exit-codes.ts';

/**
 * `vigil release …`: the publisher's side of signed agent updates. It needs no configuration and
 * no database: signing happens offline, on the machine that holds the release key.
 */

const usage = (message: string) => new CliExit(EXIT.USAGE, message);

function readInput(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new CliExit(EXIT.FAILURE, `cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function version(value: string, option: string): string {
  if (!RELEASE_VERSION.test(value))
    throw usage(`${option} must be a release version such as 1.4.2 or 1.5.0-rc.1 (got ${JSON.stringify(value)})`);
  return value;
}

/** `vigil release keygen --out FILE [--kid KID]`: a new release key, 0600; prints its public half. */
export async function releaseKeygenCommand(options: { out: string; kid?: string }): Promise<void> {
  const draft = generateReleaseKey('pending');
  const kid = options.kid ?? defaultReleaseKid(draft.publicKey.x);
  if (!/^[\x21-\x7e]{1,64}$/.test(kid)) throw usage('--kid must be 1 to 64 visible ASCII characters');
  const file = { ...draft.file, kid };
  try {
    // `wx`: an existing key is never overwritten (losing it would strand every agent that pins it).
    writeFileSync(options.out, `${JSON.stringify(file, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliExit(
      EXIT.FAILURE,
      code === 'EEXIST' ? `${options.out} exists; not overwriting a key` : `cannot write ${options.out}: ${code}`,
    );
  }
  process.stdout.write(`${JSON.stringify({ kid, x: draft.publicKey.x })}\n`);
  process.stderr.write(
    [
      `Wrote the private release key to ${options.out} (mode 0600). Keep it offline and backed up; it never goes on the Vigil server.`,
      'Pin the public key above in the agent build (__VIGIL_RELEASE_KEYS__, a JSON array of { kid, x }).',
      '',
    ].join('\n'),
  );
}

function readSigningKey(file: string): ReleaseSigningKey {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (error) {
    throw new CliExit(EXIT.FAILURE, `cannot read the key ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  // As ssh does: a private key others can read may already be someone else's too.
  if ((mode & 0o077) !== 0) throw new CliExit(EXIT.FAILURE, `${file} is readable by other users; chmod 600 ${file} first`);
  try {
    return parseReleaseKeyFile(readInput(file, 'key').toString('utf8'));
  } catch (error) {
    if (error instanceof CliExit) throw error;
    throw new CliExit(EXIT.FAILURE, `${file}: ${(error as Error).message}`);
  }
}

export interface SignCommandOptions {
  key: string;
  file: string;
  version: string;
  platform: string;
  minVersion: string;
  expiresInDays: string;
  url?: string;
  out?: string;
}

/** `vigil release sign …`: the signed manifest of one agent file. */
export async function releaseSignCommand(options: SignCommandOptions): Promise<void> {
  if (!(RELEASE_PLATFORMS as readonly string[]).includes(options.platform)) {
    throw usage(`--platform must be one of ${RELEASE_PLATFORMS.join(', ')}`);
  }
  const platform = options.platform as ReleasePlatform;
  const days = Number(options.expiresInDays);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw usage('--expires-in-days must be an integer from 1 to 3650');
  const releaseVersion = version(options.version, '--version');
  const key = readSigningKey(options.key);
  const bundle = readInput(options.file, 'file');
  const url = options.url ?? `/downloads/agent/${platform}/${releaseVersion}/${BUNDLE_FILE[platform]}`;
  let signed: ReturnType<typeof signRelease>;
  try {
    signed = signRelease(
      bundle,
      {
        version: releaseVersion,
        platform,
        minimumVersion: version(options.minVersion, '--min-version'),
        expiresAt: new Date(Date.now() + days * 86_400_000),
        url,
      },
      key,
    );
  } catch (error) {
    if (error instanceof CliExit) throw error;
    throw usage(`cannot sign: ${(error as Error).message.split('\n')[0]}`);
  }
  const text = `${JSON.stringify(signed, null, 2)}\n`;
  if (options.out) writeFileSync(options.out, text, { mode: 0o644 });
  else process.stdout.write(text);
  process.stderr.write(
    `Signed ${platform} ${releaseVersion} (${bundle.length} bytes) with ${key.kid}. Publish it as <AGENT_RELEASES_DIR>/${platform}/${releaseVersion}/${BUNDLE_FILE[platform]} with the manifest beside it as manifest.json.\n`,
  );
}

function publicKeys(value: string): TrustedKey[] {
  const text = value.trim().startsWith('{') || value.trim().startsWith('[') ? value : readInput(value, 'public key').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw usage('--public-key must be {"kid":…,"x":…} (as keygen printed it), a JSON array of them, or a file holding that');
  }
  const keys = (Array.isArray(parsed) ? parsed : [parsed]) as Array<Partial<TrustedKey>>;
  if (!keys.every((k) => typeof k?.kid === 'string' && typeof k.x === 'string' && /^[A-Za-z0-9_-]{43}$/.test(k.x))) {
    throw usage('--public-key must hold { kid, x } with x the raw Ed25519 key in base64url');
  }
  return keys as TrustedKey[];
}

/** `vigil release verify --manifest M --file F --public-key K`: checks what an agent will check. */
export async function releaseVerifyCommand(options: { manifest: string; file: string; publicKey?: string; key?: string }): Promise<void> {
  if ((options.publicKey === undefined) === (options.key === undefined)) throw usage('give one of --public-key or --key');
  const keys = options.publicKey !== undefined ? publicKeys(options.publicKey) : [readSigningKey(options.key as string).publicKey];
  let signed: unknown;
  try {
    signed = JSON.parse(readInput(options.manifest, 'manifest').toString('utf8'));
  } catch (error) {
    if (error instanceof CliExit) throw error;
    throw new CliExit(EXIT.FAILURE, `${options.manifest} is not JSON`);
  }
  try {
    const manifest = verifyRelease(signed, readInput(options.file, 'file'), keys);
    const expired = Date.parse(manifest.expiresAt) <= Date.now() ? ' (EXPIRED: agents will refuse it)' : '';
    process.stdout.write(
      `OK ${manifest.platform} ${manifest.version}: ${manifest.size} bytes, sha256 ${manifest.sha256}, from ${manifest.minimumVersion}, expires ${manifest.expiresAt}${expired}, url ${manifest.url}\n`,
    );
    if (expired) throw new CliExit(EXIT.FAILURE, `the manifest expired at ${manifest.expiresAt}`);
  } catch (error) {
    if (error instanceof CliExit) throw error;
    throw new CliExit(EXIT.FAILURE, `verification failed: ${(error as Error).message}`);
  }
}
