import type { Config } from '../../config/config.ts';
import { AppError } from '../../lib/app-error.ts';
import {
  describeKeys,
  isKeyPurpose,
  KEY_PURPOSES,
  type KeyPurpose,
  keyFilePath,
  PURPOSE_NAMES,
  retireKey,
  rotateKey,
} from '../../lib/keys/index.ts';
import { EXIT } from '../exit-codes.ts';
import { CliExit, readConfig } from '../runtime.ts';

/** When an old key may go, per purpose: retiring it earlier breaks what it still protects. */
const RETIRE_WHEN: Record<KeyPurpose, string> = {
  jwt: 'once access tokens signed with it have expired (15 minutes after every server uses the new key)',
  mfa: 'once the background re-encryption has moved every TOTP secret to the new key',
  credentials: 'once the background re-encryption has moved every stored credential to the new key',
  report: 'once reports signed with it no longer need to be verified',
  action: 'once every agent has checked in since the rotation (they learn the new key then) and actions signed with it have run or expired',
};

function purposeArg(purpose: string): KeyPurpose {
  if (!isKeyPurpose(purpose)) throw new CliExit(EXIT.USAGE, `unknown key purpose "${purpose}"; one of: ${PURPOSE_NAMES.join(', ')}`);
  return purpose;
}

/** Keys set in the environment belong to whoever sets the environment: vigil cannot rewrite them. */
function refuseEnvironmentKeys(config: Config, purpose: KeyPurpose, action: 'rotate' | 'retire'): void {
  if (!config.keys.fromEnv[purpose]) return;
  const { variable } = KEY_PURPOSES[purpose];
  throw new CliExit(
    EXIT.FAILURE,
    action === 'rotate'
      ? `${variable} is set in the environment, so vigil does not manage the ${purpose} keys. To rotate, generate a key (openssl rand -base64 32), set ${variable}=<new key>,<the keys it had> (the new key first: the old ones keep decrypting and verifying) and restart the server and workers`
      : `${variable} is set in the environment, so vigil does not manage the ${purpose} keys. To retire a key, remove it from ${variable} and restart the server and workers`,
  );
}

/** Key-file problems are configuration problems of the data directory; say so in the exit code. */
function withKeyErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof AppError && (error.code === 'KEY_FILE_INSECURE' || error.code === 'KEY_FILE_INVALID')) {
      throw new CliExit(EXIT.CONFIG, error.message);
    }
    if (error instanceof AppError && error.code === 'KEY_FILE_UNUSABLE') throw new CliExit(EXIT.UNAVAILABLE, error.message);
    throw error;
  }
}

/** `vigil keys rotate PURPOSE`: a new active key; the previous one stays for decrypting and verifying. */
export async function keysRotateCommand(purpose: string): Promise<void> {
  const config = readConfig();
  const which = purposeArg(purpose);
  refuseEnvironmentKeys(config, which, 'rotate');
  const result = withKeyErrors(() => rotateKey(config.keys.dir, which));
  const file = keyFilePath(config.keys.dir, which);
  const lines =
    result.previousKid === null
      ? [`Created the ${which} key ${result.kid} in ${file} (there was none yet). Back this file up with the database.`]
      : [
          `Rotated the ${which} key: ${result.kid} is now active; ${result.previousKid} is verify-only (it still decrypts and verifies).`,
          `Restart the server and workers to start using the new key. Back up ${file} again.`,
          `Retire the old key ${RETIRE_WHEN[which]}: vigil keys retire ${which} ${result.previousKid}`,
        ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `vigil keys retire PURPOSE KID`: the key stops decrypting and verifying. */
export async function keysRetireCommand(purpose: string, kid: string): Promise<void> {
  const config = readConfig();
  const which = purposeArg(purpose);
  refuseEnvironmentKeys(config, which, 'retire');
  const result = withKeyErrors(() => retireKey(config.keys.dir, which, kid));
  process.stdout.write(
    result.alreadyRetired
      ? `The ${which} key ${kid} was already retired.\n`
      : `Retired the ${which} key ${kid}: after a restart, values sealed or signed with it no longer open or verify.\n`,
  );
}

/** `vigil keys list`: purpose, id, status, creation time and source of every key; never material. */
export async function keysListCommand(): Promise<void> {
  const config = readConfig();
  const keys = withKeyErrors(() => describeKeys(config));
  const rows = keys.map((key) =>
    'missing' in key
      ? [key.purpose, '-', 'none yet', '-', `file (generated on first start: ${key.missing})`]
      : [
          key.purpose,
          key.kid,
          key.status,
          key.createdAt ?? '-',
          key.source === 'env' ? `env (${KEY_PURPOSES[key.purpose].variable})` : 'file',
        ],
  );
  const table = [['PURPOSE', 'KID', 'STATUS', 'CREATED', 'SOURCE'], ...rows];
  const widths = table[0]?.map((_, column) => Math.max(...table.map((row) => row[column]?.length ?? 0))) ?? [];
  const text = table
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  process.stdout.write(`${text}\n`);
}
