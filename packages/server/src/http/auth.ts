import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TenantContext } from '../db/tenant.ts';
import { fail } from '../lib/app-error.ts';

/** Who made a request, as the auth layer established it. */
export interface Actor {
  readonly kind: 'user' | 'api_key' | 'agent';
  /** The user, API key or agent token id. */
  readonly id: string;
  readonly tenant: TenantContext;
  /** A user's session (the refresh-token family) the access token belongs to. */
  readonly sessionId?: string;
  /** Whether the session passed a second factor. */
  readonly mfaVerified?: boolean;
  /** The server an agent token belongs to. */
  readonly assetId?: string;
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
    /** Routes a member who must still set up a second factor may use (enrolment, logout). */
    allowWithoutMfa?: boolean;
    /** Routes an agent token may call; every other route refuses agents. */
    agent?: boolean;
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
    // An agent token is a server's credential, not a person's: it reaches agent routes only.
    if ((actor.kind === 'agent') !== (request.routeOptions.config.agent === true)) {
      throw fail('FORBIDDEN', actor.kind === 'agent' ? 'agent tokens may only call agent routes' : 'this route is for agents');
    }
    request.actor = actor;
  });
}

/** The actor of an authenticated route; routes behind `registerAuth` always have one. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw fail('UNAUTHENTICATED');
  return request.actor;
}
