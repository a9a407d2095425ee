import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_PATHS, inventorySchema, type ReleaseManifest } from '@vigil/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFakeRoot, type FakeRoot } from '../../test/fake-root.ts';
import { ENROLL_TOKEN, type FakeVigilServer, sendJson, startFakeVigilServer } from '../client/fake-vigil-server.testkit.ts';
import { AGENT_VERSION } from '../run/agent-version.ts';
import { manifestFor, releaseKey, sign } from '../update/update.test-kit.ts';
import { EXIT } from './exit-codes.ts';

// The single executable (`node build.mjs --sea`), built once for this file: a copy of this node's
// ~100 MB binary with the agent injected. Run with an empty environment (no PATH, so no node to
// fall back on) from /tmp, the way nothing but the file itself can make it work.
const BUILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build.mjs');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const key = releaseKey('sea-test-release');

let dir: string;
let executable: string;
let fake: FakeRoot;

type Result = { code: number; stdout: string; stderr: string };
function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: '/tmp', env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const sha256Of = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-agent-sea-test-'));
  executable = join(dir, 'out', 'vigil-agent');
  const keys = join(dir, 'release-keys.json');
  await writeFile(keys, JSON.stringify([key.trusted]));
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [BUILD_SCRIPT, '--sea', '--outfile', executable, '--release-keys', keys], (error, _stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(),
    ),
  );
  fake = await buildFakeRoot(join(dir, 'root'));
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the single executable vigil-agent', () => {
  it('is a native executable carrying the agent, marked for Node to run it', async () => {
    const bytes = await readFile(executable);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect((await stat(executable)).mode & 0o111).toBe(0o111);
    // postject flips the fuse from :0 to :1; Node runs the injected agent only when it is set.
    expect(bytes.includes(`${SEA_FUSE}:1`)).toBe(true);
    expect(bytes.includes('vigil-agent: reports this server')).toBe(true);
  });

  it('prints its version with no Node on the PATH and no experimental warning', async () => {
    expect(await run(executable, ['version'])).toEqual({ code: 0, stdout: `${AGENT_VERSION}\n`, stderr: '' });
  });

  it('collects a fake root into a valid inventory', async () => {
    const args = ['collect', '--root', fake.root, ...fake.lockfilePaths.flatMap((p) => ['--lockfile-path', p])];
    const result = await run(executable, [...args, ...fake.webRoots.flatMap((p) => ['--web-root', p])]);
    expect(result.code, result.stderr).toBe(0);
    const inventory = inventorySchema.parse(JSON.parse(result.stdout));
    expect(inventory.agentVersion).toBe(AGENT_VERSION);
    expect(inventory.host.hostname).toBe('web-01');
    expect(inventory.packages.length).toBeGreaterThan(2_000);
    for (const collector of ['lockfiles', 'wordpress']) {
      expect(inventory.collectors.find((report) => report.name === collector)?.status).not.toBe('skipped');
    }
  });

  it('treats its arguments as its own, never as Node options, and reports bad input with its exit codes', async () => {
    const nodeFlag = await run(executable, ['--require', join(dir, 'nothing.cjs'), 'version']);
    expect(nodeFlag.code).toBe(EXIT.USAGE);
    expect(nodeFlag.stderr).toContain('unknown command "--require"');
    const noRoot = await run(executable, ['collect', '--root', join(dir, 'missing')]);
    expect(noRoot.code).not.toBe(0);
    expect(noRoot.stderr).toContain('is not a directory');
    const hugeArgument = await run(executable, ['collect', '--root', `/${'x'.repeat(100_000)}`]);
    expect(hugeArgument.code).not.toBe(0);
    expect(hugeArgument.stdout).toBe('');
  });

  describe('self-update', () => {
    let server: FakeVigilServer;
    let installed: string;
    const dirs = () => ({ VIGIL_AGENT_CONFIG_DIR: join(dir, 'etc'), VIGIL_AGENT_STATE_DIR: join(dir, 'state') });
    const platform = `linux-${process.arch}` as ReleaseManifest['platform'];
    const offer = (file: Buffer, manifest: ReleaseManifest) => {
      server.checkIn = { ...server.checkIn, update: { version: manifest.version } };
      server.handle(AGENT_PATHS.releaseManifest, (_request, response) => sendJson(response, 200, sign(manifest, key)));
      server.handle(manifest.url, (_request, response) => response.end(file));
    };

    beforeAll(async () => {
      server = await startFakeVigilServer();
      // A copy, so replacing it leaves the executable the other tests run alone.
      installed = join(dir, 'installed', 'vigil-agent');
      await mkdir(dirname(installed));
      await copyFile(executable, installed);
      const enrolled = await run(installed, ['enroll', '--server', server.url, '--token', ENROLL_TOKEN], dirs());
      expect(enrolled.code, enrolled.stderr).toBe(0);
    });
    afterAll(() => server.close());

    it('refuses the script release (it needs a Node this server may not have), keeping its binary', async () => {
      const script = Buffer.from('#!/usr/bin/env node\nconsole.log("9.0.0");\n');
      offer(script, manifestFor(script, { version: '9.0.0', url: '/downloads/agent/node/9.0.0/vigil-agent.mjs' }));
      const before = await sha256Of(installed);
      const result = await run(installed, ['run', '--once', '--root', fake.root], dirs());
      expect(result.code, result.stderr).toBe(EXIT.OK);
      expect(result.stderr).toContain(`the release is for node, this agent runs ${platform}`);
      const asked = server.requests.filter((request) => request.path === AGENT_PATHS.releaseManifest).at(-1);
      expect(new URLSearchParams(asked?.query).get('platform')).toBe(platform);
      expect(await sha256Of(installed)).toBe(before);
    });

    it('replaces the running binary itself with a signed release for its platform, keeping the old one', async () => {
      const release = Buffer.from('#!/bin/sh\necho "release 9.0.0"\n');
      const url = `/downloads/agent/${platform}/9.0.0/vigil-agent`;
      offer(release, manifestFor(release, { version: '9.0.0', platform, url }));
      const before = await sha256Of(installed);
      const result = await run(installed, ['run', '--once', '--root', fake.root], dirs());
      expect(result.code, result.stderr).toBe(EXIT.RESTART);
      expect(server.requests.some((request) => request.path === url)).toBe(true);
      expect(await readFile(installed, 'utf8')).toBe(release.toString('utf8'));
      expect(await sha256Of(`${installed}.previous`)).toBe(before);
      expect(await run(installed, ['version'])).toMatchObject({ code: 0, stdout: 'release 9.0.0\n' });
    });
  });
});
