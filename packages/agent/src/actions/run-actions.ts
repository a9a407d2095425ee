import { performance } from 'node:perf_hooks';
import {
  type ActionList,
  type ActionOutcome,
  type ActionResult,
  PROTOCOL_LIMITS,
  type SignedAction,
  type TrustedKey,
} from '@vigil/protocol';
import type { Logger } from '../run/logger.ts';
import { executeCommand } from './commands.ts';
import { openReplayStore, type ReplayStore } from './replay-store.ts';
import { processRunner, type Runner, type RunOutput } from './runner.ts';
import { peekUnverified, verifyAction } from './verify.ts';

export interface RunActionsDeps {
  fetchActions(): Promise<ActionList>;
  reportResult(actionId: string, result: ActionResult): Promise<void>;
  /** This server's asset id, from enrollment: actions for any other are refused. */
  assetId: string;
  /** The pinned action-signing keys. */
  trustedKeys: readonly TrustedKey[];
  /** The file that remembers used nonces across restarts (0600). */
  replayStorePath: string;
  now?: () => Date;
  /** Default: real child processes, no shell. Tests inject their own. */
  runner?: Runner;
  log: Logger;
  /** The root the commands change; `/` unless testing. */
  root?: string;
  /** Stop between actions (SIGTERM). */
  signal?: AbortSignal;
}

export interface RunActionsSummary {
  ran: number;
  refused: number;
  /**
   * Results the server did not take (network, 409): logged, and kept with the nonce until the
   * action's deadline, so the next delivery of the same action sends them again.
   */
  unreported: number;
  /** Kept results sent again for an action delivered again after its result was lost. */
  resent: number;
}

const OUTPUT_CHARS = PROTOCOL_LIMITS.actionOutputChars;
const REFUSAL_CHARS = 500;

/** Output as the protocol carries it: at most OUTPUT_CHARS, no NUL, no half of a surrogate pair. */
export function capOutput(text: string): { text: string; truncated: boolean } {
  const clean = text.replaceAll('\u0000', '\ufffd');
  if (clean.length <= OUTPUT_CHARS) return { text: clean, truncated: false };
  let cut = clean.slice(0, OUTPUT_CHARS);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return { text: cut, truncated: true };
}

function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, REFUSAL_CHARS) || 'refused';
}

function outcomeOf(output: RunOutput): ActionOutcome {
  if (output.timedOut) return 'timed_out';
  return output.exitCode === 0 ? 'succeeded' : 'failed';
}

/**
 * Fetches the approved actions, and for each one: verifies it (signature by a pinned key, this
 * server, the time window, a nonce never used here), records its nonce on disk, runs it within its
 * timeout, and reports the exit code and capped output. An action that fails a check is refused:
 * nothing of it runs, the refusal is logged, and reported when an action id can be read.
 */
export async function runPendingActions(deps: RunActionsDeps): Promise<RunActionsSummary> {
  const now = deps.now ?? (() => new Date());
  const runner = deps.runner ?? processRunner(OUTPUT_CHARS + 1);
  const summary: RunActionsSummary = { ran: 0, refused: 0, unreported: 0, resent: 0 };
  const { actions } = await deps.fetchActions();
  let replay: ReplayStore | null = null;
  let storeProblem: string | null = null;
  try {
    replay = openReplayStore(deps.replayStorePath, now);
  } catch (error) {
    // Without the record of used nonces no replay can be ruled out: run nothing.
    storeProblem = (error as Error).message;
    deps.log.error(storeProblem);
  }

  const report = async (actionId: string, result: ActionResult): Promise<boolean> => {
    try {
      await deps.reportResult(actionId, result);
      return true;
    } catch (error) {
      summary.unreported++;
      deps.log.error(`could not report the result of action ${actionId}: ${(error as Error).message}`);
      return false;
    }
  };

  /** Reports a result kept in the store, and forgets it once the server has it. */
  const reportKept = async (store: ReplayStore, actionId: string, nonce: string, result: ActionResult) => {
    if (!(await report(actionId, result))) return;
    try {
      store.reported(nonce);
    } catch (error) {
      // The next delivery (if any) sends it again; the server refuses a second result harmlessly.
      deps.log.warn(`could not forget the reported result of action ${actionId}: ${(error as Error).message}`);
    }
  };

  const refuse = async (signed: SignedAction, reason: string) => {
    summary.refused++;
    // NOT TRUSTED: the id and nonce come from a payload that failed verification (or was never
    // checked further). They only address the report; nothing is decided or run on them.
    const claimed = peekUnverified(signed);
    deps.log.warn(`refused action ${claimed?.actionId ?? '(unreadable id)'}: ${reason}`);
    if (!claimed) return;
    await report(claimed.actionId, {
      outcome: 'refused',
      refusal: oneLine(reason),
      exitCode: null,
      stdout: '',
      stderr: '',
      truncated: false,
      startedAt: null,
      finishedAt: now().toISOString(),
      ...(claimed.nonce ? { nonce: claimed.nonce } : {}),
    });
  };

  for (const signed of actions) {
    if (deps.signal?.aborted) break;
    if (!replay) {
      await refuse(signed, `the replay store cannot be used (${storeProblem})`);
      continue;
    }
    const verdict = verifyAction(signed, { trustedKeys: deps.trustedKeys, assetId: deps.assetId, now: now(), replay });
    if (!verdict.ok) {
      const kept = verdict.replayOf && replay.unreported(verdict.replayOf.nonce, verdict.replayOf.actionId);
      if (verdict.replayOf && kept) {
        // Delivered again because its result was lost: it ran here once; send that result, never a
        // refusal (the server would record an action that ran as refused) and never run it again.
        summary.resent++;
        deps.log.info(`action ${verdict.replayOf.actionId} already ran here; sending its result again`);
        await reportKept(replay, verdict.replayOf.actionId, verdict.replayOf.nonce, kept);
        continue;
      }
      await refuse(signed, verdict.refusal);
      continue;
    }
    const { payload } = verdict;
    try {
      // Recorded before running: a crash mid-run must not let the same action run again.
      replay.remember(payload.nonce, new Date(payload.expiresAt));
    } catch (error) {
      await refuse(signed, `cannot record the nonce (${(error as Error).message})`);
      continue;
    }
    const startedAt = now().toISOString();
    const deadline = performance.now() + payload.timeoutSeconds * 1000;
    const run = async (argv: readonly string[]): Promise<RunOutput> => {
      const left = Math.floor(deadline - performance.now());
      if (left <= 0) return { exitCode: null, stdout: '', stderr: '', timedOut: true };
      return runner(argv, left);
    };
    deps.log.info(`running action ${payload.actionId} (${payload.command.kind}), timeout ${payload.timeoutSeconds} s`);
    let output: RunOutput;
    try {
      output = await executeCommand(payload.command, { root: deps.root ?? '/', run });
    } catch (error) {
      output = { exitCode: null, stdout: '', stderr: `the agent failed to run the action: ${(error as Error).message}`, timedOut: false };
    }
    summary.ran++;
    const stdout = capOutput(output.stdout);
    const stderr = capOutput(output.stderr);
    const outcome = outcomeOf(output);
    deps.log.info(`action ${payload.actionId} ${outcome} (exit code ${output.exitCode ?? 'none'})`);
    const result: ActionResult = {
      outcome,
      exitCode: output.exitCode,
      stdout: stdout.text,
      stderr: stderr.text,
      truncated: stdout.truncated || stderr.truncated,
      startedAt,
      finishedAt: now().toISOString(),
      nonce: payload.nonce,
    };
    try {
      // Kept before reporting, so a lost report (or a crash) can be sent again on the next delivery.
      replay.keepResult(payload.nonce, payload.actionId, result);
    } catch (error) {
      deps.log.warn(`the result of action ${payload.actionId} is not kept for a resend: ${(error as Error).message}`);
    }
    await reportKept(replay, payload.actionId, payload.nonce, result);
  }
  return summary;
}
