import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keysListCommand, keysRetireCommand, keysRotateCommand } from '../../cli/commands/keys.ts';
import { CliExit, EXIT } from '../../cli/exit-codes.ts';
import { KEY_VARIABLES } from './key-material.ts';

// `vigil keys …` called as main.ts calls it, against a temporary data directory.

let dataDir: string;
let output: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-keys-cli-'));
  vi.stubEnv('VIGIL_DATA_DIR', dataDir);
  vi.stubEnv('LOG_LEVEL', 'silent');
  for (const variable of KEY_VARIABLES) vi.stubEnv(variable, '');
  output = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dataDir, { recursive: true, force: true });
});

const file = (purpose: string) => join(dataDir, 'keys', `${purpose}.json`);
const stored = (purpose: string) =>
  JSON.parse(readFileSync(file(purpose), 'utf8')) as { keys: Array<{ kid: string; status: string; material: string }> };

async function exitOf(promise: Promise<unknown>): Promise<CliExit> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CliExit) return error;
    throw error;
  }
  throw new Error('expected the command to fail');
}

describe('vigil keys', () => {
  it('lists nothing generated yet without generating anything', async () => {
    await keysListCommand();
    expect(output.split('\n')[0]).toMatch(/^PURPOSE\s+KID\s+STATUS\s+CREATED\s+SOURCE$/);
    expect(output).toMatch(/^mfa\s+-\s+none yet/m);
    expect(existsSync(join(dataDir, 'keys'))).toBe(false);
  });

  it('rotates a key: creates it the first time, then adds an active key and demotes the old one', async () => {
    await keysRotateCommand('mfa');
    expect(output).toMatch(/Created the mfa key/);
    const [first] = stored('mfa').keys;
    expect(statSync(file('mfa')).mode & 0o777).toBe(0o600);

    output = '';
    await keysRotateCommand('mfa');
    const keys = stored('mfa').keys;
    expect(keys.map((key) => key.status)).toEqual(['active', 'verify-only']);
    expect(keys[1]?.kid).toBe(first?.kid);
    expect(output).toContain(`${keys[0]?.kid} is now active; ${first?.kid} is verify-only`);
    expect(output).toContain(`vigil keys retire mfa ${first?.kid}`);

    output = '';
    await keysListCommand();
    expect(output).toMatch(new RegExp(`^mfa\\s+${keys[0]?.kid}\\s+active\\s+\\S+Z\\s+file$`, 'm'));
    expect(output).toMatch(new RegExp(`^mfa\\s+${first?.kid}\\s+verify-only`, 'm'));
    // Listing never prints material.
    for (const key of keys) expect(output).not.toContain(key.material);

    output = '';
    await keysRetireCommand('mfa', first?.kid as string);
    expect(output).toMatch(/Retired the mfa key/);
    expect(stored('mfa').keys.map((key) => key.status)).toEqual(['active', 'retired']);
  });

  it('refuses an unknown purpose as a usage error', async () => {
    const exit = await exitOf(keysRotateCommand('ssh'));
    expect(exit.exitCode).toBe(EXIT.USAGE);
    expect(exit.message).toMatch(/unknown key purpose "ssh"; one of: jwt, mfa, credentials, report, action/);
  });

  it('refuses to rotate or retire a key set in the environment, explaining how to rotate it there', async () => {
    const key = randomBytes(32).toString('base64');
    vi.stubEnv('CREDENTIALS_KEK', key);
    const exit = await exitOf(keysRotateCommand('credentials'));
    expect(exit.exitCode).toBe(EXIT.FAILURE);
    expect(exit.message).toMatch(/CREDENTIALS_KEK is set in the environment.*CREDENTIALS_KEK=<new key>,<the keys it had>/);
    expect(exit.message).not.toContain(key);
    expect(existsSync(file('credentials'))).toBe(false);
    expect((await exitOf(keysRetireCommand('credentials', 'x'))).message).toMatch(/remove it from CREDENTIALS_KEK/);

    await keysListCommand();
    expect(output).toMatch(/^credentials\s+\S+\s+active\s+-\s+env \(CREDENTIALS_KEK\)$/m);
    expect(output).not.toContain(key);
  });

  it('refuses an insecure key file with a configuration exit code', async () => {
    await keysRotateCommand('jwt');
    chmodSync(file('jwt'), 0o644);
    const exit = await exitOf(keysListCommand());
    expect(exit.exitCode).toBe(EXIT.CONFIG);
    expect(exit.message).toContain(`chmod 600 ${file('jwt')}`);
  });

  it('refuses an invalid key variable as a configuration error without echoing it', async () => {
    vi.stubEnv('MFA_KEK', 'hunter2hunter2hunter2');
    const exit = await exitOf(keysListCommand());
    expect(exit.exitCode).toBe(EXIT.CONFIG);
    expect(exit.message).toMatch(/^invalid configuration: MFA_KEK /);
    expect(exit.message).not.toContain('hunter2');
  });
});
