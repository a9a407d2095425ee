import { CHECKIN_SCHEMA, type CheckInResponse, inventoryDigest } from '@vigil/protocol';
import type { AgentClient } from '../client/agent-client.ts';
import { type AgentState, saveState } from '../state/agent-state.ts';
import { type AgentConfig, saveConfig } from '../state/enrollment.ts';
import type { AgentPaths } from '../state/paths.ts';
import { judgeActionKeySet } from './action-keys.ts';
import type { CollectFn } from './collector.ts';
import type { HookContext, HookVerdict, RunHooks } from './hooks.ts';
import type { Logger } from './logger.ts';

/** An unchanged inventory is still sent once a day, so the server's copy never goes stale. */
export const INVENTORY_RESEND_MS = 24 * 60 * 60 * 1000;

export interface CycleContext {
  client: AgentClient;
  paths: AgentPaths;
  /** Updated in place when a check-in rotates the action keys. */
  config: AgentConfig;
  /** Updated in place and saved after each step. */
  state: AgentState;
  root: string;
  collect: CollectFn;
  hooks: RunHooks;
  agentVersion: string;
  log: Logger;
  signal: AbortSignal;
  now: () => Date;
  uptimeSeconds: () => number;
  /** Why the last key set was ignored (its code), so the same warning is logged once, not every cycle. */
  ignoredKeySet?: string;
}

export interface CycleResult {
  /** Null when stopped before checking in. */
  answer: CheckInResponse | null;
  verdict: HookVerdict;
}

/** What the hooks are given: the loop's client, keys and state directory. */
export function hookContextOf(ctx: CycleContext): HookContext {
  return {
    client: ctx.client,
    assetId: ctx.config.assetId,
    actionKeys: ctx.config.actionKeys,
    agentVersion: ctx.agentVersion,
    stateDir: ctx.paths.stateDir,
    log: ctx.log,
    signal: ctx.signal,
  };
}

/**
 * One cycle: collect, check in with the inventory's digest, send the inventory when the server
 * wants it or it changed or a day passed, then hand pending actions and an offered update over.
 * Errors are the caller's.
 */
export async function runCycle(ctx: CycleContext): Promise<CycleResult> {
  if ((await ctx.hooks.beforeCycle?.(hookContextOf(ctx))) === 'restart') return { answer: null, verdict: 'restart' };
  const inventory = await ctx.collect({ root: ctx.root, lockfilePaths: ctx.config.lockfilePaths, webRoots: ctx.config.webRoots });
  const digest = inventoryDigest(inventory);
  if (ctx.signal.aborted) return { answer: null, verdict: undefined };

  const answer = await ctx.client.checkIn({
    schema: CHECKIN_SCHEMA,
    agentVersion: ctx.agentVersion,
    hostname: inventory.host.hostname,
    inventoryDigest: digest,
    uptimeSeconds: Math.max(0, Math.floor(ctx.uptimeSeconds())),
    ...(ctx.hooks.releasePlatform ? { platform: ctx.hooks.releasePlatform } : {}),
  });
  ctx.state.lastCheckIn = { at: ctx.now().toISOString(), nextCheckInSeconds: answer.nextCheckInSeconds };
  await saveState(ctx.paths, ctx.state);
  await adoptActionKeys(ctx, answer);
  const hookContext = hookContextOf(ctx);
  if (ctx.hooks.checkedIn) await ctx.hooks.checkedIn(hookContext);

  const reason = sendReason(ctx, answer, digest);
  if (reason && !ctx.signal.aborted) {
    const receipt = await ctx.client.sendInventory(inventory);
    ctx.state.lastInventory = { at: ctx.now().toISOString(), digest, packages: inventory.packages.length };
    await saveState(ctx.paths, ctx.state);
    const { added, removed, changed } = receipt.packages;
    ctx.log.info(
      `inventory sent (${reason}): ${inventory.packages.length} packages, ${added} added, ${removed} removed, ${changed} changed; ${receipt.findings.open} open findings`,
    );
  }

  if (answer.actionsPending > 0 && !ctx.signal.aborted) {
    if (ctx.hooks.runActions) await ctx.hooks.runActions(hookContext);
    else ctx.log.warn(`${answer.actionsPending} approved action(s) waiting, but this agent build has no actions runner`);
  }
  let verdict: HookVerdict;
  if (answer.update && !ctx.signal.aborted && ctx.hooks.offerUpdate) {
    verdict = (await ctx.hooks.offerUpdate({ ...hookContext, offered: answer.update })) ?? undefined;
  }
  return { answer, verdict };
}

function sendReason(ctx: CycleContext, answer: CheckInResponse, digest: string): string | null {
  const last = ctx.state.lastInventory;
  if (!last) return 'first inventory';
  if (last.digest !== digest) return 'changed';
  if (answer.inventoryWanted) return 'requested by the server';
  if (ctx.now().getTime() - Date.parse(last.at) >= INVENTORY_RESEND_MS) return 'daily refresh';
  return null;
}

/**
 * The server rotates its action-signing keys through check-ins, as a set signed by the keys this
 * agent trusts already (see judgeActionKeySet); anything else leaves the keys as they are.
 */
async function adoptActionKeys(ctx: CycleContext, answer: CheckInResponse): Promise<void> {
  const verdict = judgeActionKeySet(answer.actionKeySet, ctx.config);
  if (verdict.kind === 'ignore') {
    if (ctx.ignoredKeySet !== verdict.code)
      ctx.log.warn(`action-signing keys in the check-in answer ignored, keeping the trusted ones: ${verdict.reason}`);
    ctx.ignoredKeySet = verdict.code;
    return;
  }
  ctx.ignoredKeySet = undefined;
  if (verdict.kind === 'unchanged') return;
  ctx.config.actionKeys = verdict.payload.keys;
  ctx.config.actionKeysIssuedAt = verdict.payload.issuedAt;
  await saveConfig(ctx.paths, ctx.config);
  ctx.log.info(`action-signing keys updated: ${verdict.payload.keys.map((key) => key.kid).join(', ')}`);
}
