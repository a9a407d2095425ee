import { readFile, stat } from 'node:fs/promises';
import { actionKeySchema } from '@vigil/protocol';
import { z } from 'zod';
import { ensureDir, isErrno, readJsonFile, writeFileAtomic, writeJsonAtomic } from './files.ts';
import type { AgentPaths } from './paths.ts';

/** `<configDir>/agent.json`: what enrollment settled. The token lives apart, in its own 0600 file. */
export const agentConfigSchema = z.strictObject({
  server: z.url(),
  /** Set when the operator enrolled over plain http on purpose (`--insecure-http`). */
  insecureHttp: z.boolean().default(false),
  assetId: z.uuid(),
  enrolledAt: z.iso.datetime({ offset: true }),
  actionKeys: z.array(actionKeySchema).min(1).max(8),
  /** `issuedAt` of the signed key set the keys came from; absent while they are the enrollment's. */
  actionKeysIssuedAt: z.iso.datetime({ offset: true }).optional(),
  checkInSeconds: z.number().int().min(30).max(86_400),
  /** Absent: the collectors' defaults. */
  lockfilePaths: z.array(z.string().min(1).max(1024)).max(100).optional(),
  webRoots: z.array(z.string().min(1).max(1024)).max(100).optional(),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

/** What `<configDir>/token` holds (trimmed). */
export const AGENT_TOKEN_FILE = /^vgl_agent_[A-Za-z0-9_-]{16,200}$/;

export class NotEnrolledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotEnrolledError';
  }
}

/** True when a token or a config is already there: `enroll` refuses to replace them without --force. */
export async function isEnrolled(paths: AgentPaths): Promise<boolean> {
  return (await exists(paths.token)) || (await exists(paths.config));
}

/**
 * Saves a new enrollment. The token is written first: a config without a token would look
 * enrolled but could never authenticate, while a token without a config is simply re-enrolled.
 */
export async function saveEnrollment(paths: AgentPaths, config: AgentConfig, token: string): Promise<void> {
  await ensureDir(paths.configDir);
  await ensureDir(paths.stateDir);
  await writeFileAtomic(paths.token, `${token}\n`, 0o600);
  await writeJsonAtomic(paths.config, config);
}

export async function saveConfig(paths: AgentPaths, config: AgentConfig): Promise<void> {
  await writeJsonAtomic(paths.config, config);
}

export async function loadEnrollment(paths: AgentPaths): Promise<{ config: AgentConfig; token: string }> {
  const config = await loadConfig(paths);
  let token: string;
  try {
    token = (await readFile(paths.token, 'utf8')).trim();
  } catch (error) {
    if (isErrno(error, 'ENOENT')) throw new NotEnrolledError(`not enrolled: ${paths.token} is missing; run \`vigil-agent enroll\``);
    throw error;
  }
  // Never echo the file's content: it may be a token after all, just a damaged one.
  if (!AGENT_TOKEN_FILE.test(token))
    throw new NotEnrolledError(`${paths.token} does not hold an agent token; re-enroll with \`vigil-agent enroll\``);
  return { config, token };
}

export async function loadConfig(paths: AgentPaths): Promise<AgentConfig> {
  const read = await readJsonFile(paths.config, agentConfigSchema);
  if (read.kind === 'missing') throw new NotEnrolledError(`not enrolled: ${paths.config} is missing; run \`vigil-agent enroll\``);
  if (read.kind === 'corrupt') throw new NotEnrolledError(`${read.problem}; re-enroll with \`vigil-agent enroll --force\``);
  return read.value;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return false;
    throw error;
  }
}
