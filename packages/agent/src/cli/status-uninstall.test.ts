import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPLAY_STORE_FILE } from '../actions/index.ts';
import { AGENT_TOKEN, ENROLL_TOKEN, type FakeVigilServer, startFakeVigilServer } from '../client/fake-vigil-server.testkit.ts';
import { collectFromPackagesFile } from '../client/inventory.testkit.ts';
import { type AgentSandbox, createAgentSandbox } from './cli.testkit.ts';
import { EXIT } from './exit-codes.ts';

let server: FakeVigilServer;
let sandbox: AgentSandbox;
beforeEach(async () => {
  server = await startFakeVigilServer();
  sandbox = await createAgentSandbox();
  await writeFile(join(sandbox.root, 'packages.json'), JSON.stringify({ openssl: '3.0.11-1~deb12u1' }));
});
afterEach(async () => {
  await server.close();
  await sandbox.cleanup();
});

const enroll = () => sandbox.cli(['enroll', '--server', server.url, '--token', ENROLL_TOKEN]);

describe('vigil-agent status', () => {
  it('exits 1 when not enrolled', async () => {
    const result = await sandbox.cli(['status']);
    expect(result.code).toBe(EXIT.FAILED);
    expect(result.stdout).toMatch(/^enrolled: +no/);
  });

  it('shows the enrollment, last check-in and inventory, and never the token', async () => {
    await enroll();
    expect((await sandbox.cli(['status'])).stdout).toMatch(/last check-in: +never/);
    await sandbox.cli(['run', '--once', '--root', sandbox.root], { collect: collectFromPackagesFile });
    const result = await sandbox.cli(['status']);
    expect(result.code).toBe(EXIT.OK);
    expect(result.stdout).toContain(server.assetId);
    expect(result.stdout).toContain(`${server.url}/`);
    expect(result.stdout).toMatch(/last inventory: +\S+, 1 packages, digest [0-9a-f]{64}/);
    expect(result.stdout).toMatch(/last error: +none/);
    expect(result.stdout + result.stderr).not.toContain(AGENT_TOKEN);
    expect(result.stdout + result.stderr).not.toContain(AGENT_TOKEN.slice(10, 30));
  });
});

describe('vigil-agent uninstall', () => {
  it('removes its own files and unit, stops the unit first, and leaves everything else', async () => {
    await enroll();
    await sandbox.cli(['run', '--once', '--root', sandbox.root], { collect: collectFromPackagesFile });
    await writeFile(join(sandbox.configDir, 'operator-notes.txt'), 'keep me');
    // What the actions runner and the updater keep in the state directory.
    for (const name of [REPLAY_STORE_FILE, 'update-pending.json', 'update-failed.json'])
      await writeFile(join(sandbox.stateDir, name), '{}');
    await mkdir(dirname(sandbox.systemdUnit), { recursive: true });
    await writeFile(sandbox.systemdUnit, '[Service]\n');
    await writeFile(join(dirname(sandbox.systemdUnit), 'other.service'), '[Service]\n');
    // A systemctl that records how it was called.
    const tools = join(sandbox.base, 'tools');
    await mkdir(tools);
    await writeFile(join(tools, 'systemctl'), `#!/bin/sh\necho "$@" >> ${join(sandbox.base, 'systemctl.log')}\n`);
    await chmod(join(tools, 'systemctl'), 0o755);

    const result = await sandbox.cli(['uninstall', '--yes'], { env: { PATH: tools } });
    expect(result.code).toBe(EXIT.OK);
    expect(await readFile(join(sandbox.base, 'systemctl.log'), 'utf8')).toBe('disable --now vigil-agent.service\ndaemon-reload\n');
    expect(await readdir(sandbox.configDir)).toEqual(['operator-notes.txt']);
    expect(result.stdout).toContain(`kept ${sandbox.configDir}`);
    await expect(readdir(sandbox.stateDir)).rejects.toThrow(/ENOENT/);
    expect(await readdir(dirname(sandbox.systemdUnit))).toEqual(['other.service']);
    expect(await readdir(sandbox.root)).toEqual(['packages.json']);
  });

  it('works without systemctl, and asks before removing anything', async () => {
    await enroll();
    const refused = await sandbox.cli(['uninstall']);
    expect(refused.code).toBe(EXIT.USAGE);
    expect(refused.stderr).toMatch(/pass --yes/);
    expect(await readdir(sandbox.configDir)).toEqual(expect.arrayContaining(['token', 'agent.json']));

    const result = await sandbox.cli(['uninstall', '--yes']);
    expect(result.code).toBe(EXIT.OK);
    await expect(readdir(sandbox.configDir)).rejects.toThrow(/ENOENT/);
  });

  it("leaves files that are not the agent's, under a mistaken --config-dir", async () => {
    const etc = join(sandbox.base, 'etc-like');
    await mkdir(etc);
    await writeFile(join(etc, 'token'), 'an unrelated secret\n');
    await writeFile(join(etc, 'agent.json'), '{"something": "else"}');
    const result = await sandbox.cli(['uninstall', '--yes', '--config-dir', etc]);
    expect(result.stderr).toMatch(/does not look like the agent's/);
    expect((await readdir(etc)).sort()).toEqual(['agent.json', 'token']);
  });
});

describe('vigil-agent', () => {
  it('prints its version and help, and refuses unknown commands', async () => {
    expect((await sandbox.cli(['version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await sandbox.cli(['--help'])).stdout).toContain('vigil-agent enroll --server URL');
    const unknown = await sandbox.cli(['explode']);
    expect(unknown.code).toBe(EXIT.USAGE);
    expect((await sandbox.cli([])).code).toBe(EXIT.USAGE);
  });
});
