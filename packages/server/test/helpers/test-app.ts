import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config/config.ts';
import type { Actor, Authenticator } from '../../src/http/auth.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

/**
 * Until the auth module lands, API tests authenticate through the auth seam with a fake that
 * reads the actor from a registry keyed by an opaque bearer value: the real app, the real
 * routes, services and database, only the credential check injected.
 */
export interface TestApp {
  app: FastifyInstance;
  t: TestDatabase;
  config: Config;
  /** Registers an actor and returns the Authorization header value that stands for it. */
  tokenFor(actor: Actor): string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Authenticate with the real auth module (login, JWTs, API keys) instead of `tokenFor`. */
  realAuth?: boolean;
  /** Share a database with another app (two processes behind one PostgreSQL, say). */
  database?: TestDatabase;
}

export async function createTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const t = options.database ?? (await createTestDatabase());
  const config = loadConfig({ VIGIL_DATA_DIR: '/nonexistent', LOG_LEVEL: 'silent', ...env });
  const actors = new Map<string, Actor>();
  const authenticate: Authenticator = async (request) => {
    const header = request.headers.authorization;
    return header ? (actors.get(header) ?? null) : null;
  };
  const app = await buildApp({
    config,
    database: t.database,
    logger: pino({ level: 'silent' }),
    ...(options.realAuth ? {} : { authenticate }),
  });
  await app.ready();
  return {
    app,
    t,
    config,
    tokenFor(actor) {
      const token = `Bearer test-${actors.size + 1}`;
      actors.set(token, actor);
      return token;
    },
    async close() {
      await app.close();
      if (!options.database) await t.destroy();
    },
  };
}
