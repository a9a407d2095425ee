import type { ActionKey, ReleasePlatform } from '@vigil/protocol';
import type { AgentClient } from '../client/agent-client.ts';
import type { Logger } from './logger.ts';

/** What the run loop hands to the parts that act on a check-in's answer (src/actions, src/update). */
export interface HookContext {
  client: AgentClient;
  assetId: string;
  /** The action-signing keys pinned at enrollment, as rotated by check-ins since. */
  actionKeys: readonly ActionKey[];
  agentVersion: string;
  /** The agent's state directory, for the replay guard and the update's rollback record. */
  stateDir: string;
  log: Logger;
  /** Aborted by SIGTERM/SIGINT: stop between steps. */
  signal: AbortSignal;
}

/** 'restart': the agent's own file was replaced (or restored); the loop ends so the service manager starts it. */
export type HookVerdict = 'restart' | undefined;

/** Every hook is optional; the CLI wires them (src/cli/hooks.ts), tests pass their own. */
export interface RunHooks {
  /** The release platform self-update asks for, told to the server at check-in; unset: no self-update. */
  releasePlatform?: ReleasePlatform;
  /** Once, before the first cycle: an update on probation that keeps failing is rolled back here. */
  start?: (ctx: HookContext) => Promise<HookVerdict>;
  /** Before each cycle: an update on probation past its deadline is rolled back here. */
  beforeCycle?: (ctx: HookContext) => Promise<HookVerdict>;
  /** After every accepted check-in: an update on probation is confirmed here. */
  checkedIn?: (ctx: HookContext) => Promise<void>;
  /** When the check-in said `actionsPending > 0`: fetch, verify, run and report them. */
  runActions?: (ctx: HookContext) => Promise<unknown>;
  /** When the check-in offered a newer release. */
  offerUpdate?: (ctx: HookContext & { offered: { version: string } }) => Promise<HookVerdict>;
}
