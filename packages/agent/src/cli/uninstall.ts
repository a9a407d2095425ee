import { execFile } from 'node:child_process';
import { access, constants, readFile, rmdir, unlink } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { AGENT_TOKEN_FILE, agentConfigSchema } from '../state/enrollment.ts';
import { isErrno, readJsonFile } from '../state/files.ts';
import { type AgentPaths, OTHER_STATE_FILES } from '../state/paths.ts';
import { DIR_OPTIONS, parseCommandArgs, resolvePaths } from './common-options.ts';
import { CliError, EXIT } from './exit-codes.ts';
import type { CliIo } from './io.ts';

const OPTIONS = { ...DIR_OPTIONS, yes: { type: 'boolean' } } as const;

/**
 * `uninstall`: stops the service and removes the agent's own files: the token, the config, the
 * state and the systemd unit. Only those, by name, and the two directories when they end up
 * empty; never a directory tree, so a mistaken --config-dir cannot delete anything else.
 */
export async function uninstallCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs('uninstall', args, OPTIONS);
  const paths = resolvePaths(values, io);
  const files = ownedFiles(paths);
  if (!values.yes) {
    const question = `remove the vigil-agent service, token, config and state?\n  ${[paths.systemdUnit, ...files].join('\n  ')}\n[y/N] `;
    if (!io.confirm) throw new CliError('uninstall: pass --yes to confirm (no terminal to ask on)', EXIT.USAGE);
    if (!(await io.confirm(question))) {
      io.stdout.write('nothing removed\n');
      return EXIT.FAILED;
    }
  }

  if (await exists(paths.systemdUnit)) {
    const systemctl = await findOnPath('systemctl', io.env.PATH);
    const unit = basename(paths.systemdUnit);
    if (systemctl) await run(io, systemctl, ['disable', '--now', unit]);
    await removeFile(paths.systemdUnit, io);
    if (systemctl) await run(io, systemctl, ['daemon-reload']);
  }
  // The token and config are removed only when they are the agent's: a mistaken --config-dir
  // (/etc) must not cost the operator an unrelated file that happens to be called `token`.
  if (await isOurs(paths)) {
    for (const file of files) await removeFile(file, io);
  } else {
    io.stderr.write(
      `vigil-agent warn: ${paths.token} or ${paths.config} does not look like the agent's; left them and the state in place\n`,
    );
  }
  for (const dir of [paths.stateDir, paths.configDir]) {
    await rmdir(dir).catch((error: unknown) => {
      if (isErrno(error, 'ENOTEMPTY') || isErrno(error, 'EEXIST')) io.stdout.write(`kept ${dir}: it holds files the agent did not write\n`);
    });
  }
  io.stdout.write('vigil-agent uninstalled (the agent program itself is left in place)\n');
  return EXIT.OK;
}

/**
 * True when the token or the config is recognisably the agent's (the other may be damaged), or
 * both are gone. Two files that are neither an agent token nor an agent config are someone else's.
 */
async function isOurs(paths: AgentPaths): Promise<boolean> {
  const token = await readFile(paths.token, 'utf8').catch(() => null);
  const config = await readJsonFile(paths.config, agentConfigSchema);
  if (token !== null && AGENT_TOKEN_FILE.test(token.trim())) return true;
  if (config.kind === 'ok') return true;
  return token === null && config.kind === 'missing';
}

function ownedFiles(paths: AgentPaths): string[] {
  return [paths.token, paths.config, paths.state, paths.pidFile, ...OTHER_STATE_FILES.map((name) => join(paths.stateDir, name))];
}

async function removeFile(path: string, io: CliIo): Promise<void> {
  try {
    await unlink(path);
    io.stdout.write(`removed ${path}\n`);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
}

async function run(io: CliIo, command: string, args: string[]): Promise<void> {
  try {
    await promisify(execFile)(command, args, { timeout: 60_000 });
  } catch (error) {
    // A unit already stopped or never enabled is not a reason to keep the agent's files.
    io.stderr.write(`vigil-agent warn: ${command} ${args.join(' ')} failed: ${(error as Error).message.split('\n')[0]}\n`);
  }
}

async function findOnPath(name: string, pathVariable: string | undefined): Promise<string | null> {
  for (const dir of (pathVariable ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    if (!dir.startsWith('/')) continue; // a relative PATH entry would run whatever sits in the cwd
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
