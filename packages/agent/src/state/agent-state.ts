import { z } from 'zod';
import { readJsonFile, writeJsonAtomic } from './files.ts';
import type { AgentPaths } from './paths.ts';

const isoTime = z.iso.datetime({ offset: true });

/** `<stateDir>/state.json`: what the loop remembers between cycles and restarts. */
export const agentStateSchema = z.strictObject({
  lastCheckIn: z
    .strictObject({ at: isoTime, nextCheckInSeconds: z.number().int().min(0) })
    .nullable()
    .default(null),
  lastInventory: z
    .strictObject({ at: isoTime, digest: z.string().regex(/^[0-9a-f]{64}$/), packages: z.number().int().min(0) })
    .nullable()
    .default(null),
  lastError: z
    .strictObject({ at: isoTime, message: z.string().max(2_000) })
    .nullable()
    .default(null),
});
export type AgentState = z.infer<typeof agentStateSchema>;

export const EMPTY_STATE: AgentState = { lastCheckIn: null, lastInventory: null, lastError: null };

/**
 * The saved state, or an empty one. A damaged file costs one extra inventory upload, so it is
 * reported through `onCorrupt` and replaced on the next save instead of stopping the agent.
 */
export async function loadState(paths: AgentPaths, onCorrupt: (problem: string) => void = () => {}): Promise<AgentState> {
  const read = await readJsonFile(paths.state, agentStateSchema);
  if (read.kind === 'ok') return read.value;
  if (read.kind === 'corrupt') onCorrupt(`${read.problem}; starting from an empty state`);
  return { ...EMPTY_STATE };
}

export async function saveState(paths: AgentPaths, state: AgentState): Promise<void> {
  await writeJsonAtomic(paths.state, state);
}
