import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PURPOSE_NAMES } from './key-material.ts';
import { loadOrCreateKeyFile, readKeyFile } from './key-store.ts';

const run = promisify(execFile);
const KEYRING_MODULE = fileURLToPath(new URL('./keyring.ts', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-key-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('key files', () => {
  it('reads nothing and creates nothing when there is no keyring yet', () => {
    expect(readKeyFile(join(dir, 'keys'), 'mfa')).toBeNull();
    const { keyring, created } = loadOrCreateKeyFile(join(dir, 'keys'), 'mfa');
    expect(created).toBe(true);
    expect(readKeyFile(join(dir, 'keys'), 'mfa')).toEqual(keyring);
    expect(loadOrCreateKeyFile(join(dir, 'keys'), 'mfa').created).toBe(false);
  });

  // Regression guard: a server and a worker started together on an empty data directory must not
  // each generate (and use) their own key, or values sealed by one would never open in the other.
  it('gives processes starting at the same moment the same keys, and only one announces them', async () => {
    // Each process imports first, then spins until the same instant, so the loads truly overlap.
    const startAt = Date.now() + 3000;
    const script = `
      const { loadKeyring } = await import(${JSON.stringify(KEYRING_MODULE)});
      while (Date.now() < ${startAt}) {}
      const warnings = [];
      const keyring = loadKeyring({ keys: { dir: ${JSON.stringify(join(dir, 'keys'))}, fromEnv: {} } }, { warn: (_o, m) => warnings.push(m) });
      const kids = Object.fromEntries(${JSON.stringify(PURPOSE_NAMES)}.map((p) => [p, keyring.active(p).kid]));
      console.log(JSON.stringify({ kids, warnings: warnings.length }));
    `;
    const results = await Promise.all(
      Array.from({ length: 6 }, () => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 })),
    );
    const outputs = results.map((result) => JSON.parse(result.stdout) as { kids: Record<string, string>; warnings: number });
    for (const output of outputs) expect(output.kids).toEqual(outputs[0]?.kids);
    expect(outputs.reduce((sum, output) => sum + output.warnings, 0)).toBe(PURPOSE_NAMES.length);
  });
});
