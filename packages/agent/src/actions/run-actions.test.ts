import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type ActionCommand, actionResultSchema, type SignedAction } from '@vigil/protocol';
import { describe, expect, it } from 'vitest';
import type { HookContext } from '../run/hooks.ts';
import { machine, payloadFor, sign, signingKey } from './actions.testkit.ts';
import { executeCommand, SSHD_DROP_IN } from './commands.ts';
import { REPLAY_STORE_FILE, runActionsHook } from './index.ts';

const ASSET = randomUUID();
const server = signingKey();
const trusted = [server.trusted];
const restart: ActionCommand = { kind: 'restart_service', unit: 'nginx.service' };
const upgrade: ActionCommand = { kind: 'upgrade_packages', packages: [{ name: 'openssl', version: '3.0.15-1~deb12u1' }] };

function flip(text: string, at: number): string {
  const c = text[at] === 'A' ? 'B' : 'A';
  return text.slice(0, at) + c + text.slice(at + 1);
}

describe('a verified action', () => {
  it('runs the fixed argv for the package manager under the root and reports exit code, output and the nonce', async () => {
    const m = machine();
    mkdirSync(path.join(m.root, 'usr/bin'), { recursive: true });
    writeFileSync(path.join(m.root, 'usr/bin/apt-get'), '');
    const payload = payloadFor(ASSET, upgrade);
    const summary = await m.run([sign(payload, server)], trusted, ASSET);
    expect(summary).toEqual({ ran: 1, refused: 0, unreported: 0, resent: 0 });
    const env = ['/usr/bin/env', 'DEBIAN_FRONTEND=noninteractive', '/usr/bin/apt-get'];
    expect(m.calls).toEqual([
      [...env, 'update', '-q'],
      [
        ...env,
        'install',
        '--only-upgrade',
        '-y',
        '-q',
        '-o',
        'Dpkg::Options::=--force-confdef',
        '-o',
        'Dpkg::Options::=--force-confold',
        'openssl=3.0.15-1~deb12u1',
      ],
    ]);
    expect(m.reports).toHaveLength(1);
    const [report] = m.reports;
    expect(report?.actionId).toBe(payload.actionId);
    expect(actionResultSchema.parse(report?.result)).toMatchObject({
      outcome: 'succeeded',
      exitCode: 0,
      truncated: false,
      nonce: payload.nonce,
    });
    expect(report?.result.stdout).toContain('ran /usr/bin/env DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get install --only-upgrade');
    // The nonce is on disk, private to root.
    expect(statSync(m.storePath).mode & 0o777).toBe(0o600);
    expect(readFileSync(m.storePath, 'utf8')).toContain(payload.nonce);
  });

  it.each([
    ['dnf', 'usr/bin/dnf', [['/usr/bin/dnf', 'upgrade', '-y', 'openssl-3.0.15-1~deb12u1']]],
    ['apk', 'sbin/apk', [['/sbin/apk', 'add', '--update-cache', '--upgrade', 'openssl=3.0.15-1~deb12u1']]],
  ])('uses %s when that is what the root has', async (_, binary, argv) => {
    const m = machine();
    mkdirSync(path.dirname(path.join(m.root, binary)), { recursive: true });
    writeFileSync(path.join(m.root, binary), '');
    await m.run([sign(payloadFor(ASSET, upgrade), server)], trusted, ASSET);
    expect(m.calls).toEqual(argv);
  });

  // Defence in depth behind the schema: `less=1.0-` would make apt-get REMOVE less.
  it.each([
    ['less', '590-2.1~deb12u2-'],
    ['openssh-server-', '1:9.2p1-2+deb12u3'],
    ['-o', 'APT::Get::Remove=true'],
  ])('refuses to build an argv for %s=%s even when it reached the runner', async (name, version) => {
    const m = machine();
    mkdirSync(path.join(m.root, 'usr/bin'), { recursive: true });
    writeFileSync(path.join(m.root, 'usr/bin/apt-get'), '');
    const command: ActionCommand = {
      kind: 'upgrade_packages',
      packages: [
        { name: 'openssl', version: '3.0.15-1~deb12u1' },
        { name, version },
      ],
    };
    const output = await executeCommand(command, { root: m.root, run: (argv) => m.runner(argv, 5_000) });
    expect(output).toMatchObject({ exitCode: 1, stderr: expect.stringMatching(/refusing package names or versions/) });
    expect(m.calls).toEqual([]);
  });

  it('fails without running anything when no package manager is installed', async () => {
    const m = machine();
    await m.run([sign(payloadFor(ASSET, upgrade), server)], trusted, ASSET);
    expect(m.calls).toEqual([]);
    expect(m.reports[0]?.result).toMatchObject({ outcome: 'failed', stderr: expect.stringMatching(/no supported package manager/) });
  });

  it('kills a command that outlives the timeout and reports timed_out', async () => {
    const m = machine();
    const payload = payloadFor(ASSET, { kind: 'restart_service', unit: 'slow.service' }, { timeoutSeconds: 1 });
    await m.run([sign(payload, server)], trusted, ASSET);
    expect(m.calls).toEqual([['/usr/bin/systemctl', 'restart', 'slow.service']]);
    expect(m.reports[0]?.result).toMatchObject({ outcome: 'timed_out', exitCode: null });
  });

  it('reports a failing command’s exit code, and caps output at the protocol limit (NUL replaced)', async () => {
    const m = machine();
    await m.run(
      [
        sign(payloadFor(ASSET, { kind: 'restart_service', unit: 'broken.service' }), server),
        sign(payloadFor(ASSET, { kind: 'restart_service', unit: 'loud.service' }), server),
      ],
      trusted,
      ASSET,
    );
    expect(m.reports[0]?.result).toMatchObject({ outcome: 'failed', exitCode: 3, stderr: 'unit failed\n' });
    const loud = actionResultSchema.parse(m.reports[1]?.result);
    expect(loud).toMatchObject({ outcome: 'succeeded', truncated: true });
    expect(loud.stdout.length).toBe(64 * 1024);
    expect(loud.stderr).toBe('\ufffderr');
  });
});

describe('refusals: nothing runs, the refusal is reported and logged', () => {
  const other = signingKey();
  const cases: Array<[string, () => { signed: SignedAction; payloadNonce: string; actionId: string }, RegExp]> = [
    [
      'a bad signature',
      () => {
        const p = payloadFor(ASSET, restart);
        const s = sign(p, server);
        return { signed: { ...s, signature: flip(s.signature, 10) }, payloadNonce: p.nonce, actionId: p.actionId };
      },
      /bad_signature/,
    ],
    [
      'a signature by an untrusted key under a trusted kid',
      () => {
        const p = payloadFor(ASSET, restart);
        return { signed: sign(p, { kid: server.kid, privateKey: other.privateKey }), payloadNonce: p.nonce, actionId: p.actionId };
      },
      /bad_signature/,
    ],
    [
      'a key id nobody pinned',
      () => {
        const p = payloadFor(ASSET, restart);
        return { signed: sign(p, other), payloadNonce: p.nonce, actionId: p.actionId };
      },
      /unknown_key/,
    ],
    [
      'another server’s asset id',
      () => {
        const p = payloadFor(randomUUID(), restart);
        return { signed: sign(p, server), payloadNonce: p.nonce, actionId: p.actionId };
      },
      /another server/,
    ],
    [
      'an expired action',
      () => {
        const p = payloadFor(ASSET, restart, {
          issuedAt: new Date(Date.now() - 7_200_000).toISOString(),
          expiresAt: new Date(Date.now() - 1000).toISOString(),
        });
        return { signed: sign(p, server), payloadNonce: p.nonce, actionId: p.actionId };
      },
      /expired/,
    ],
    [
      'an action issued more than a minute in the future',
      () => {
        const p = payloadFor(ASSET, restart, { issuedAt: new Date(Date.now() + 120_000).toISOString() });
        return { signed: sign(p, server), payloadNonce: p.nonce, actionId: p.actionId };
      },
      /future/,
    ],
    [
      'a tampered payload byte (the unit changed after signing)',
      () => {
        const p = payloadFor(ASSET, restart);
        const s = sign(p, server);
        const tampered = Buffer.from(JSON.stringify(p).replace('nginx.service', 'nginy.service')).toString('base64url');
        return { signed: { ...s, payload: tampered }, payloadNonce: p.nonce, actionId: p.actionId };
      },
      /bad_signature/,
    ],
    [
      'a signed payload that is not a valid action (a shell line)',
      () => {
        const p = { ...payloadFor(ASSET, restart), command: { kind: 'run_shell', line: 'id' } };
        return { signed: sign(p, server), payloadNonce: p.nonce, actionId: p.actionId };
      },
      /malformed/,
    ],
  ];

  it.each(cases)('refuses %s', async (_, make, reason) => {
    const m = machine();
    const { signed, payloadNonce, actionId } = make();
    const summary = await m.run([signed], trusted, ASSET);
    expect(summary).toEqual({ ran: 0, refused: 1, unreported: 0, resent: 0 });
    expect(m.calls).toEqual([]);
    expect(m.reports).toHaveLength(1);
    expect(m.reports[0]?.actionId).toBe(actionId);
    const result = actionResultSchema.parse(m.reports[0]?.result);
    expect(result).toMatchObject({ outcome: 'refused', exitCode: null, startedAt: null, nonce: payloadNonce });
    expect(result.refusal).toMatch(reason);
    expect(m.logged.some((line) => line.startsWith('warn refused action') && reason.test(line))).toBe(true);
    // A refused nonce is not recorded as used (nothing ran).
    expect(existsSync(m.storePath) ? readFileSync(m.storePath, 'utf8') : '').not.toContain(payloadNonce);
  });

  it('accepts a server clock up to a minute ahead', async () => {
    const m = machine();
    const p = payloadFor(ASSET, restart, { issuedAt: new Date(Date.now() + 50_000).toISOString() });
    expect(await m.run([sign(p, server)], trusted, ASSET)).toMatchObject({ ran: 1, refused: 0 });
  });

  it('refuses a replayed nonce, in the same fetch and after a restart (the replay store is on disk)', async () => {
    const m = machine();
    const signed = sign(payloadFor(ASSET, restart), server);
    expect(await m.run([signed, signed], trusted, ASSET)).toEqual({ ran: 1, refused: 1, unreported: 0, resent: 0 });
    // A new process: the same file, nothing held in memory.
    expect(await m.run([signed], trusted, ASSET)).toEqual({ ran: 0, refused: 1, unreported: 0, resent: 0 });
    expect(m.calls).toHaveLength(1);
    expect(m.reports.map((r) => r.result.outcome)).toEqual(['succeeded', 'refused', 'refused']);
    expect(m.reports[2]?.result.refusal).toMatch(/replay/);
  });

  // Regression: a result lost once (network blip) made the re-delivered action a "replay", so the
  // server recorded an action that had run as refused.
  it('sends the kept result again when an action comes back after its report was lost, and never runs it twice', async () => {
    const m = machine();
    const payload = payloadFor(ASSET, restart);
    const signed = sign(payload, server);
    const lost = await m.run([signed], trusted, ASSET, {
      reportResult: async () => {
        throw new Error('ECONNRESET');
      },
    });
    expect(lost).toEqual({ ran: 1, refused: 0, unreported: 1, resent: 0 });
    expect(readFileSync(m.storePath, 'utf8')).toContain('ran /usr/bin/systemctl restart nginx.service');
    // The next cycle (a new process: only the file remembers) gets the same envelope again.
    expect(await m.run([signed], trusted, ASSET)).toEqual({ ran: 0, refused: 0, unreported: 0, resent: 1 });
    expect(m.calls).toEqual([['/usr/bin/systemctl', 'restart', 'nginx.service']]);
    expect(m.reports).toHaveLength(1);
    expect(m.reports[0]?.actionId).toBe(payload.actionId);
    expect(actionResultSchema.parse(m.reports[0]?.result)).toMatchObject({ outcome: 'succeeded', exitCode: 0, nonce: payload.nonce });
    // Taken by the server: forgotten, and a third delivery is a plain replay again.
    expect(readFileSync(m.storePath, 'utf8')).not.toContain('ran /usr/bin/systemctl');
    expect(await m.run([signed], trusted, ASSET)).toEqual({ ran: 0, refused: 1, unreported: 0, resent: 0 });
    expect(m.reports[1]?.result.refusal).toMatch(/replay/);
    expect(m.calls).toHaveLength(1);
  });

  it('keeps a result for its own action only: another action reusing the nonce is refused as a replay', async () => {
    const m = machine();
    const first = payloadFor(ASSET, restart);
    await m.run([sign(first, server)], trusted, ASSET, {
      reportResult: async () => {
        throw new Error('ECONNRESET');
      },
    });
    const other = payloadFor(ASSET, restart, { nonce: first.nonce });
    expect(await m.run([sign(other, server)], trusted, ASSET)).toEqual({ ran: 0, refused: 1, unreported: 0, resent: 0 });
    expect(m.reports[0]).toMatchObject({ actionId: other.actionId, result: { outcome: 'refused' } });
  });

  it('drops a kept result with its nonce once the action’s deadline has passed', async () => {
    const m = machine();
    mkdirSync(path.dirname(m.storePath), { recursive: true });
    const old = 'o'.repeat(22);
    const result = {
      outcome: 'succeeded',
      exitCode: 0,
      stdout: 'old output',
      stderr: '',
      truncated: false,
      startedAt: null,
      finishedAt: new Date().toISOString(),
    };
    const stored = {
      version: 1,
      nonces: { [old]: new Date(Date.now() - 1000).toISOString() },
      results: { [old]: { actionId: randomUUID(), result } },
    };
    writeFileSync(m.storePath, JSON.stringify(stored), { mode: 0o600 });
    await m.run([sign(payloadFor(ASSET, restart), server)], trusted, ASSET);
    const kept = JSON.parse(readFileSync(m.storePath, 'utf8'));
    expect(kept.nonces[old]).toBeUndefined();
    expect(kept.results).toEqual({});
  });

  it('refuses everything when a kept result in the store is damaged', async () => {
    const m = machine();
    mkdirSync(path.dirname(m.storePath), { recursive: true });
    const live = 'l'.repeat(22);
    const stored = {
      version: 1,
      nonces: { [live]: new Date(Date.now() + 60_000).toISOString() },
      results: { [live]: { actionId: 'x', result: { outcome: 'rm -rf' } } },
    };
    writeFileSync(m.storePath, JSON.stringify(stored), { mode: 0o600 });
    expect(await m.run([sign(payloadFor(ASSET, restart), server)], trusted, ASSET)).toMatchObject({ ran: 0, refused: 1 });
    expect(m.calls).toEqual([]);
  });

  it('prunes nonces past their run deadline from the store, and keeps the live ones', async () => {
    const m = machine();
    mkdirSync(path.dirname(m.storePath), { recursive: true });
    const old = 'o'.repeat(22);
    const live = 'l'.repeat(22);
    const stored = { [old]: new Date(Date.now() - 1000).toISOString(), [live]: new Date(Date.now() + 3_600_000).toISOString() };
    writeFileSync(m.storePath, JSON.stringify({ version: 1, nonces: stored }), { mode: 0o600 });
    const replayed = sign(payloadFor(ASSET, restart, { nonce: live }), server);
    const fresh = payloadFor(ASSET, restart);
    expect(await m.run([replayed, sign(fresh, server)], trusted, ASSET)).toMatchObject({ ran: 1, refused: 1 });
    const kept = JSON.parse(readFileSync(m.storePath, 'utf8')).nonces;
    expect(Object.keys(kept).sort()).toEqual([live, fresh.nonce].sort());
  });

  it('refuses everything while the replay store is damaged, rather than forgetting the nonces', async () => {
    const m = machine();
    mkdirSync(path.dirname(m.storePath), { recursive: true });
    writeFileSync(m.storePath, '{"version":1,', { mode: 0o600 });
    expect(await m.run([sign(payloadFor(ASSET, restart), server)], trusted, ASSET)).toMatchObject({ ran: 0, refused: 1 });
    expect(m.calls).toEqual([]);
    expect(m.reports[0]?.result.refusal).toMatch(/replay store .* damaged/);
  });

  it('logs (and cannot report) an envelope whose payload names no action; keeps going after a failed report', async () => {
    const m = machine();
    const garbage: SignedAction = { payload: 'bm90IGpzb24', kid: server.kid, signature: 'A'.repeat(86) };
    const good = payloadFor(ASSET, restart);
    const summary = await m.run([garbage, sign(good, server)], trusted, ASSET, {
      reportResult: async () => {
        throw new Error('server unreachable');
      },
    });
    expect(summary).toEqual({ ran: 1, refused: 1, unreported: 1, resent: 0 });
    expect(m.logged).toContain('warn refused action (unreadable id): bad_signature: the signature does not match the payload');
    expect(m.logged.some((line) => line.includes(`could not report the result of action ${good.actionId}`))).toBe(true);
  });
});

describe('sshd hardening', () => {
  const harden: ActionCommand = { kind: 'sshd_hardening', settings: { permitRootLogin: 'no', passwordAuthentication: 'no' } };
  const setUp = () => {
    const m = machine();
    writeFileSync(path.join(m.root, 'etc/ssh/sshd_config'), 'Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n');
    mkdirSync(path.join(m.root, 'lib/systemd/system'), { recursive: true });
    writeFileSync(path.join(m.root, 'lib/systemd/system/ssh.service'), '');
    return m;
  };

  it('writes the drop-in (0644), validates it, checks the effective values, and reloads ssh', async () => {
    const m = setUp();
    await m.run([sign(payloadFor(ASSET, harden), server)], trusted, ASSET);
    const file = path.join(m.root, SSHD_DROP_IN);
    expect(readFileSync(file, 'utf8')).toMatch(/^# Written by vigil-agent.*\nPermitRootLogin no\nPasswordAuthentication no\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(m.calls).toEqual([
      ['/usr/sbin/sshd', '-t'],
      ['/usr/sbin/sshd', '-T'],
      ['/usr/bin/systemctl', 'reload', 'ssh'],
    ]);
    expect(m.reports[0]?.result.outcome).toBe('succeeded');
  });

  it('puts the previous drop-in back when sshd refuses the new configuration, and does not reload', async () => {
    const m = setUp();
    const file = path.join(m.root, SSHD_DROP_IN);
    writeFileSync(file, 'PermitRootLogin prohibit-password\n');
    writeFileSync(path.join(m.root, 'sshd-invalid'), '');
    await m.run([sign(payloadFor(ASSET, harden), server)], trusted, ASSET);
    expect(readFileSync(file, 'utf8')).toBe('PermitRootLogin prohibit-password\n');
    expect(m.calls).toEqual([['/usr/sbin/sshd', '-t']]);
    expect(m.reports[0]?.result).toMatchObject({ outcome: 'failed', exitCode: 255, stderr: expect.stringMatching(/restored/) });
  });

  it('removes its drop-in when an earlier line overrides a setting (sshd keeps the first value)', async () => {
    const m = setUp();
    writeFileSync(path.join(m.root, 'sshd-override'), 'PasswordAuthentication yes\n');
    await m.run([sign(payloadFor(ASSET, harden), server)], trusted, ASSET);
    expect(existsSync(path.join(m.root, SSHD_DROP_IN))).toBe(false);
    expect(m.reports[0]?.result).toMatchObject({ outcome: 'failed', stderr: expect.stringMatching(/overrides PasswordAuthentication/) });
    expect(m.calls.some((argv) => argv.includes('reload'))).toBe(false);
  });

  // Regression: `sshd -T` prints `permitrootlogin without-password` for prohibit-password; the
  // alias was read as "overridden", the drop-in removed and the action failed.
  it('accepts prohibit-password when sshd -T prints its alias without-password', async () => {
    const m = setUp();
    const settings = { permitRootLogin: 'prohibit-password' as const };
    await m.run([sign(payloadFor(ASSET, { kind: 'sshd_hardening', settings }), server)], trusted, ASSET);
    expect(readFileSync(path.join(m.root, SSHD_DROP_IN), 'utf8')).toContain('PermitRootLogin prohibit-password\n');
    expect(m.reports[0]?.result.stdout).toContain('permitrootlogin without-password');
    expect(m.reports[0]?.result.outcome).toBe('succeeded');
    expect(m.calls.at(-1)).toEqual(['/usr/bin/systemctl', 'reload', 'ssh']);
  });

  it('still sees an override of prohibit-password by an earlier `PermitRootLogin yes`', async () => {
    const m = setUp();
    writeFileSync(path.join(m.root, 'sshd-override'), 'PermitRootLogin yes\n');
    const settings = { permitRootLogin: 'prohibit-password' as const };
    await m.run([sign(payloadFor(ASSET, { kind: 'sshd_hardening', settings }), server)], trusted, ASSET);
    expect(existsSync(path.join(m.root, SSHD_DROP_IN))).toBe(false);
    expect(m.reports[0]?.result).toMatchObject({ outcome: 'failed', stderr: expect.stringMatching(/overrides PermitRootLogin/) });
  });

  it('changes nothing when sshd_config does not include the drop-in directory', async () => {
    const m = machine();
    writeFileSync(path.join(m.root, 'etc/ssh/sshd_config'), 'PermitRootLogin yes\n');
    await m.run([sign(payloadFor(ASSET, harden), server)], trusted, ASSET);
    expect(existsSync(path.join(m.root, SSHD_DROP_IN))).toBe(false);
    expect(m.calls).toEqual([]);
    expect(m.reports[0]?.result.outcome).toBe('failed');
  });
});

describe('the run loop hook', () => {
  it('runs the actions with the loop’s client, pinned keys and state directory', async () => {
    const m = machine();
    const payload = payloadFor(ASSET, upgrade);
    const reported: string[] = [];
    const client = {
      fetchActions: async () => ({ actions: [sign(payload, server)] }),
      reportActionResult: async (actionId: string, result: { outcome: string }) => {
        reported.push(`${actionId} ${result.outcome}`);
      },
    } as unknown as HookContext['client'];
    const stateDir = path.join(m.dir, 'state-dir');
    const summary = await runActionsHook(
      {
        client,
        assetId: ASSET,
        actionKeys: trusted,
        agentVersion: '0.1.0',
        stateDir,
        log: { info: () => {}, warn: () => {}, error: () => {} },
        signal: new AbortController().signal,
      },
      // Never the real system in a test: the machine's fake programs and its empty root.
      { runner: m.runner, root: m.root },
    );
    // No package manager under that root: it ran (and failed) without calling anything.
    expect(summary).toEqual({ ran: 1, refused: 0, unreported: 0, resent: 0 });
    expect(m.calls).toEqual([]);
    expect(reported).toEqual([`${payload.actionId} failed`]);
    expect(readFileSync(path.join(stateDir, REPLAY_STORE_FILE), 'utf8')).toContain(payload.nonce);
  });
});
