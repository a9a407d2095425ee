import { checkInRequestSchema, checkInResponseSchema, enrollRequestSchema, enrollResponseSchema } from '@vigil/protocol';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.ts';
import { problemSchema } from '../../http/problem.ts';
import { enforceRateLimit, ipRateLimitKey, type RateLimiter } from '../../http/rate-limit/index.ts';
import { fail } from '../../lib/app-error.ts';
import type { RequestMeta } from '../auth/api-keys/index.ts';
import { noQuery } from '../tenancy/tenancy.schemas.ts';
import {
  agentAssetParams,
  createEnrollmentTokenBody,
  enrollmentTokenListSchema,
  enrollmentTokenParams,
  issuedEnrollmentTokenSchema,
} from './agents.schemas.ts';
import type { AgentIdentity, CheckInService } from './check-in.service.ts';
import type { EnrollmentService } from './enrollment.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

function metaOf(request: FastifyRequest, withActor = true): RequestMeta {
  const userAgent = request.headers['user-agent'];
  const base = { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : null };
  if (!withActor) return base;
  const actor = actorOf(request);
  return { ...base, actor: { kind: actor.kind, id: actor.id } };
}

/** The agent behind an agent route: registerAuth admits only agent tokens there, each naming its server. */
export function agentOf(request: FastifyRequest): AgentIdentity {
  const actor = actorOf(request);
  if (actor.kind !== 'agent' || !actor.assetId) throw fail('FORBIDDEN', 'this route is for agents');
  return { tenant: actor.tenant, assetId: actor.assetId };
}

export function agentsRoutes(deps: {
  enrollment: EnrollmentService;
  checkIn: CheckInService;
  limiter: RateLimiter;
}): FastifyPluginAsyncZod {
  const { enrollment, checkIn, limiter } = deps;
  return async (app) => {
    app.get(
      '/enrollment-tokens',
      {
        schema: {
          tags: ['agents'],
          summary: 'List enrollment tokens (never their secrets)',
          querystring: noQuery,
          response: { 200: enrollmentTokenListSchema, ...errors },
        },
      },
      async (request) => ({ items: await enrollment.list(actorOf(request).tenant) }),
    );
    app.post(
      '/enrollment-tokens',
      {
        schema: {
          tags: ['agents'],
          summary: 'Create a one-time token that enrolls a server’s agent; shown in this answer only',
          querystring: noQuery,
          body: createEnrollmentTokenBody,
          response: { 201: issuedEnrollmentTokenSchema, ...errors },
        },
      },
      async (request, reply) => {
        const issued = await enrollment.create(actorOf(request).tenant, request.body, metaOf(request));
        return reply.code(201).header('cache-control', 'no-store').send(issued);
      },
    );
    app.delete(
      '/enrollment-tokens/:enrollmentTokenId',
      {
        schema: {
          tags: ['agents'],
          summary: 'Revoke an enrollment token',
          params: enrollmentTokenParams,
          querystring: noQuery,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await enrollment.revoke(actorOf(request).tenant, request.params.enrollmentTokenId, metaOf(request));
        return reply.code(204).send(null);
      },
    );
    app.delete(
      '/assets/:assetId/agent-token',
      {
        schema: {
          tags: ['assets'],
          summary: "Revoke a server's agent token; its agent's next request is refused",
          params: agentAssetParams,
          querystring: noQuery,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await checkIn.revokeAgentToken(actorOf(request).tenant, request.params.assetId, metaOf(request));
        return reply.code(204).send(null);
      },
    );
    app.post(
      '/agent/enroll',
      {
        config: { public: true },
        // Token guessing: beyond the app-wide public budget, few enrollments per address, counted
        // before the body is even read, so malformed attempts count too.
        onRequest: async (request) => {
          await enforceRateLimit(limiter, 'enroll', ipRateLimitKey(request.ip));
        },
        schema: {
          tags: ['agent'],
          summary: 'Exchange a one-time enrollment token for the server’s agent token',
          querystring: noQuery,
          body: enrollRequestSchema,
          response: { 200: enrollResponseSchema, 429: problemSchema, ...errors },
        },
      },
      async (request, reply) => {
        const enrolled = await enrollment.enroll(request.body, metaOf(request, false));
        return reply.header('cache-control', 'no-store').send(enrolled);
      },
    );
    app.post(
      '/agent/check-in',
      {
        config: { agent: true },
        schema: {
          tags: ['agent'],
          summary: 'An agent reports it is alive and learns what the server wants from it',
          querystring: noQuery,
          body: checkInRequestSchema,
          response: { 200: checkInResponseSchema, ...errors },
        },
      },
      async (request) => checkIn.checkIn(agentOf(request), request.body),
    );
  };
}
