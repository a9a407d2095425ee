import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../app.ts';
import type { Config } from '../../config/config.ts';
import { createKeyringSource } from '../../lib/keys/index.ts';
import type { Logger } from '../../logger.ts';
import { prepareDummyHash } from '../../modules/auth/passwords/index.ts';
import { instanceHasOrganization } from '../../modules/tenancy/index.ts';
import { EXIT } from '../exit-codes.ts';
import { createJobRuntime } from '../jobs-runtime.ts';
import { budget, shutdownWithin, waitForShutdownSignal } from '../lifecycle.ts';
import { CliExit, createLogger, openConfiguredDatabase, readConfig } from '../runtime.ts';

export async function serveCommand(options: { workers: boolean }): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config);
  await runServer({ config, logger, workers: options.workers });
}

export interface ServerOptions {
  config: Config;
  logger: Logger;
  workers: boolean;
  /** Adds routes or hooks before the server listens (tests add a deliberately slow route). */
  configureApp?: (app: FastifyInstance) => void | Promise<void>;
}

/** Opens the database, serves until SIGTERM/SIGINT, then drains and closes in order. */
export async function runServer({ config, logger, workers, configureApp }: ServerOptions): Promise<void> {
  // Listening from the start: a signal during start-up (a long migration) is honoured once the
  // server is up, instead of killing the process half-way.
  const signalled = waitForShutdownSignal(logger);
  const database = await openConfiguredDatabase(config, logger);
  let draining = false;
  let app: FastifyInstance | undefined;
  let jobs: ReturnType<typeof createJobRuntime> | undefined;
  try {
    // Loaded (and on first start generated) before listening: a damaged key file stops the start.
    const keys = createKeyringSource(config, logger);
    // The dummy hash is computed once up front, so the first login for an unknown account costs
    // what every later one does.
    await prepareDummyHash();
    app = await buildApp({ config, database, logger, keys, isDraining: () => draining });
    await configureApp?.(app);
    jobs = createJobRuntime({ config, database, logger, keys });
    await jobs.start({ work: workers });
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app?.close().catch(() => {});
    await jobs?.stop(0).catch(() => {});
    await database.close().catch(() => {});
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new CliExit(EXIT.UNAVAILABLE, `cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
    }
    throw error;
  }
  const [http, queue] = [app, jobs];

  const lines = [
    `Vigil is running at ${config.publicUrl.toString()} (${database.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL'})`,
  ];
  if (!(await instanceHasOrganization(database.db))) {
    lines.push(
      'No organization yet. Create the first one and its owner (prints a one-time setup link):',
      '  npx vigil admin bootstrap --org "Your company" --email you@example.com',
      ...(database.kind === 'pglite' ? ['With the embedded database, stop this server first: only one process may open it.'] : []),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  await signalled;
  draining = true;
  await shutdownWithin(logger, config.shutdownTimeoutMs, [
    // Stops accepting, then waits for in-flight requests to complete.
    ['http', () => http.close()],
    ['jobs', (remaining) => queue.stop(budget(remaining))],
    ['database', () => database.close()],
  ]);
  logger.info('stopped');
}
