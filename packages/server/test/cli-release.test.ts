import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEnvelope, releaseManifestSchema } from '@vigil/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, runVigil } from './helpers/processes.ts';

/** `vigil release keygen | sign | verify`: the publisher's offline tools, run as a publisher would. */
let dir: string;
const at = (name: string) => path.join(dir, name);
const vigil = (args: string[]) => runVigil(['release', ...args], childEnv({}));
const BUNDLE = Buffer.from('#!/usr/bin/env node\nconsole.log("vigil-agent 1.2.0");\n'.repeat(100));

let publicKey: { kid: string; x: string };
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-cli-release-'));
  await writeFile(at('vigil-agent.mjs'), BUNDLE);
  const keygen = await vigil(['keygen', '--out', at('release.key'), '--kid', 'release-test']);
  expect(keygen.code).toBe(0);
  publicKey = JSON.parse(keygen.stdout);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('vigil release', () => {
  it('keygen writes a 0600 key and prints its public half', async () => {
    expect(publicKey).toEqual({ kid: 'release-test', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect((await stat(at('release.key'))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(at('release.key'), 'utf8'))).toMatchObject({ kid: 'release-test', jwk: { x: publicKey.x } });
  });

  it('keygen never overwrites a key', async () => {
    const before = await readFile(at('release.key'));
    const again = await vigil(['keygen', '--out', at('release.key')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists; not overwriting/);
    expect((await readFile(at('release.key'))).equals(before)).toBe(true);
  });

  it('sign → verify: the manifest carries the file’s hash and size and verifies with the public key', async () => {
    const sign = await vigil([
      'sign',
      ...['--key', at('release.key'), '--file', at('vigil-agent.mjs'), '--version', '1.2.0', '--platform', 'node'],
      ...['--min-version', '1.0.0', '--expires-in-days', '30', '--out', at('manifest.json')],
    ]);
    expect(sign.code).toBe(0);
    const manifest = openEnvelope(JSON.parse(await readFile(at('manifest.json'), 'utf8')), [publicKey], releaseManifestSchema);
    expect(manifest).toMatchObject({
      version: '1.2.0',
      platform: 'node',
      size: BUNDLE.length,
      minimumVersion: '1.0.0',
      url: '/downloads/agent/node/1.2.0/vigil-agent.mjs',
    });
    const days = (Date.parse(manifest.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThanOrEqual(30);
    const verify = await vigil([
      'verify',
      '--manifest',
      at('manifest.json'),
      '--file',
      at('vigil-agent.mjs'),
      '--public-key',
      JSON.stringify(publicKey),
    ]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^OK node 1\.2\.0: /);
  });

  it('verify fails on a changed file, and on another key', async () => {
    const changed = Buffer.from(BUNDLE);
    changed[20] = (changed[20] ?? 0) ^ 1;
    await writeFile(at('changed.mjs'), changed);
    const verify = await vigil(['verify', '--manifest', at('manifest.json'), '--file', at('changed.mjs'), '--key', at('release.key')]);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/verification failed: the file's SHA-256 is/);
    await writeFile(at('longer.mjs'), Buffer.concat([BUNDLE, Buffer.from('\n')]));
    const longer = await vigil(['verify', '--manifest', at('manifest.json'), '--file', at('longer.mjs'), '--key', at('release.key')]);
    expect(longer.stderr).toMatch(/the file is \d+ bytes, the manifest says/);
    const other = JSON.stringify({ kid: 'release-test', x: 'A'.repeat(43) });
    const wrongKey = await vigil(['verify', '--manifest', at('manifest.json'), '--file', at('vigil-agent.mjs'), '--public-key', other]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/signature/);
  });

  it('sign refuses a key file other users can read', async () => {
    await writeFile(at('open.key'), await readFile(at('release.key')));
    await chmod(at('open.key'), 0o644);
    const sign = await vigil(['sign', '--key', at('open.key'), '--file', at('vigil-agent.mjs'), '--version', '1.2.0']);
    expect(sign.code).toBe(1);
    expect(sign.stderr).toMatch(/readable by other users; chmod 600/);
    expect(sign.stdout).toBe('');
  });

  it.each([
    ['a version that is not one', ['--version', '1.2']],
    ['a version with a path in it', ['--version', '../1.2.0']],
    ['an unknown platform', ['--version', '1.2.0', '--platform', 'windows']],
    ['a zero expiry', ['--version', '1.2.0', '--expires-in-days', '0']],
    ['a bad minimum version', ['--version', '1.2.0', '--min-version', 'latest']],
  ])('sign refuses %s with a usage error', async (_, args) => {
    const sign = await vigil(['sign', '--key', at('release.key'), '--file', at('vigil-agent.mjs'), ...args]);
    expect(sign.code).toBe(64);
    expect(sign.stdout).toBe('');
  });

  it('sign refuses a file that is not a key', async () => {
    await writeFile(at('not.key'), '{"hello":1}', { mode: 0o600 });
    const sign = await vigil(['sign', '--key', at('not.key'), '--file', at('vigil-agent.mjs'), '--version', '1.2.0']);
    expect(sign.code).toBe(1);
    expect(sign.stderr).toMatch(/not a release key file/);
  });
});
