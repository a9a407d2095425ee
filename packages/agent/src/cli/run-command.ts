import { AgentClient } from '../client/agent-client.ts';
import { AGENT_VERSION } from '../run/agent-version.ts';
import { collectWithCollectors } from '../run/collector.ts';
import { streamLogger } from '../run/logger.ts';
import { type RunOutcome, runLoop } from '../run/loop.ts';
import { loadState } from '../state/agent-state.ts';
import { loadEnrollment, NotEnrolledError } from '../state/enrollment.ts';
import { acquireRunLock, RunLockedError } from '../state/run-lock.ts';
import { DIR_OPTIONS, parseCommandArgs, resolvePaths } from './common-options.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { defaultHooks } from './hooks.ts';
import type { CliIo } from './io.ts';

const OPTIONS = {
  ...DIR_OPTIONS,
  once: { type: 'boolean' },
  /** For containers that mount the host elsewhere, and for tests on a fake root. */
  root: { type: 'string', default: '/' },
} as const;

const EXIT_FOR: Record<RunOutcome, number> = {
  stopped: EXIT.OK,
  'once-ok': EXIT.OK,
  'once-failed': EXIT.FAILED,
  'token-refused': EXIT.TOKEN_REFUSED,
  restart: EXIT.RESTART,
};

/** `run [--once]`: the check-in loop, one at a time per machine (a pid-file lock). */
export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs('run', args, OPTIONS);
  const paths = resolvePaths(values, io);
  const log = streamLogger(io.stderr);

  let enrollment: Awaited<ReturnType<typeof loadEnrollment>>;
  try {
    enrollment = await loadEnrollment(paths);
  } catch (error) {
    if (error instanceof NotEnrolledError) throw new CliError(error.message);
    throw error;
  }
  let lock: Awaited<ReturnType<typeof acquireRunLock>>;
  try {
    lock = await acquireRunLock(paths.pidFile, paths.stateDir);
  } catch (error) {
    if (error instanceof RunLockedError) throw new CliError(error.message, EXIT.ALREADY_RUNNING);
    throw error;
  }
  try {
    const state = await loadState(paths, (problem) => log.warn(problem));
    const client = new AgentClient({
      server: enrollment.config.server,
      token: enrollment.token,
      agentVersion: AGENT_VERSION,
      insecureHttp: enrollment.config.insecureHttp,
    });
    if (!values.once) log.info(`version ${AGENT_VERSION} checking in with ${client.server.origin} as asset ${enrollment.config.assetId}`);
    const outcome = await runLoop(
      {
        client,
        paths,
        config: enrollment.config,
        state,
        root: values.root,
        collect: io.collect ?? collectWithCollectors,
        hooks: io.hooks ?? (await defaultHooks()),
        agentVersion: AGENT_VERSION,
        log,
        signal: io.signal,
        now: () => new Date(),
        uptimeSeconds: () => process.uptime(),
      },
      { once: values.once ?? false },
    );
    return EXIT_FOR[outcome];
  } finally {
    await lock.release();
  }
}
