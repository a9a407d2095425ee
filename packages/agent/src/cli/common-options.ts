import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type AgentPaths, agentPaths } from '../state/paths.ts';
import { CliError, EXIT } from './exit-codes.ts';
import type { CliIo } from './io.ts';

export const DIR_OPTIONS = {
  'config-dir': { type: 'string' },
  'state-dir': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors turned into a usage error naming the command. */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new CliError(`${command}: ${(error as Error).message} (see \`vigil-agent --help\`)`, EXIT.USAGE);
  }
}

/** Options first, then the environment, then the defaults (/etc/vigil-agent, /var/lib/vigil-agent). */
export function resolvePaths(values: { 'config-dir'?: string | undefined; 'state-dir'?: string | undefined }, io: CliIo): AgentPaths {
  return agentPaths({
    configDir: nonEmpty(values['config-dir']) ?? nonEmpty(io.env.VIGIL_AGENT_CONFIG_DIR),
    stateDir: nonEmpty(values['state-dir']) ?? nonEmpty(io.env.VIGIL_AGENT_STATE_DIR),
    systemdUnit: nonEmpty(io.env.VIGIL_AGENT_SYSTEMD_UNIT),
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
