import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { AgentClient } from '../client/agent-client.ts';
import { AgentAuthError, AgentPayloadError, AgentRequestError } from '../client/errors.ts';
import { isLoopback, parseServerUrl, ServerUrlError } from '../client/server-url.ts';
import { AGENT_VERSION } from '../run/agent-version.ts';
import { EMPTY_STATE, saveState } from '../state/agent-state.ts';
import { isEnrolled, loadConfig, saveEnrollment } from '../state/enrollment.ts';
import { canWriteDir } from '../state/files.ts';
import { DIR_OPTIONS, parseCommandArgs, resolvePaths } from './common-options.ts';
import { CliError, EXIT } from './exit-codes.ts';
import type { CliIo } from './io.ts';

const OPTIONS = {
  ...DIR_OPTIONS,
  server: { type: 'string' },
  token: { type: 'string' },
  name: { type: 'string' },
  force: { type: 'boolean' },
  'insecure-http': { type: 'boolean' },
  'lockfile-path': { type: 'string', multiple: true },
  'web-root': { type: 'string', multiple: true },
} as const;

/**
 * `enroll`: trades the one-time enrollment token for this server's agent token. Nothing is
 * written until the server accepted, so a refused token leaves the machine as it was. Neither
 * token is ever printed or logged.
 */
export async function enrollCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseCommandArgs('enroll', args, OPTIONS);
  const paths = resolvePaths(values, io);
  if (!values.server) throw new CliError('enroll: --server URL is required', EXIT.USAGE);
  // The environment keeps the token out of `ps` and shell history; --token is the documented way.
  const token = values.token ?? io.env.VIGIL_AGENT_ENROLL_TOKEN;
  if (!token) throw new CliError('enroll: --token ENROLL_TOKEN is required (or VIGIL_AGENT_ENROLL_TOKEN)', EXIT.USAGE);
  const insecureHttp = values['insecure-http'] ?? false;

  let server: URL;
  try {
    server = parseServerUrl(values.server, { insecureHttp });
  } catch (error) {
    if (error instanceof ServerUrlError) throw new CliError(`enroll: ${error.message}`, EXIT.USAGE);
    throw error;
  }
  if (server.protocol === 'http:' && !isLoopback(server.hostname)) {
    io.stderr.write(`vigil-agent: WARNING: --insecure-http: the agent token will travel unencrypted to ${server.host}\n`);
  }

  for (const dir of [paths.configDir, paths.stateDir]) {
    if (!(await canWriteDir(dir))) throw new CliError(`enroll: cannot write ${dir}; run enroll as root (the token was not used)`);
  }

  if ((await isEnrolled(paths)) && !values.force) {
    const existing = await loadConfig(paths).catch(() => null);
    const where = existing ? ` with ${existing.server} as asset ${existing.assetId}` : '';
    throw new CliError(`already enrolled${where}; pass --force to replace this enrollment`);
  }

  const client = new AgentClient({ server: server.href, agentVersion: AGENT_VERSION, insecureHttp });
  const machineId = await readMachineId();
  let enrolled: Awaited<ReturnType<AgentClient['enroll']>>;
  try {
    enrolled = await client.enroll({
      token,
      hostname: values.name ?? hostname(),
      ...(machineId ? { machineId } : {}),
      agentVersion: AGENT_VERSION,
    });
  } catch (error) {
    throw new CliError(`enroll: ${enrollFailure(error)}`);
  }

  await saveEnrollment(
    paths,
    {
      server: server.href,
      insecureHttp,
      assetId: enrolled.assetId,
      enrolledAt: new Date().toISOString(),
      actionKeys: enrolled.actionKeys,
      checkInSeconds: enrolled.checkInSeconds,
      ...(values['lockfile-path']?.length ? { lockfilePaths: values['lockfile-path'] } : {}),
      ...(values['web-root']?.length ? { webRoots: values['web-root'] } : {}),
    },
    enrolled.agentToken,
  );
  // A new enrollment is a new asset: what the old one was sent says nothing about it.
  await saveState(paths, { ...EMPTY_STATE });
  io.stdout.write(`enrolled with ${server.href} as asset ${enrolled.assetId}; token saved to ${paths.token}\n`);
  io.stdout.write('start the agent with `systemctl enable --now vigil-agent` or `vigil-agent run`\n');
  return EXIT.OK;
}

function enrollFailure(error: unknown): string {
  if (error instanceof AgentAuthError || (error instanceof AgentRequestError && [400, 403, 404, 410].includes(error.status))) {
    const detail = error instanceof AgentRequestError && error.detail ? ` (${error.detail})` : '';
    return `the server refused the enrollment token: it is unknown, expired or already used${detail}; ask for a new one`;
  }
  if (error instanceof AgentPayloadError) return error.message.replace('enrollment request', 'enrollment token or name');
  return error instanceof Error ? error.message : String(error);
}

/** /etc/machine-id when it holds one (32 lowercase hex), so the server can tell two installs apart. */
async function readMachineId(): Promise<string | null> {
  try {
    const id = (await readFile('/etc/machine-id', 'utf8')).trim();
    return /^[0-9a-f]{32}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}
