import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../../http/auth.ts';
import { problemSchema } from '../../../http/problem.ts';
import { noQuery } from '../../tenancy/tenancy.schemas.ts';
import {
  agentTokenParams,
  apiKeyListSchema,
  apiKeyParams,
  createAgentTokenBody,
  createApiKeyBody,
  issuedApiKeySchema,
} from './api-keys.schemas.ts';
import type { ApiKeysService, RequestMeta } from './api-keys.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

function metaOf(request: FastifyRequest): RequestMeta {
  const actor = actorOf(request);
  const userAgent = request.headers['user-agent'];
  return { actor: { kind: actor.kind, id: actor.id }, ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

export function apiKeysRoutes(service: ApiKeysService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api-keys',
      {
        schema: {
          tags: ['api-keys'],
          summary: 'List API keys and agent tokens (never their secrets)',
          querystring: noQuery,
          response: { 200: apiKeyListSchema, ...errors },
        },
      },
      async (request) => ({ items: await service.list(actorOf(request).tenant) }),
    );
    app.post(
      '/api-keys',
      {
        schema: {
          tags: ['api-keys'],
          summary: 'Create an API key; its token is shown in this answer only',
          querystring: noQuery,
          body: createApiKeyBody,
          response: { 201: issuedApiKeySchema, ...errors },
        },
      },
      async (request, reply) => {
        const issued = await service.create(actorOf(request).tenant, request.body, metaOf(request));
        // The token is in this body and nowhere else: no cache may keep a copy.
        return reply.code(201).header('cache-control', 'no-store').send(issued);
      },
    );
    app.delete(
      '/api-keys/:apiKeyId',
      {
        schema: {
          tags: ['api-keys'],
          summary: 'Revoke an API key or agent token',
          params: apiKeyParams,
          querystring: noQuery,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await service.revoke(actorOf(request).tenant, request.params.apiKeyId, metaOf(request));
        return reply.code(204).send(null);
      },
    );
    app.post(
      '/assets/:assetId/agent-token',
      {
        schema: {
          tags: ['assets'],
          summary: "Issue a server's agent token (revoking its previous one); shown in this answer only",
          params: agentTokenParams,
          querystring: noQuery,
          body: createAgentTokenBody,
          response: { 201: issuedApiKeySchema, ...errors },
        },
      },
      async (request, reply) => {
        const issued = await service.createAgentToken(actorOf(request).tenant, request.params.assetId, request.body ?? {}, metaOf(request));
        return reply.code(201).header('cache-control', 'no-store').send(issued);
      },
    );
  };
}
