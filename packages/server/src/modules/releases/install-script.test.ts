import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/processes.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.ts';
import { shellQuote } from './install-script.ts';
import { publish, releaseSigner, releasesDir } from './releases.test-kit.ts';

/**
 * /install.sh, run for real by /bin/sh against a real server on loopback, in a fake root. The
 * system tools it must not run for real here (apt-get, systemctl, id) are stubs that record their
 * calls; curl and node record and then run the real programs. "Node missing" is a PATH without it;
 * the apt-get stub "installs" it by adding the node stub, as the real one would.
 */
const signer = releaseSigner();
const TOOLS = ['sh', 'cat', 'cp', 'mv', 'chmod', 'mkdir', 'rm', 'mktemp'];
let ta: TestApp;
let dir: string;
let script: string;
let bundle: Buffer;

beforeAll(async () => {
  dir = await releasesDir();
  bundle = (await publish(dir, signer, '1.2.0')).bundle;
  const port = await freePort();
  ta = await createTestApp({ AGENT_RELEASES_DIR: dir, PUBLIC_URL: `http://127.0.0.1:${port}/` });
  await ta.app.listen({ host: '127.0.0.1', port });
  expect((ta.app.server.address() as AddressInfo).port).toBe(port);
  script = (await ta.app.inject({ method: 'GET', url: '/install.sh' })).body;
});
afterAll(async () => {
  await ta.close();
  await rm(dir, { recursive: true, force: true });
});

interface Machine {
  root: string;
  bin: string;
  calls(): Promise<string[]>;
}

async function machine(options: { node: boolean; uid?: number }): Promise<Machine> {
  const root = await mkdtemp(path.join(tmpdir(), 'vigil-install-'));
  const bin = path.join(root, 'stub-bin');
  const log = path.join(root, 'calls.log');
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await mkdir(bin);
  await writeFile(path.join(root, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12"\n');
  for (const tool of TOOLS)
    await symlink(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), path.join(bin, tool));
  const curl = execFileSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).trim();
  const record = (name: string) => `printf '%s\\n' "${name} $*" >> ${shellQuote(log)}`;
  const nodeStub = `#!/bin/sh\n${record('node')}\ncase $1 in -e|-p|--version) exec ${shellQuote(process.execPath)} "$@" ;; esac\n${record('node-env VIGIL_AGENT_ENROLL_TOKEN=$VIGIL_AGENT_ENROLL_TOKEN')}\nexit 0\n`;
  const stubs: Record<string, string> = {
    id: `#!/bin/sh\n${record('id')}\necho ${options.uid ?? 0}\n`,
    systemctl: `#!/bin/sh\n${record('systemctl')}\n`,
    curl: `#!/bin/sh\n${record('curl')}\nexec ${shellQuote(curl)} "$@"\n`,
    'apt-get': `#!/bin/sh\n${record('apt-get')}\nif [ "$1" = install ]; then cat ${shellQuote(path.join(root, 'node.stub'))} > ${shellQuote(path.join(bin, 'node'))}; chmod 0755 ${shellQuote(path.join(bin, 'node'))}; fi\n`,
  };
  await writeFile(path.join(root, 'node.stub'), nodeStub);
  if (options.node) stubs.node = nodeStub;
  for (const [name, body] of Object.entries(stubs)) {
    await writeFile(path.join(bin, name), body);
    await chmod(path.join(bin, name), 0o755);
  }
  return {
    root,
    bin,
    calls: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean),
  };
}

/** `curl … /install.sh | sh -s -- ARGS`: the script arrives on standard input. */
async function install(m: Machine, args: string[], tty?: string): Promise<{ code: number | null; stderr: string }> {
  let ttyPath = path.join(m.root, 'no-tty');
  if (tty !== undefined) {
    ttyPath = path.join(m.root, 'tty');
    await writeFile(ttyPath, tty);
  }
  const child = spawn(path.join(m.bin, 'sh'), ['-s', '--', ...args], {
    env: { PATH: m.bin, VIGIL_INSTALL_ROOT: m.root, VIGIL_INSTALL_TTY: ttyPath, TMPDIR: m.root },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdout.on('data', (d) => {
    stderr += d;
  });
  child.stdin.end(script);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stderr };
}

const TOKEN = `vgl_enroll_${'A'.repeat(40)}`;
const packageManagerCalls = (calls: string[]) => calls.filter((c) => /^(apt-get|dnf|apk) /.test(c));
const installed = (m: Machine) => readFile(path.join(m.root, 'usr/local/lib/vigil-agent/vigil-agent.mjs')).catch(() => null);

describe('install.sh', () => {
  it('passes sh -n', () => {
    expect(() => execFileSync('sh', ['-n'], { input: script })).not.toThrow();
  });

  it('with Node.js present: installs, enrolls and starts the agent, and never runs a package manager', async () => {
    const m = await machine({ node: true });
    const result = await install(m, ['--token', TOKEN]);
    expect(result.stderr).toContain('vigil-agent 1.2.0 is running');
    expect(result.code).toBe(0);
    const calls = await m.calls();
    expect(packageManagerCalls(calls)).toEqual([]);
    expect((await installed(m))?.equals(bundle)).toBe(true);
    const server = ta.config.publicUrl.toString().replace(/\/$/, '');
    // The agent stand-in saw the enroll command, and the token only in its environment.
    const enroll = calls.indexOf(`node ${m.root}/usr/local/lib/vigil-agent/vigil-agent.mjs enroll --server ${server}`);
    expect(enroll).toBeGreaterThan(-1);
    expect(calls[enroll + 1]).toMatch(new RegExp(`^node-env VIGIL_AGENT_ENROLL_TOKEN=${TOKEN} `));
    expect(calls.filter((c) => c.startsWith('node ') && c.includes(TOKEN))).toEqual([]);
    expect(calls.filter((c) => c.startsWith('systemctl'))).toEqual([
      'systemctl daemon-reload',
      'systemctl enable vigil-agent.service',
      'systemctl restart vigil-agent.service',
    ]);
    const unit = await readFile(path.join(m.root, 'etc/systemd/system/vigil-agent.service'), 'utf8');
    expect(unit).toMatch(/^User=root$/m);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=3$/m);
    expect(unit).toMatch(/^RestartSec=10$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/vigil-agent run$/m);
    const wrapper = await readFile(path.join(m.root, 'usr/local/bin/vigil-agent'), 'utf8');
    expect(wrapper).toContain("agent='/usr/local/lib/vigil-agent/vigil-agent.mjs'\n");
    expect(wrapper).toContain(`exec '${m.bin}/node' "$agent" "$@"\n`);
    expect(() => execFileSync('sh', ['-n'], { input: wrapper })).not.toThrow();
    await rm(m.root, { recursive: true, force: true });
  });

  it('installs a wrapper that puts the previous file back when a new one keeps failing to start', async () => {
    const m = await machine({ node: true });
    expect((await install(m, ['--token', TOKEN])).code).toBe(0);
    // The wrapper as installed, pointed at this fake root's directories and a Node.js that fails.
    const lib = path.join(m.root, 'usr/local/lib/vigil-agent');
    const state = path.join(m.root, 'var/lib/vigil-agent');
    await mkdir(state, { recursive: true });
    const failingNode = path.join(m.root, 'failing-node');
    await writeFile(failingNode, `#!/bin/sh\nprintf '%s\\n' "$*" >> ${shellQuote(path.join(m.root, 'starts.log'))}\nexit 1\n`, {
      mode: 0o755,
    });
    const wrapper = (await readFile(path.join(m.root, 'usr/local/bin/vigil-agent'), 'utf8'))
      .replaceAll('/usr/local/lib/vigil-agent', lib)
      .replaceAll('/var/lib/vigil-agent', state)
      .replaceAll(`${m.bin}/node`, failingNode);
    await writeFile(path.join(m.root, 'wrapper'), wrapper, { mode: 0o755 });
    const agentFile = path.join(lib, 'vigil-agent.mjs');
    await writeFile(`${agentFile}.previous`, 'the previous agent');
    await writeFile(agentFile, 'a new agent that does not start');
    const start = (args: string[]) => execFileSync(path.join(m.root, 'wrapper'), args, { env: { PATH: m.bin } }).toString();
    const run = () => expect(() => start(['run'])).toThrow();
    // No update pending: the wrapper only runs the agent.
    for (let i = 0; i < 5; i++) run();
    expect(await readFile(agentFile, 'utf8')).toBe('a new agent that does not start');
    await writeFile(path.join(state, 'update-pending.json'), '{}');
    for (let i = 0; i < 3; i++) run();
    expect(await readFile(agentFile, 'utf8')).toBe('a new agent that does not start');
    expect(await readFile(path.join(state, 'update-wrapper-starts'), 'utf8')).toBe('3\n');
    run();
    expect(await readFile(agentFile, 'utf8')).toBe('the previous agent');
    expect((await stat(agentFile)).mode & 0o777).toBe(0o755);
    expect(await readFile(path.join(state, 'update-rolled-back-by-wrapper'), 'utf8')).toBe('');
    await expect(readFile(path.join(state, 'update-wrapper-starts'))).rejects.toThrow(/ENOENT/);
    // Other commands (status, enroll) never count as starts.
    expect(() => start(['status'])).toThrow();
    expect((await readFile(path.join(m.root, 'starts.log'), 'utf8')).trim().split('\n').at(-1)).toBe(`${agentFile} status`);
    await rm(m.root, { recursive: true, force: true });
  });

  it.each([
    ['the answer is "n"', [] as string[], 'n\n'],
    ['there is no terminal to ask on', [], undefined],
    ['--no-tools is given', ['--no-tools'], 'y\n'],
  ])('with Node.js missing and %s: runs no package manager and installs nothing', async (_, extra, tty) => {
    const m = await machine({ node: false });
    const result = await install(m, ['--token', TOKEN, ...extra], tty);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Node\.js 18 or newer \(the package is usually called nodejs\) is required/);
    expect(packageManagerCalls(await m.calls())).toEqual([]);
    expect(await installed(m)).toBeNull();
    await rm(m.root, { recursive: true, force: true });
  });

  it.each([
    ['--yes', ['--yes'], undefined],
    ['the answer "y"', [], 'y\n'],
  ])('with Node.js missing and %s: installs nodejs with apt-get once, then the agent', async (_, extra, tty) => {
    const m = await machine({ node: false });
    const result = await install(m, ['--token', TOKEN, ...extra], tty);
    expect(result.code).toBe(0);
    expect(packageManagerCalls(await m.calls())).toEqual(['apt-get update', 'apt-get install -y nodejs']);
    expect((await installed(m))?.equals(bundle)).toBe(true);
    await rm(m.root, { recursive: true, force: true });
  });

  it.each([
    ['no token', []],
    ['another kind of token', ['--token', `vgl_live_${'A'.repeat(40)}`]],
    ['a token carrying shell syntax', ['--token', 'vgl_enroll_$(touch /tmp/x);reboot']],
    ['an unknown option', ['--token', TOKEN, '--force']],
  ])('refuses %s before touching anything', async (_, args) => {
    const m = await machine({ node: true });
    const result = await install(m, args);
    expect(result.code).toBe(1);
    expect((await m.calls()).filter((c) => !c.startsWith('id'))).toEqual([]);
    await rm(m.root, { recursive: true, force: true });
  });

  it('refuses to run as another user than root', async () => {
    const m = await machine({ node: true, uid: 1000 });
    const result = await install(m, ['--token', TOKEN]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/run as root/);
    expect(await m.calls()).toEqual(['id -u']);
    await rm(m.root, { recursive: true, force: true });
  });

  it('installs nothing when the served file does not match the manifest', async () => {
    // Same size, one byte changed: only the SHA-256 can tell.
    const tampered = Buffer.from(bundle);
    tampered[3] = (tampered[3] ?? 0) ^ 0x20;
    const file = path.join(dir, 'node/1.2.0/vigil-agent.mjs');
    await writeFile(file, tampered);
    try {
      const m = await machine({ node: true });
      const result = await install(m, ['--token', TOKEN]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/does not match the manifest/);
      expect(await installed(m)).toBeNull();
      expect((await m.calls()).filter((c) => c.startsWith('systemctl') || c.includes(' enroll '))).toEqual([]);
      await rm(m.root, { recursive: true, force: true });
    } finally {
      await writeFile(file, bundle);
    }
  });
});
