import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.ts';
import { actorOf } from '../../http/auth.ts';
import { problemSchema } from '../../http/problem.ts';
import { updateOrganization } from './organization-settings.service.ts';
import {
  clientListSchema,
  clientParams,
  clientSchema,
  createClientBody,
  memberListSchema,
  memberParams,
  memberSchema,
  noQuery,
  organizationSchema,
  updateClientBody,
  updateMemberBody,
  updateOrganizationBody,
} from './tenancy.schemas.ts';
import type { MemberChangeMeta, TenancyService } from './tenancy.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };

/** Where a change came from, for its audit entry. */
function changeMeta(request: FastifyRequest): MemberChangeMeta {
  // Agents never reach member routes (registerAuth), so the actor is a person or an API key.
  const kind = actorOf(request).kind === 'api_key' ? 'api_key' : 'user';
  return { ip: request.ip, userAgent: request.headers['user-agent'] ?? null, actorKind: kind };
}

/** Members are added by invitation only (modules/auth/membership), so there is no `POST /members`. */
export function tenancyRoutes(service: TenancyService, db: Db): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/organization',
      {
        schema: {
          tags: ['organization'],
          summary: 'The current organization',
          querystring: noQuery,
          response: { 200: organizationSchema, ...errors },
        },
      },
      async (request) => service.getOrganization(actorOf(request).tenant),
    );

    app.patch(
      '/organization',
      {
        schema: {
          tags: ['organization'],
          summary: 'Rename the organization or change its settings (require 2FA)',
          querystring: noQuery,
          body: updateOrganizationBody,
          response: { 200: organizationSchema, ...errors },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        return updateOrganization(db, actor.tenant, request.body, {
          ip: request.ip,
          userAgent: request.headers['user-agent'] ?? null,
          personWithSecondFactor: actor.kind === 'user' && actor.mfaVerified === true,
        });
      },
    );

    app.get(
      '/clients',
      { schema: { tags: ['clients'], summary: 'List clients', querystring: noQuery, response: { 200: clientListSchema, ...errors } } },
      async (request) => ({ items: await service.listClients(actorOf(request).tenant) }),
    );
    app.post(
      '/clients',
      {
        schema: {
          tags: ['clients'],
          summary: 'Create a client',
          querystring: noQuery,
          body: createClientBody,
          response: { 201: clientSchema, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await service.createClient(actorOf(request).tenant, request.body)),
    );
    app.get(
      '/clients/:clientId',
      {
        schema: {
          tags: ['clients'],
          summary: 'Get a client',
          params: clientParams,
          querystring: noQuery,
          response: { 200: clientSchema, ...errors },
        },
      },
      async (request) => service.getClient(actorOf(request).tenant, request.params.clientId),
    );
    app.patch(
      '/clients/:clientId',
      {
        schema: {
          tags: ['clients'],
          summary: 'Rename a client',
          params: clientParams,
          querystring: noQuery,
          body: updateClientBody,
          response: { 200: clientSchema, ...errors },
        },
      },
      async (request) => service.renameClient(actorOf(request).tenant, request.params.clientId, request.body),
    );
    app.delete(
      '/clients/:clientId',
      {
        schema: {
          tags: ['clients'],
          summary: 'Delete a client without assets',
          params: clientParams,
          querystring: noQuery,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await service.deleteClient(actorOf(request).tenant, request.params.clientId);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/members',
      { schema: { tags: ['members'], summary: 'List members', querystring: noQuery, response: { 200: memberListSchema, ...errors } } },
      async (request) => ({ items: await service.listMembers(actorOf(request).tenant) }),
    );
    app.patch(
      '/members/:memberId',
      {
        schema: {
          tags: ['members'],
          summary: "Change a member's role",
          params: memberParams,
          querystring: noQuery,
          body: updateMemberBody,
          response: { 200: memberSchema, ...errors },
        },
      },
      async (request) => service.updateMember(actorOf(request).tenant, request.params.memberId, request.body, changeMeta(request)),
    );
    app.delete(
      '/members/:memberId',
      {
        schema: {
          tags: ['members'],
          summary: 'Remove a member',
          params: memberParams,
          querystring: noQuery,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await service.removeMember(actorOf(request).tenant, request.params.memberId, changeMeta(request));
        return reply.code(204).send(null);
      },
    );
  };
}
