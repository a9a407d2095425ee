import path from 'node:path';
import type { HookContext } from '../run/hooks.ts';
import { type RunActionsDeps, type RunActionsSummary, runPendingActions } from './run-actions.ts';

export { capOutput, type RunActionsDeps, type RunActionsSummary, runPendingActions } from './run-actions.ts';
export { processRunner, type Runner, type RunOutput } from './runner.ts';

/** Where the used nonces are kept, in the agent's state directory. */
export const REPLAY_STORE_FILE = 'action-nonces.json';

/** The run loop's `runActions` hook: the actions runner with the loop's client, keys and state. */
export function runActionsHook(
  ctx: HookContext,
  options: Partial<Pick<RunActionsDeps, 'runner' | 'root' | 'now'>> = {},
): Promise<RunActionsSummary> {
  return runPendingActions({
    fetchActions: () => ctx.client.fetchActions(),
    reportResult: (actionId, result) => ctx.client.reportActionResult(actionId, result),
    assetId: ctx.assetId,
    trustedKeys: ctx.actionKeys,
    replayStorePath: path.join(ctx.stateDir, REPLAY_STORE_FILE),
    log: ctx.log,
    signal: ctx.signal,
    ...options,
  });
}
