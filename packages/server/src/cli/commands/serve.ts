import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../app.ts';
import type { Config } from '../../config/config.ts';
import { organizations } from '../../db/schema.ts';
import { withSystem } from '../../db/tenant.ts';
import type { Logger } from '../../logger.ts';
import { EXIT } from '../exit-codes.ts';
import { createJobRuntime } from '../jobs-runtime.ts';
import { shutdownWithin, waitForShutdownSignal } from '../lifecycle.ts';
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
  const database = await openConfiguredDatabase(config, logger);
  let draining = false;
  const app = await buildApp({ config, database, logger, isDraining: () => draining });
  await configureApp?.(app);
  const jobs = createJobRuntime({ config, database, logger });
  try {
    await jobs.start({ work: workers });
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close().catch(() => {});
    await jobs.stop().catch(() => {});
    await database.close().catch(() => {});
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new CliExit(EXIT.UNAVAILABLE, `cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
    }
    throw error;
  }

  const hasOrganization = await withSystem(
    database.db,
    async (tx) => (await tx.select({ id: organizations.id }).from(organizations).limit(1)).length > 0,
  );
  const lines = [
    `Vigil is running at ${config.publicUrl.toString()} (${database.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL'})`,
  ];
  if (!hasOrganization) {
    lines.push(
      'No organization yet. Create the first one and its owner (prints a one-time setup link):',
      '  npx vigil admin bootstrap --org "Your company" --email you@example.com',
      ...(database.kind === 'pglite' ? ['With the embedded database, stop this server first: only one process may open it.'] : []),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  await waitForShutdownSignal(logger);
  draining = true;
  await shutdownWithin(logger, config.shutdownTimeoutMs, [
    // Stops accepting, then waits for in-flight requests to complete.
    ['http', () => app.close()],
    ['jobs', () => jobs.stop()],
    ['database', () => database.close()],
  ]);
  logger.info('stopped');
}
