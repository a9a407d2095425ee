import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config/config.ts';
import { actorOf } from '../../http/auth.ts';
import { problemSchema } from '../../http/problem.ts';
import { clearSessionCookies } from '../auth/http/refresh-cookie.ts';
import { eraseSelfBody, memberParams, noQuery } from './users.schemas.ts';
import type { RequestMeta, UsersService } from './users.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 429: problemSchema };

function metaOf(request: { ip?: string; headers: Record<string, unknown> }): RequestMeta {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

export function usersRoutes(service: UsersService, config: Pick<Config, 'tls'>): FastifyPluginAsyncZod {
  return async (app) => {
    app.delete(
      '/users/me',
      {
        // A member who must still enrol a second factor may still leave.
        config: { allowWithoutMfa: true },
        schema: {
          tags: ['users'],
          summary:
            'Erase your account and personal data (confirm with {"password"}; an account without one: log in again first). The last owner of an organization is refused.',
          querystring: noQuery,
          body: eraseSelfBody,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await service.eraseSelf(actorOf(request), request.body);
        clearSessionCookies(reply, config);
        return reply.code(204).send(null);
      },
    );

    app.delete(
      '/members/:memberId/personal-data',
      {
        schema: {
          tags: ['members'],
          summary:
            'Remove a member and erase what this organization holds on them; their account too when no other organization has them (OWNER, ADMIN)',
          params: memberParams,
          querystring: noQuery,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await service.eraseMember(actorOf(request).tenant, request.params.memberId, metaOf(request));
        return reply.code(204).send(null);
      },
    );
  };
}
