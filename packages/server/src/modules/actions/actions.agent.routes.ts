import { actionListSchema, actionResultSchema } from '@vigil/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.ts';
import { problemSchema } from '../../http/problem.ts';
import { noQuery } from '../tenancy/tenancy.schemas.ts';
import type { AgentActionsService } from './actions.agent.service.ts';
import { actionParams } from './actions.schemas.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };
const tags = ['agent'];

/** The agent's routes (agent tokens only; every other actor gets 403 from the auth gate). */
export function agentActionsRoutes(service: AgentActionsService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/agent/actions',
      {
        config: { agent: true },
        schema: {
          tags,
          summary: "The approved, signed actions for the calling agent's server",
          querystring: noQuery,
          response: { 200: actionListSchema, ...errors },
        },
      },
      async (request) => service.pull(actorOf(request)),
    );
    app.post(
      '/agent/actions/:actionId/result',
      {
        config: { agent: true },
        schema: {
          tags,
          summary: 'Report what running (or refusing) an action did; once per action',
          params: actionParams,
          querystring: noQuery,
          body: actionResultSchema,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await service.report(actorOf(request), request.params.actionId, request.body);
        return reply.code(204).send(null);
      },
    );
  };
}
