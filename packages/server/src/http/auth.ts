import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TenantContext } from '../db/tenant.ts';
import { fail } from '../lib/app-error.ts';

/** Who made a request, as the auth layer established it. */
export interface Actor {
  readonly kind: 'user' | 'api_key' | 'agent';
  readonly id: string;
  readonly tenant: TenantContext;
}

/**
 * Turns a request into an actor, or null when it carries no valid credentials. The auth issue
 * supplies the real one (sessions, API keys, agent tokens); until then nothing authenticates.
 */
export type Authenticator = (request: FastifyRequest) => Promise<Actor | null>;

export const denyAll: Authenticator = async () => null;

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** Routes that answer without credentials (health checks, the OpenAPI document, login). */
    public?: boolean;
  }
}

export function registerAuth(app: FastifyInstance, authenticate: Authenticator): void {
  app.decorateRequest('actor', null);
  // Routes are closed unless they say otherwise: forgetting to protect one fails safe.
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public === true || request.is404) return;
    const actor = await authenticate(request);
    if (!actor) {
      reply.header('www-authenticate', 'Bearer');
      throw fail('UNAUTHENTICATED');
    }
    request.actor = actor;
  });
}

/** The actor of an authenticated route; routes behind `registerAuth` always have one. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw fail('UNAUTHENTICATED');
  return request.actor;
}
