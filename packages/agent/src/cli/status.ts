import { loadState } from '../state/agent-state.ts';
import { loadConfig, NotEnrolledError } from '../state/enrollment.ts';
import { DIR_OPTIONS, parseCommandArgs, resolvePaths } from './common-options.ts';
import { EXIT } from './exit-codes.ts';
import type { CliIo } from './io.ts';

/** `status`: enrollment and the last cycle's outcome, read from disk. Never shows the token. */
export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs('status', args, DIR_OPTIONS);
  const paths = resolvePaths(values, io);
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig(paths);
  } catch (error) {
    if (!(error instanceof NotEnrolledError)) throw error;
    io.stdout.write(`enrolled:        no (${error.message})\n`);
    return EXIT.FAILED;
  }
  const state = await loadState(paths, (problem) => io.stderr.write(`vigil-agent warn: ${problem}\n`));
  const rows: [string, string][] = [
    ['enrolled', `yes, since ${config.enrolledAt}`],
    ['server', `${config.server}${config.insecureHttp ? ' (plain http accepted with --insecure-http)' : ''}`],
    ['asset id', config.assetId],
    ['action keys', config.actionKeys.map((key) => key.kid).join(', ')],
    ['last check-in', state.lastCheckIn ? `${state.lastCheckIn.at} (next after ${state.lastCheckIn.nextCheckInSeconds} s)` : 'never'],
    [
      'last inventory',
      state.lastInventory
        ? `${state.lastInventory.at}, ${state.lastInventory.packages} packages, digest ${state.lastInventory.digest}`
        : 'never sent',
    ],
    ['last error', state.lastError ? `${state.lastError.at}: ${state.lastError.message}` : 'none'],
  ];
  for (const [label, value] of rows) io.stdout.write(`${`${label}:`.padEnd(16)} ${value}\n`);
  return EXIT.OK;
}
