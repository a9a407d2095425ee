import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { AGENT_PATHS, type Inventory, inventoryDigest, inventorySchema } from '@vigil/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFakeRoot, type FakeRoot } from '../../test/fake-root.ts';
import { ENROLL_TOKEN, type FakeVigilServer, startFakeVigilServer } from '../client/fake-vigil-server.testkit.ts';
import { AGENT_VERSION } from '../run/agent-version.ts';
import { EXIT } from './exit-codes.ts';

const BUILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build.mjs');

let dir: string;
let bundle: string;
let fake: FakeRoot;

/** Runs the bundle the way a server would: a clean environment, a cwd with no node_modules above it. */
function agent(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bundle, ...args],
      { cwd: join(dir, 'cwd'), env: { PATH: dirname(process.execPath), ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const statusOf = (inventory: Inventory, collector: string) => inventory.collectors.find((report) => report.name === collector)?.status;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-agent-bundle-'));
  bundle = join(dir, 'out', 'vigil-agent.mjs');
  await mkdir(join(dir, 'cwd'));
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [BUILD_SCRIPT, '--outfile', bundle], (error) => (error ? reject(error) : resolve())),
  );
  fake = await buildFakeRoot(join(dir, 'root'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the bundled vigil-agent', () => {
  it('is one executable file with a shebang and no imports outside Node', async () => {
    const text = await readFile(bundle, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    const imports = [...text.matchAll(/^import .* from ["']([^"']+)["'];?$/gm)].map((match) => match[1]);
    expect(imports.filter((source) => !source?.startsWith('node:') && !/^[a-z_]+$/.test(source ?? ''))).toEqual([]);
  });

  it('prints its version', async () => {
    const result = await agent(['version']);
    expect(result).toMatchObject({ code: 0, stdout: `${AGENT_VERSION}\n` });
  });

  it('collects a fake root into a valid inventory, compact or pretty', async () => {
    const args = [
      'collect',
      '--root',
      fake.root,
      ...fake.lockfilePaths.flatMap((p) => ['--lockfile-path', p]),
      ...fake.webRoots.flatMap((p) => ['--web-root', p]),
    ];
    const compact = await agent(args);
    expect(compact.code).toBe(0);
    expect(compact.stdout.trim().split('\n')).toHaveLength(1);
    const inventory = inventorySchema.parse(JSON.parse(compact.stdout));
    expect(inventory.host.hostname).toBe('web-01');
    expect(inventory.packages.length).toBeGreaterThan(2_000);
    // The paths reached the collectors (what they find there is the collectors' own tests' business).
    expect(statusOf(inventory, 'lockfiles')).not.toBe('skipped');
    expect(statusOf(inventory, 'wordpress')).not.toBe('skipped');

    const pretty = await agent([...args, '--pretty']);
    expect(pretty.stdout.split('\n').length).toBeGreaterThan(100);
    expect(inventoryDigest(inventorySchema.parse(JSON.parse(pretty.stdout)))).toBe(inventoryDigest(inventory));
  });

  describe('against a server', () => {
    let server: FakeVigilServer;
    const dirs = () => ({ VIGIL_AGENT_CONFIG_DIR: join(dir, 'etc'), VIGIL_AGENT_STATE_DIR: join(dir, 'state') });
    beforeAll(async () => {
      server = await startFakeVigilServer();
    });
    afterAll(() => server.close());

    it('enrolls, sends the inventory once, then stops with exit 3 when its token is refused', async () => {
      const enrolled = await agent(['enroll', '--server', server.url, '--token', ENROLL_TOKEN, '--web-root', '/var/www'], dirs());
      expect(enrolled.code, enrolled.stderr).toBe(0);

      const first = await agent(['run', '--once', '--root', fake.root], dirs());
      expect(first.code, first.stderr).toBe(0);
      const upload = server.requests.find((request) => request.path === AGENT_PATHS.inventory);
      const sent = inventorySchema.parse(JSON.parse(gunzipSync(upload?.raw ?? Buffer.alloc(0)).toString('utf8')));
      expect(statusOf(sent, 'wordpress')).not.toBe('skipped');
      expect(statusOf(sent, 'lockfiles')).toBe('skipped');
      const checkIn = server.requests.find((request) => request.path === AGENT_PATHS.checkIn);
      expect((checkIn?.json as { inventoryDigest?: string } | undefined)?.inventoryDigest).toBe(inventoryDigest(sent));

      await writeFile(join(dir, 'etc', 'token'), `vgl_agent_${'r'.repeat(40)}\n`);
      const before = server.requests.length;
      const refused = await agent(['run', '--root', fake.root], dirs());
      expect(refused.code).toBe(EXIT.TOKEN_REFUSED);
      expect(refused.stderr).toContain("the server refused this agent's token (revoked or rotated)");
      expect(server.requests.length - before).toBe(1);
    });

    it('stops cleanly on SIGTERM while waiting for the next check-in', async () => {
      await agent(['enroll', '--force', '--server', server.url, '--token', ENROLL_TOKEN], dirs());
      const before = server.requests.length;
      const child = spawn(process.execPath, [bundle, 'run', '--root', fake.root], {
        cwd: join(dir, 'cwd'),
        env: { PATH: dirname(process.execPath), ...dirs() },
      });
      let stderr = '';
      let signalled = false;
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        // The cycle is over once the inventory went out: the loop now sleeps for a minute.
        if (stderr.includes('inventory sent') && !signalled) signalled = child.kill('SIGTERM');
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, stderr).toBe(0);
      expect(stderr).toContain('vigil-agent info: stopping');
      expect(server.requests.length - before).toBe(2);
      await expect(readFile(join(dir, 'state', 'run.pid'))).rejects.toThrow(/ENOENT/);
    });
  });
});
