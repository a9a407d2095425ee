import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../../config/config.ts';
import { type Actor, type Authenticator, actorOf } from '../../../http/auth.ts';
import { problemSchema } from '../../../http/problem.ts';
import { fail } from '../../../lib/app-error.ts';
import { requestMeta, sendTokens } from '../auth.routes.ts';
import { sessionTokensSchema } from '../auth.schemas.ts';
import { assertSameOrigin } from '../http/origin-guard.ts';
import type { ActorMeta, InvitationsService } from './invitations.service.ts';
import {
  acceptInvitationBody,
  createInvitationBody,
  invitationListSchema,
  invitationParams,
  invitationSchema,
  joinedSchema,
} from './membership.schemas.ts';

const errors = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
  429: problemSchema,
  502: problemSchema,
};
const noQuery = z.strictObject({});

export function actorMeta(request: FastifyRequest): ActorMeta {
  const actor = actorOf(request);
  return { ...requestMeta(request), actorKind: actor.kind };
}

export interface InvitationRouteDeps {
  config: Pick<Config, 'tls' | 'publicUrl'>;
  invitations: InvitationsService;
  /** The app's authenticator: accepting is public, but a bearer token, when sent, must be valid. */
  authenticate: Authenticator;
}

export function invitationRoutes(deps: InvitationRouteDeps): FastifyPluginAsyncZod {
  const { config, invitations } = deps;
  return async (app) => {
    app.post(
      '/invitations',
      {
        schema: {
          tags: ['members'],
          summary: 'Invite someone by email with a role (the link is mailed, never returned)',
          querystring: noQuery,
          body: createInvitationBody,
          response: { 201: invitationSchema, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await invitations.create(actorOf(request).tenant, request.body, actorMeta(request))),
    );

    app.get(
      '/invitations',
      {
        schema: {
          tags: ['members'],
          summary: 'Pending invitations',
          querystring: noQuery,
          response: { 200: invitationListSchema, ...errors },
        },
      },
      async (request) => ({ items: await invitations.listPending(actorOf(request).tenant) }),
    );

    app.delete(
      '/invitations/:invitationId',
      {
        schema: {
          tags: ['members'],
          summary: 'Revoke a pending invitation',
          params: invitationParams,
          querystring: noQuery,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await invitations.revoke(actorOf(request).tenant, request.params.invitationId, actorMeta(request));
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/invitations/accept',
      {
        config: { public: true },
        schema: {
          tags: ['members'],
          summary:
            'Accept an invitation: a new account (password) gets a session; an existing account must send its bearer token and joins',
          querystring: noQuery,
          body: acceptInvitationBody,
          response: { 200: z.union([sessionTokensSchema, joinedSchema]), ...errors },
        },
      },
      async (request, reply) => {
        // Another site must not make a visitor's browser accept an invitation into its organization.
        assertSameOrigin(request, config.publicUrl.origin);
        let actor: Actor | null = null;
        if (request.headers.authorization !== undefined) {
          actor = await deps.authenticate(request);
          if (!actor) {
            reply.header('www-authenticate', 'Bearer');
            throw fail('UNAUTHENTICATED');
          }
        }
        const { refreshTokenDelivery, ...input } = request.body;
        const outcome = await invitations.accept(input, requestMeta(request), actor);
        reply.header('cache-control', 'no-store');
        if (outcome.kind === 'joined') {
          const { orgId, membershipId, role, clientId } = outcome;
          return { status: 'joined' as const, orgId, membershipId, role, clientId };
        }
        return sendTokens(reply, config, outcome.tokens, {
          delivery: refreshTokenDelivery,
          mfaEnrollmentRequired: outcome.mfaEnrollmentRequired,
        });
      },
    );
  };
}
