import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import { webRoot } from '@vigil/web';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config/config.ts';
import type { Database } from './db/database.ts';
import { type Authenticator, registerAuth } from './http/auth.ts';
import { registerJsonOnly } from './http/content-type.ts';
import { healthRoutes } from './http/health.routes.ts';
import { registerOpenApi } from './http/openapi.ts';
import { frameworkErrorHandler, registerErrorHandling } from './http/problem.ts';
import { createRateLimiter, enforceRateLimit, ipRateLimitKey, type RateLimiter } from './http/rate-limit/index.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { webRoutes } from './http/web.routes.ts';
import { createEphemeralKeyring, type KeyringSource, staticKeyringSource } from './lib/keys/index.ts';
import { createMailer, type Mailer } from './lib/mailer/index.ts';
import type { Logger } from './logger.ts';
import { createActionsModule, pendingActionCount } from './modules/actions/index.ts';
import { createAgentsModule } from './modules/agents/index.ts';
import { createAssetsModule } from './modules/assets/index.ts';
import { createAuditModule } from './modules/audit/index.ts';
import { authenticateToken, createApiKeysModule } from './modules/auth/api-keys/index.ts';
import { createAuthModule } from './modules/auth/index.ts';
import { createMembershipModule } from './modules/auth/membership/index.ts';
import { createMfaModule } from './modules/auth/mfa/index.ts';
import { createFindingsModule } from './modules/findings/index.ts';
import { createInventoryModule } from './modules/inventory/index.ts';
import { createMailModule } from './modules/mail/index.ts';
import { createReleasesModule } from './modules/releases/index.ts';
import { createTenancyModule } from './modules/tenancy/index.ts';
import { createUsersModule } from './modules/users/index.ts';
import { VERSION } from './version.ts';

export const BODY_LIMIT_BYTES = 1024 * 1024;
export { VERSION };

export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  /**
   * The keys tokens are signed and secrets sealed with; `serve` passes the configured ones.
   * Default: a throw-away keyring (tests), so tokens do not outlive the process.
   */
  keys?: KeyringSource;
  /** Default: built from `config.rateLimit` (and closed with the app). */
  limiter?: RateLimiter;
  /** Default: built from `config.mail` (SMTP, or the outbox table) and closed with the app. */
  mailer?: Mailer;
  /** Replaces the auth module's authenticator (tests that act as a given actor). */
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
  await app.register(fastifyCookie);
  const keys = deps.keys ?? staticKeyringSource(createEphemeralKeyring());
  const limiter = deps.limiter ?? createRateLimiter(config.rateLimit, { database, logger: deps.logger });
  if (!deps.limiter) app.addHook('onClose', async () => limiter.close());
  // Unauthenticated writes (login steps, refresh, passkey challenges, invitations, resets) cost
  // work or rows: each client address gets the `public` budget across all of them.
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'POST' || request.routeOptions.config.public !== true) return;
    await enforceRateLimit(limiter, 'public', ipRateLimitKey(request.ip));
  });
  const apiKeys = createApiKeysModule({ db: database.db });
  const auth = createAuthModule({
    config,
    database,
    logger: deps.logger,
    keys,
    limiter,
    tokenAuthenticators: [{ handles: (token) => token.startsWith('vgl_'), authenticate: (token) => authenticateToken(database.db, token) }],
  });
  const mfa = createMfaModule({ db: database.db, keyring: keys, logger: deps.logger, limiter });
  registerAuth(app, deps.authenticate ?? auth.authenticate);
  const mailer = deps.mailer ?? createMailer(config, { database: database.db, logger: deps.logger });
  const membership = createMembershipModule({
    config,
    db: database.db,
    logger: deps.logger,
    mailer,
    sessions: auth.sessions,
    limiter,
    authenticate: deps.authenticate ?? auth.authenticate,
  });
  app.addHook('onClose', async () => {
    await membership.drain();
    if (!deps.mailer) mailer.close();
  });
  const mail = createMailModule({ db: database.db });

  await app.register(healthRoutes({ pendingMigrations: () => database.pendingMigrations(), isDraining }));
  await app.register(webRoutes(webRoot));
  app.get('/.well-known/jwks.json', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    // Verifiers may cache it briefly; a rotated key appears here before it signs anything.
    reply.header('cache-control', 'public, max-age=300');
    return auth.jwks();
  });

  const tenancy = createTenancyModule({ db: database.db });
  const assets = createAssetsModule({ db: database.db });
  const actions = createActionsModule({ db: database.db, config, keys });
  const releases = createReleasesModule({ config, logger: deps.logger });
  const agents = createAgentsModule({
    db: database.db,
    limiter,
    actionKeys: actions.actionKeys,
    actionKeySet: actions.actionKeySet,
    actionsPending: (ctx, assetId) => pendingActionCount(database.db, ctx, assetId),
    update: (_ctx, _assetId, agentVersion, platform) => releases.service.offeredRelease(agentVersion, platform),
  });
  const inventory = createInventoryModule({ db: database.db, logger: deps.logger });
  const audit = createAuditModule({ db: database.db });
  const users = createUsersModule({ db: database.db, limiter, config });
  await app.register(releases.publicRoutes);
  await app.register(
    async (api) => {
      api.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
      await api.register(tenancy.routes);
      await api.register(assets.routes);
      await api.register(actions.routes);
      await api.register(actions.agentRoutes);
      await api.register(agents.routes);
      await api.register(inventory.routes);
      await api.register(createFindingsModule({ db: database.db }).routes);
      await api.register(audit.routes);
      await api.register(users.routes);
      await api.register(releases.routes);
      await api.register(auth.routes);
      await api.register(auth.passkeyRoutes);
      await api.register(mfa.routes);
      await api.register(apiKeys.routes);
      await api.register(membership.routes);
      await api.register(mail.routes);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
