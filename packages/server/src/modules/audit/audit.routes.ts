import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../../http/auth.ts';
import { problemSchema } from '../../http/problem.ts';
import { auditListQuery, auditPageSchema } from './audit.schemas.ts';
import type { AuditService } from './audit.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema };

export function auditRoutes(service: AuditService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/audit',
      {
        schema: {
          tags: ['audit'],
          summary: 'List the audit log, newest first (filter by action prefix, actor, target, client, time; page with nextCursor)',
          querystring: auditListQuery,
          response: { 200: auditPageSchema, ...errors },
        },
      },
      async (request) => service.list(actorOf(request).tenant, request.query),
    );
  };
}
