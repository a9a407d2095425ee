import { AGENT_VERSION } from '../run/agent-version.ts';
import { collectCommand } from './collect.ts';
import { enrollCommand } from './enroll.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { HELP } from './help.ts';
import type { CliIo } from './io.ts';
import { runCommand } from './run-command.ts';
import { statusCommand } from './status.ts';
import { uninstallCommand } from './uninstall.ts';

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  enroll: enrollCommand,
  run: runCommand,
  collect: collectCommand,
  status: statusCommand,
  uninstall: uninstallCommand,
  version: async (_args, io) => {
    io.stdout.write(`${AGENT_VERSION}\n`);
    return EXIT.OK;
  },
};

/** Runs one `vigil-agent` command and returns its exit code; never exits the process itself. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(HELP);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version') return runCli(['version'], io);
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr.write(`vigil-agent: unknown command ${JSON.stringify(name)}; see \`vigil-agent --help\`\n`);
    return EXIT.USAGE;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(HELP);
    return EXIT.OK;
  }
  try {
    return await command(args, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`vigil-agent: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`vigil-agent: ${name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.FAILED;
  }
}
