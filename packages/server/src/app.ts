import { randomUUID } from 'node:crypto';
import { webRoot } from '@vigil/web';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config/config.ts';
import type { Database } from './db/database.ts';
import { type Authenticator, denyAll, registerAuth } from './http/auth.ts';
import { registerJsonOnly } from './http/content-type.ts';
import { healthRoutes } from './http/health.routes.ts';
import { registerOpenApi } from './http/openapi.ts';
import { frameworkErrorHandler, registerErrorHandling } from './http/problem.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { webRoutes } from './http/web.routes.ts';
import type { Logger } from './logger.ts';
import { createAssetsModule } from './modules/assets/index.ts';
import { createAuditModule } from './modules/audit/index.ts';
import { createTenancyModule } from './modules/tenancy/index.ts';
import { VERSION } from './version.ts';

export const BODY_LIMIT_BYTES = 1024 * 1024;
export { VERSION };

export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  /** Fills the auth seam; the auth module provides the real one. Default: nothing authenticates. */
  authenticate?: Authenticator;
  /** True once shutdown began; `/readyz` then answers 503. */
  isDraining?: () => boolean;
}

/** The whole HTTP application, without a port: `main` listens, tests inject. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // X-Forwarded-* is believed only from proxies the operator named; otherwise any client
    // could choose its own IP address for rate limits and audit records.
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const isDraining = deps.isDraining ?? (() => false);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // A keep-alive connection whose request was in flight at shutdown would otherwise stay open
  // after its answer and hold the server's close (and so the process) until the deadline.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (isDraining()) reply.header('connection', 'close');
    return payload;
  });

  registerErrorHandling(app);
  registerJsonOnly(app);
  await registerSecurityHeaders(app, { tls: config.tls });
  await registerOpenApi(app, { version: VERSION, serverUrl: config.publicUrl.toString() });
  registerAuth(app, deps.authenticate ?? denyAll);

  await app.register(healthRoutes({ pendingMigrations: () => database.pendingMigrations(), isDraining }));
  await app.register(webRoutes(webRoot));

  const tenancy = createTenancyModule({ db: database.db });
  const assets = createAssetsModule({ db: database.db });
  const audit = createAuditModule({ db: database.db });
  await app.register(
    async (api) => {
      api.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
      await api.register(tenancy.routes);
      await api.register(assets.routes);
      await api.register(audit.routes);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
