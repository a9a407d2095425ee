import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type ActionCommand, PACKAGE_NAME_PATTERN, PACKAGE_VERSION_PATTERN } from '@vigil/protocol';
import { removeFile, writeFileAtomically } from './files.ts';
import type { RunOutput } from './runner.ts';

/** What a command needs: the root it changes (`/` in production) and a runner bound to the deadline. */
export interface CommandEnv {
  root: string;
  run(argv: readonly string[]): Promise<RunOutput>;
}

type Pkg = { name: string; version: string };

/**
 * The package managers, each found by its binary under the root, each with a fixed argv. Names
 * and versions were checked against strict patterns by the protocol schema (no leading `-`, no
 * spaces or shell characters), and no shell ever sees them.
 */
const MANAGERS: ReadonlyArray<{ name: string; binaries: readonly string[]; steps(bin: string, packages: readonly Pkg[]): string[][] }> = [
  {
    name: 'apt',
    binaries: ['usr/bin/apt-get', 'bin/apt-get'],
    steps: (bin, packages) => {
      // env sets DEBIAN_FRONTEND without a shell; the dpkg options keep changed config files, never prompt.
      const env = ['/usr/bin/env', 'DEBIAN_FRONTEND=noninteractive', bin];
      return [
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
          ...packages.map((p) => `${p.name}=${p.version}`),
        ],
      ];
    },
  },
  {
    name: 'dnf',
    binaries: ['usr/bin/dnf', 'bin/dnf'],
    steps: (bin, packages) => [[bin, 'upgrade', '-y', ...packages.map((p) => `${p.name}-${p.version}`)]],
  },
  {
    name: 'apk',
    binaries: ['sbin/apk', 'usr/sbin/apk', 'usr/bin/apk', 'bin/apk'],
    steps: (bin, packages) => [[bin, 'add', '--update-cache', '--upgrade', ...packages.map((p) => `${p.name}=${p.version}`)]],
  },
];

/**
 * Packages whose name or version the argv must not carry. The schema already refused them; this is
 * checked again right where the argv is built, because one that slipped through (a trailing `-`)
 * would make `apt-get install` REMOVE the package instead of upgrading it.
 */
export function unsafePackages(packages: readonly Pkg[]): Pkg[] {
  return packages.filter((p) => !PACKAGE_NAME_PATTERN.test(p.name) || !PACKAGE_VERSION_PATTERN.test(p.version));
}

/** The package-manager steps for this root, or null when none of the known ones is installed. */
export function upgradeSteps(root: string, packages: readonly Pkg[]): string[][] | null {
  for (const manager of MANAGERS) {
    const binary = manager.binaries.find((candidate) => existsSync(path.join(root, candidate)));
    if (binary) return manager.steps(`/${binary}`, packages);
  }
  return null;
}

/**
 * The drop-in the sshd hardening writes. `00-` on purpose: sshd keeps the FIRST value it reads
 * for a keyword, and Included files are read in name order, so a later name (say 90-) would lose
 * to any other drop-in that sets the same keyword (Ubuntu's 50-cloud-init.conf sets
 * PasswordAuthentication yes). The effective values are checked with `sshd -T` anyway.
 */
export const SSHD_DROP_IN = 'etc/ssh/sshd_config.d/00-vigil-hardening.conf';

const SSHD_KEYWORDS = {
  permitRootLogin: 'PermitRootLogin',
  passwordAuthentication: 'PasswordAuthentication',
  permitEmptyPasswords: 'PermitEmptyPasswords',
} as const;

type SshdSettings = Extract<ActionCommand, { kind: 'sshd_hardening' }>['settings'];

export function sshdDropIn(settings: SshdSettings): string {
  const lines = Object.entries(settings)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${SSHD_KEYWORDS[key as keyof typeof SSHD_KEYWORDS]} ${value}`);
  return `# Written by vigil-agent for an approved action; the next approved change replaces it.\n${lines.join('\n')}\n`;
}

function sshUnit(root: string): string {
  const dirs = ['etc/systemd/system', 'lib/systemd/system', 'usr/lib/systemd/system'];
  return dirs.some((dir) => existsSync(path.join(root, dir, 'ssh.service'))) ? 'ssh' : 'sshd';
}

function includesDropIns(root: string): boolean {
  try {
    return /^\s*Include\s+\S*sshd_config\.d\//im.test(readFileSync(path.join(root, 'etc/ssh/sshd_config'), 'utf8'));
  } catch {
    return false;
  }
}

/**
 * `sshd -T` prints some values under another name than the one written: OpenSSH shows
 * `prohibit-password` as its older alias `without-password`. Compared by meaning, not by spelling.
 */
const SSHD_ALIASES: Readonly<Record<string, string>> = { 'without-password': 'prohibit-password' };
const sshdValue = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : (SSHD_ALIASES[value.toLowerCase()] ?? value.toLowerCase());

const failed = (stderr: string): RunOutput => ({ exitCode: 1, stdout: '', stderr, timedOut: false });

/** Runs steps in order, stopping at the first that fails or times out; output is labelled per step. */
async function runSteps(env: CommandEnv, steps: readonly string[][]): Promise<RunOutput> {
  const total: RunOutput = { exitCode: 0, stdout: '', stderr: '', timedOut: false };
  for (const argv of steps) {
    const result = await env.run(argv);
    total.stdout += `$ ${argv.join(' ')}\n${result.stdout}`;
    total.stderr += result.stderr;
    total.exitCode = result.exitCode;
    total.timedOut = result.timedOut;
    if (result.timedOut || result.exitCode !== 0) break;
  }
  return total;
}

async function sshdHardening(env: CommandEnv, settings: SshdSettings): Promise<RunOutput> {
  if (!includesDropIns(env.root)) {
    return failed('/etc/ssh/sshd_config does not Include /etc/ssh/sshd_config.d/*.conf: a drop-in would change nothing; not changed');
  }
  const file = path.join(env.root, SSHD_DROP_IN);
  const previous = existsSync(file) ? readFileSync(file) : null;
  const restore = () => (previous === null ? removeFile(file) : writeFileAtomically(file, previous, 0o644));
  writeFileAtomically(file, sshdDropIn(settings), 0o644);
  const check = await runSteps(env, [
    ['/usr/sbin/sshd', '-t'],
    ['/usr/sbin/sshd', '-T'],
  ]);
  if (check.timedOut || check.exitCode !== 0) {
    // A configuration sshd refuses would lock everyone out at the next restart: put the old one back.
    restore();
    return { ...check, stderr: `${check.stderr}sshd refused the configuration; the previous drop-in was restored\n` };
  }
  const effective = new Map(
    check.stdout.split('\n').flatMap((line) => {
      const [key, ...value] = line.trim().split(/\s+/);
      return key ? [[key.toLowerCase(), value.join(' ')] as const] : [];
    }),
  );
  const overridden = Object.entries(settings).filter(
    ([key, value]) =>
      value !== undefined && sshdValue(effective.get(SSHD_KEYWORDS[key as keyof typeof SSHD_KEYWORDS].toLowerCase())) !== sshdValue(value),
  );
  if (overridden.length > 0) {
    restore();
    const names = overridden.map(([key]) => SSHD_KEYWORDS[key as keyof typeof SSHD_KEYWORDS]).join(', ');
    return {
      ...check,
      exitCode: 1,
      stderr: `${check.stderr}an earlier line of the sshd configuration overrides ${names}; the drop-in was removed\n`,
    };
  }
  const reload = await runSteps(env, [['/usr/bin/systemctl', 'reload', sshUnit(env.root)]]);
  return {
    ...reload,
    stdout: check.stdout.length > 0 ? `${check.stdout}${reload.stdout}` : reload.stdout,
    stderr: check.stderr + reload.stderr,
  };
}

/** Carries out one verified command. Never a shell: every step is a fixed argv or a file write. */
export async function executeCommand(command: ActionCommand, env: CommandEnv): Promise<RunOutput> {
  switch (command.kind) {
    case 'upgrade_packages': {
      const unsafe = unsafePackages(command.packages);
      if (unsafe.length > 0) {
        const named = unsafe.map((p) => JSON.stringify(`${p.name}=${p.version}`).slice(0, 300)).join(', ');
        return failed(`refusing package names or versions a package manager could misread: ${named}; nothing changed`);
      }
      const steps = upgradeSteps(env.root, command.packages);
      return steps ? runSteps(env, steps) : failed('no supported package manager (apt-get, dnf, apk) found; nothing changed');
    }
    case 'sshd_hardening':
      return sshdHardening(env, command.settings);
    case 'restart_service':
      return runSteps(env, [['/usr/bin/systemctl', 'restart', command.unit]]);
  }
}
