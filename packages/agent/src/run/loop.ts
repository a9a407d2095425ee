import { AgentAuthError, AgentPayloadError, AgentRequestError } from '../client/errors.ts';
import { saveState } from '../state/agent-state.ts';
import { type CycleContext, hookContextOf, runCycle } from './cycle.ts';
import { backoffMs, jittered, sleep } from './timing.ts';

/** How a `run` ended: the CLI turns it into an exit code. */
export type RunOutcome = 'stopped' | 'once-ok' | 'once-failed' | 'token-refused' | 'restart';

export interface LoopOptions {
  once: boolean;
  random?: () => number;
  /** Waits between cycles; abortable by the context's signal. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * The agent's main loop. A refused token (401) ends it for good: retrying a revoked token only
 * fills the server's logs, and an operator must re-enroll anyway. Other client errors (4xx) are
 * logged and retried at the normal interval; network trouble and 5xx back off exponentially.
 */
export async function runLoop(ctx: CycleContext, options: LoopOptions): Promise<RunOutcome> {
  const random = options.random ?? Math.random;
  const wait = options.sleep ?? sleep;
  let failures = 0;
  let intervalSeconds = ctx.state.lastCheckIn?.nextCheckInSeconds || ctx.config.checkInSeconds;
  if ((await ctx.hooks.start?.(hookContextOf(ctx))) === 'restart') return 'restart';

  while (!ctx.signal.aborted) {
    let delayMs: number;
    try {
      const { answer, verdict } = await runCycle(ctx);
      if (verdict === 'restart') return 'restart';
      if (answer) intervalSeconds = answer.nextCheckInSeconds;
      failures = 0;
      if (ctx.state.lastError) {
        ctx.state.lastError = null;
        await saveState(ctx.paths, ctx.state);
      }
      if (options.once) return 'once-ok';
      delayMs = jittered(intervalSeconds, random);
    } catch (error) {
      if (error instanceof AgentAuthError) {
        ctx.log.error(error.message);
        await recordError(ctx, error.message);
        return 'token-refused';
      }
      const message = error instanceof Error ? error.message : String(error);
      await recordError(ctx, message);
      if (isOurMistake(error)) {
        // Retrying at once would be refused the same way; the next cycle may collect differently.
        ctx.log.error(`${message}; trying again at the next check-in`);
        delayMs = jittered(intervalSeconds, random);
      } else {
        failures += 1;
        delayMs = backoffMs(failures, random);
        ctx.log.warn(`${message}; retrying in ${Math.round(delayMs / 1000)} s`);
      }
      if (options.once) return 'once-failed';
    }
    await wait(delayMs, ctx.signal);
  }
  ctx.log.info('stopping');
  return 'stopped';
}

function isOurMistake(error: unknown): boolean {
  return (error instanceof AgentRequestError && !error.retryable) || error instanceof AgentPayloadError;
}

/** Kept for `status`; a failure to save it (a full disk) must not hide the original error. */
async function recordError(ctx: CycleContext, message: string): Promise<void> {
  ctx.state.lastError = { at: ctx.now().toISOString(), message: message.slice(0, 2_000) };
  await saveState(ctx.paths, ctx.state).catch((error: unknown) => {
    ctx.log.warn(`cannot save the agent state: ${error instanceof Error ? error.message : String(error)}`);
  });
}
