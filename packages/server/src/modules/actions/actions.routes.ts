import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../../http/auth.ts';
import { problemSchema } from '../../http/problem.ts';
import { noQuery } from '../tenancy/tenancy.schemas.ts';
import { actionListSchema, actionParams, actionSchema, assetActionParams, createActionBody } from './actions.schemas.ts';
import type { ActionsService, RequestMeta } from './actions.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };
const tags = ['actions'];

function metaOf(request: FastifyRequest): RequestMeta {
  const actor = actorOf(request);
  return { ip: request.ip, userAgent: request.headers['user-agent'] ?? null, apiKeyId: actor.kind === 'api_key' ? actor.id : null };
}

/** The dashboard's routes: ask for an action on a server, list, read, approve, deny, cancel. */
export function actionsRoutes(service: ActionsService): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/assets/:assetId/actions',
      {
        schema: {
          tags,
          summary: 'Ask for an action on a server (it waits for a second approver when the organization requires one)',
          params: assetActionParams,
          querystring: noQuery,
          body: createActionBody,
          response: { 201: actionSchema, ...errors },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await service.create(actorOf(request).tenant, request.params.assetId, request.body, metaOf(request))),
    );
    app.get(
      '/assets/:assetId/actions',
      {
        schema: {
          tags,
          summary: "List a server's actions, newest first",
          params: assetActionParams,
          querystring: noQuery,
          response: { 200: actionListSchema, ...errors },
        },
      },
      async (request) => ({ items: await service.list(actorOf(request).tenant, request.params.assetId) }),
    );
    app.get(
      '/actions/:actionId',
      {
        schema: { tags, summary: 'Get an action', params: actionParams, querystring: noQuery, response: { 200: actionSchema, ...errors } },
      },
      async (request) => service.get(actorOf(request).tenant, request.params.actionId),
    );
    const step = (path: string, summary: string, run: ActionsService['approve']) =>
      app.post(
        `/actions/:actionId/${path}`,
        { schema: { tags, summary, params: actionParams, querystring: noQuery, response: { 200: actionSchema, ...errors } } },
        async (request) => run(actorOf(request).tenant, request.params.actionId, metaOf(request)),
      );
    step('approve', 'Approve an action another member asked for: it is signed and offered to the agent', service.approve);
    step('deny', 'Deny an action waiting for approval', service.deny);
    step('cancel', 'Cancel an action before its agent has fetched it (the member who asked, or an admin)', service.cancel);
  };
}
