import { generateKeyPairSync, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ACTION_SCHEMA,
  type ActionCommand,
  type ActionList,
  type ActionPayload,
  type ActionResult,
  type SignedAction,
  sealEnvelope,
  type TrustedKey,
  trustedKeyOf,
} from '@vigil/protocol';
import type { Logger } from '../run/logger.ts';
import { type RunActionsDeps, runPendingActions } from './run-actions.ts';
import { processRunner } from './runner.ts';

/** A signing key as the server holds it, and its public half as the agent pins it. */
export function signingKey(kid = `k-${randomBytes(4).toString('hex')}`): { kid: string; privateKey: KeyObject; trusted: TrustedKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, trusted: trustedKeyOf(kid, publicKey) };
}

export function payloadFor(assetId: string, command: ActionCommand, overrides: Partial<ActionPayload> = {}): ActionPayload {
  const now = Date.now();
  return {
    schema: ACTION_SCHEMA,
    actionId: randomUUID(),
    assetId,
    command,
    issuedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 3_600_000).toISOString(),
    nonce: randomBytes(16).toString('base64url'),
    timeoutSeconds: 30,
    ...overrides,
  };
}

export function sign(payload: unknown, key: { kid: string; privateKey: KeyObject }): SignedAction {
  return sealEnvelope(payload, key.kid, key.privateKey);
}

/**
 * A throw-away machine: a root directory, a state directory, and a fake of every program an
 * action may call. The fake is a real child process (node running a small script) that prints
 * its argv and behaves by the unit or flag it is given: `slow.service` sleeps past any timeout,
 * `loud.service` prints 200,000 characters, `broken.service` exits 3; `sshd -t` fails when the
 * root holds `sshd-invalid`; `sshd -T` prints the effective settings (drop-in, unless the root's
 * `sshd-override` holds an earlier line), `prohibit-password` as OpenSSH prints it (`without-password`).
 */
export function machine() {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-actions-'));
  const root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'etc/ssh/sshd_config.d'), { recursive: true });
  const script = path.join(dir, 'fake-programs.cjs');
  writeFileSync(
    script,
    `const fs = require('node:fs');
const root = ${JSON.stringify(root)};
const argv = process.argv.slice(2);
const has = (x) => argv.includes(x);
process.stdout.write('ran ' + argv.join(' ') + '\\n');
if (has('slow.service')) setTimeout(() => {}, 60000);
else if (has('loud.service')) { process.stdout.write('x'.repeat(200000)); process.stderr.write('\\u0000err'); }
else if (has('broken.service')) { process.stderr.write('unit failed\\n'); process.exitCode = 3; }
else if (argv[0] === '/usr/sbin/sshd' && argv[1] === '-t' && fs.existsSync(root + '/sshd-invalid')) { process.stderr.write('bad config\\n'); process.exitCode = 255; }
else if (argv[0] === '/usr/sbin/sshd' && argv[1] === '-T') {
  const read = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
  const seen = new Map();
  for (const line of (read(root + '/sshd-override') + read(root + '/etc/ssh/sshd_config.d/00-vigil-hardening.conf')).split('\\n')) {
    const [k, v] = line.trim().split(/\\s+/);
    if (k && !k.startsWith('#') && !seen.has(k.toLowerCase())) seen.set(k.toLowerCase(), v);
  }
  // As OpenSSH prints it: prohibit-password under its older alias.
  if (seen.get('permitrootlogin') === 'prohibit-password') seen.set('permitrootlogin', 'without-password');
  for (const [k, v] of seen) process.stdout.write(k + ' ' + v + '\\n');
}
`,
  );
  const calls: string[][] = [];
  const real = processRunner(200_001);
  const runner = (argv: readonly string[], timeoutMs: number) => {
    calls.push([...argv]);
    return real([process.execPath, script, ...argv], timeoutMs);
  };
  const logged: string[] = [];
  const log: Logger = {
    info: (m) => logged.push(`info ${m}`),
    warn: (m) => logged.push(`warn ${m}`),
    error: (m) => logged.push(`error ${m}`),
  };
  const reports: Array<{ actionId: string; result: ActionResult }> = [];
  const storePath = path.join(dir, 'state', 'action-nonces.json');

  /** One run of the agent's actions step over `actions`, with this machine's parts. */
  const run = (actions: SignedAction[], trustedKeys: TrustedKey[], assetId: string, extra: Partial<RunActionsDeps> = {}) =>
    runPendingActions({
      fetchActions: async (): Promise<ActionList> => ({ actions }),
      reportResult: async (actionId, result) => {
        reports.push({ actionId, result });
      },
      assetId,
      trustedKeys,
      replayStorePath: storePath,
      runner,
      log,
      root,
      ...extra,
    });
  return { dir, root, calls, logged, reports, storePath, runner, run };
}
