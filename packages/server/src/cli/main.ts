import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../app.ts';
import { AppError } from '../lib/app-error.ts';
import { bootstrapCommand } from './commands/bootstrap.ts';
import { migrateCommand } from './commands/migrate.ts';
import { serveCommand } from './commands/serve.ts';
import { versionCompareCommand, versionSortCommand } from './commands/version.ts';
import { workerCommand } from './commands/worker.ts';
import { EXIT } from './exit-codes.ts';
import { CliExit, exitCodeFor } from './runtime.ts';

const EXIT_CODES_HELP = `
Exit codes:
  0   success
  1   the command failed (message on stderr)
  64  usage error (unknown command or option, invalid argument)
  69  unavailable: database unreachable, data directory locked or damaged
  70  internal error (see the log)
  78  invalid configuration (the message names the variable)
  2   \`vigil version\` (and \`vigil scan\`): usage or input error

Configuration comes from environment variables; see docs/configuration.md.`;

function program(): Command {
  const vigil = new Command('vigil')
    .description('Vigil: self-hosted, multi-tenant vulnerability monitoring')
    .version(VERSION, '-V, --version')
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  vigil
    .command('serve')
    .description('run the HTTP API, the dashboard and the background workers')
    .addOption(new Option('--no-workers', 'serve HTTP only; run `vigil worker` processes for jobs'))
    .action(serveCommand);

  vigil
    .command('worker')
    .description('run background workers only (scale-out; needs PostgreSQL for several processes)')
    .action(workerCommand);

  vigil.command('migrate').description('apply pending database migrations and exit').action(migrateCommand);

  const version = vigil.command('version').description('compare and sort versions as an ecosystem does (exit 2 on bad input)');
  version
    .command('compare')
    .description('print -1, 0 or 1 as A sorts before, equal to or after B')
    .argument('<ecosystem>', 'e.g. Debian, Ubuntu:22.04:LTS, npm, PyPI, Maven')
    .argument('[a]', 'first version')
    .argument('[b]', 'second version')
    .option('--batch', 'read A<TAB>B pairs from standard input; print one answer per line (invalid for a bad pair)')
    .action(versionCompareCommand);
  version.command('sort').description('sort the versions on standard input, ascending').argument('<ecosystem>').action(versionSortCommand);

  const admin = vigil.command('admin').description('administrative commands');
  admin
    .command('bootstrap')
    .description('create the first organization and its owner; prints a one-time setup link (works once)')
    .requiredOption('--org <name>', 'name of the organization')
    .requiredOption('--email <email>', "the owner's email address")
    .action(bootstrapCommand);

  for (const command of [vigil, ...vigil.commands, ...admin.commands, ...version.commands]) command.exitOverride();
  return vigil;
}

const SCANNER_COMMANDS = new Set(['version', 'scan']);
const SCANNER_USAGE = 2;

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0. Scanner-style commands answer
      // usage errors with 2, as their users' CI pipelines expect.
      if (error.exitCode === 0) return EXIT.OK;
      return SCANNER_COMMANDS.has(argv[2] ?? '') ? SCANNER_USAGE : EXIT.USAGE;
    }
    const code = exitCodeFor(error);
    if (error instanceof CliExit || error instanceof AppError) {
      process.stderr.write(`vigil: ${error.message}\n`);
    } else {
      process.stderr.write(`vigil: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    }
    return code;
  }
}

process.exitCode = await main(process.argv);
