import { Command, CommanderError, Option } from 'commander';
import { AppError } from '../lib/app-error.ts';
import { VERSION } from '../version.ts';
import { CliExit, EXIT, exitCodeFor } from './exit-codes.ts';

/**
 * Commands are imported when they run: `vigil scan` and `vigil version` must start fast, without
 * loading the HTTP server, the database drivers and the job queue they never use.
 */
// biome-ignore lint/suspicious/noExplicitAny: commander passes each action its own argument list
type Action = (...args: any[]) => Promise<void>;
const lazy =
  <M>(load: () => Promise<M>, pick: (module: M) => Action): Action =>
  async (...args) =>
    pick(await load())(...args);
const serveCommand = lazy(
  () => import('./commands/serve.ts'),
  (m) => m.serveCommand,
);
const workerCommand = lazy(
  () => import('./commands/worker.ts'),
  (m) => m.workerCommand,
);
const migrateCommand = lazy(
  () => import('./commands/migrate.ts'),
  (m) => m.migrateCommand,
);
const bootstrapCommand = lazy(
  () => import('./commands/bootstrap.ts'),
  (m) => m.bootstrapCommand,
);
const versionCompareCommand = lazy(
  () => import('./commands/version.ts'),
  (m) => m.versionCompareCommand,
);
const versionSortCommand = lazy(
  () => import('./commands/version.ts'),
  (m) => m.versionSortCommand,
);
const scanCommand = lazy(
  () => import('./commands/scan.ts'),
  (m) => m.scanCommand,
);

const feedsImportCommand = lazy(
  () => import('./commands/feeds.ts'),
  (m) => m.feedsImportCommand,
);
const feedsStatusCommand = lazy(
  () => import('./commands/feeds.ts'),
  (m) => m.feedsStatusCommand,
);
const feedsSyncCommand = lazy(
  () => import('./commands/feeds.ts'),
  (m) => m.feedsSyncCommand,
);

const keysListCommand = lazy(
  () => import('./commands/keys.ts'),
  (m) => m.keysListCommand,
);
const keysRotateCommand = lazy(
  () => import('./commands/keys.ts'),
  (m) => m.keysRotateCommand,
);
const keysRetireCommand = lazy(
  () => import('./commands/keys.ts'),
  (m) => m.keysRetireCommand,
);

const agentsListCommand = lazy(
  () => import('./commands/agents.ts'),
  (m) => m.agentsListCommand,
);
const agentsRotateCommand = lazy(
  () => import('./commands/agents.ts'),
  (m) => m.agentsRotateCommand,
);
const agentsRevokeCommand = lazy(
  () => import('./commands/agents.ts'),
  (m) => m.agentsRevokeCommand,
);

const releaseKeygenCommand = lazy(
  () => import('./commands/release.ts'),
  (m) => m.releaseKeygenCommand,
);
const releaseSignCommand = lazy(
  () => import('./commands/release.ts'),
  (m) => m.releaseSignCommand,
);
const releaseVerifyCommand = lazy(
  () => import('./commands/release.ts'),
  (m) => m.releaseVerifyCommand,
);

const auditVerifyCommand = lazy(
  () => import('./commands/audit.ts'),
  (m) => m.auditVerifyCommand,
);

const collect = (value: string, previous: string[] = []) => [...previous, value];

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
    // `vigil --version` is the program's; after a command name, options are that command's own
    // (`vigil release sign --version 1.2.0`).
    .enablePositionalOptions()
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

  vigil
    .command('scan')
    .description(
      "match inventories (files or directories) against advisory files, or the database's feeds without --advisories (exit 1 at --fail-on, 2 on bad input)",
    )
    .argument('<paths...>', 'dpkg status, apk installed, rpm -qa output, lockfiles, pom.xml, SBOMs, or directories to walk')
    .option(
      '--advisories <path>',
      'OSV all.zip, a directory of OSV JSON/YAML, one OSV file, a Debian tracker, Alpine secdb or WordPress (Wordfence) feed (repeatable; default: the feeds imported into the database)',
      collect,
    )
    .option(
      '--distro <id:version>',
      'the release of OS package lists that do not say it, e.g. ubuntu:18.04, debian:12, alpine:3.16, rocky:8',
    )
    .option('--format <format>', 'table, json (the vigil.scan/1 contract) or sarif', 'table')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above LOW, MEDIUM, HIGH or CRITICAL')
    .option('--only-fixable', 'report only findings with a fixed version available')
    .option('--ignore <file>', 'YAML list of accepted ids, each with a reason and an expiry date')
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('--no-db', 'never open the database: match --advisories only, without KEV, EPSS or NVD data')
    .addHelpText(
      'after',
      `
Exit codes: 0 no finding at --fail-on (or no --fail-on), 1 findings at or above --fail-on, 2 usage or input error.
An OS package list needs its release: from the root's etc/os-release when scanning a directory,
--distro, or the file's content (dpkg status, apk installed); rpm lists always need --distro.`,
    )
    .action(scanCommand);

  const feeds = vigil.command('feeds').description('the vulnerability intelligence store: import, status, sync');
  feeds
    .command('import')
    .description('import feed files, directories or URLs into the database (each source atomically; exit 1 if any failed)')
    .argument(
      '<sources...>',
      'OSV all.zip or directory, Debian tracker, Alpine secdb, WordPress feed, KEV JSON/CSV, EPSS CSV(.gz), NVD JSON(.gz), or an https URL of one',
    )
    .option('--feed <name>', 'the feed to import into (default: kev, epss, nvd, or osv:<name> from the file name)')
    .option('--partial', 'add and update only: do not withdraw records missing from this source')
    .option('--allow-older', 'import a KEV catalog or EPSS file older than the one stored')
    .option('--json', 'print the import reports as JSON')
    .action(feedsImportCommand);
  feeds
    .command('status')
    .description('list each feed with its record count, source, last import and age; warn when older than FEED_MAX_AGE_HOURS')
    .option('--json', 'print as JSON')
    .action(feedsStatusCommand);
  feeds.command('sync').description('fetch every mirror in FEED_MIRRORS through the outbound guard and import it').action(feedsSyncCommand);

  const agents = vigil.command('agents').description("servers' agents: list them, rotate or revoke their tokens");
  agents
    .command('list')
    .description('every server with its agent state, version, last check-in and token prefix')
    .option('--json', 'print as JSON')
    .action(agentsListCommand);
  agents
    .command('rotate')
    .description("issue a server's new agent token (printed once) and revoke the old one")
    .argument('<assetId>')
    .action(agentsRotateCommand);
  agents
    .command('revoke')
    .description("revoke a server's agent token: its agent is refused from its next request")
    .argument('<assetId>')
    .action(agentsRevokeCommand);

  const keys = vigil
    .command('keys')
    .description('the keyrings: jwt, mfa, credentials, report, action (generated into the data directory unless set in the environment)');
  keys.command('list').description('each key: purpose, id, status, created, source (never its material)').action(keysListCommand);
  keys
    .command('rotate')
    .description('add a new active key; the previous one keeps verifying and decrypting until retired')
    .argument('<purpose>', 'jwt, mfa, credentials, report or action')
    .action(keysRotateCommand);
  keys
    .command('retire')
    .description('stop using an old key: what it signed or encrypted no longer verifies or decrypts')
    .argument('<purpose>', 'jwt, mfa, credentials, report or action')
    .argument('<kid>', 'the key id (see vigil keys list)')
    .action(keysRetireCommand);

  const audit = vigil.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description("walk every organization's hash chain; exit 1 naming the first broken entry of each broken chain")
    .action(auditVerifyCommand);

  const release = vigil.command('release').description('sign agent releases with an offline key (no server or database needed)');
  release
    .command('keygen')
    .description('create a release key (0600); prints its public half { kid, x } to pin in the agent build')
    .requiredOption('--out <file>', 'where to write the private key (never overwritten)')
    .option('--kid <kid>', 'the key id (default: release-DATE-HASH)')
    .action(releaseKeygenCommand);
  release
    .command('sign')
    .description('write the signed manifest of an agent file: its SHA-256 and size, version, platform, expiry and URL')
    .requiredOption('--key <file>', 'the private key from `vigil release keygen` (must be mode 0600)')
    .requiredOption('--file <file>', 'the agent file (vigil-agent.mjs, or the single executable)')
    .requiredOption('--version <version>', 'the release version, e.g. 1.4.2')
    .option('--platform <platform>', 'node, linux-x64 or linux-arm64', 'node')
    .option('--min-version <version>', 'the oldest agent version that may update to it directly', '0.0.0')
    .option('--expires-in-days <days>', 'agents refuse the manifest after this many days', '90')
    .option('--url <url>', 'where agents download it (default: /downloads/agent/PLATFORM/VERSION/FILE on the server)')
    .option('--out <file>', 'write the manifest here instead of standard output')
    .action(releaseSignCommand);
  release
    .command('verify')
    .description('check a manifest and file as an agent would: signature, size and SHA-256 (exit 1 on any mismatch)')
    .requiredOption('--manifest <file>', 'the signed manifest')
    .requiredOption('--file <file>', 'the agent file it describes')
    .option('--public-key <key>', '{"kid":…,"x":…} as keygen printed it, a JSON array of them, or a file holding that')
    .option('--key <file>', 'the private key file instead (its public half is used)')
    .action(releaseVerifyCommand);

  const admin = vigil.command('admin').description('administrative commands');
  admin
    .command('bootstrap')
    .description('create the first organization and its owner; prints a one-time setup link (works once)')
    .requiredOption('--org <name>', 'name of the organization')
    .requiredOption('--email <email>', "the owner's email address")
    .action(bootstrapCommand);

  for (const command of [
    vigil,
    ...vigil.commands,
    ...admin.commands,
    ...version.commands,
    ...feeds.commands,
    ...keys.commands,
    ...release.commands,
  ])
    command.exitOverride();
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
