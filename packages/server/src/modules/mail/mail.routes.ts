import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../../http/auth.ts';
import { problemSchema } from '../../http/problem.ts';
import { outboxPageSchema, outboxQuery } from './mail.schemas.ts';
import type { MailService } from './mail.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema };

export function mailRoutes(service: MailService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/mail/outbox',
      {
        schema: {
          tags: ['mail'],
          summary: 'Mail stored instead of sent (no SMTP server configured), newest first; page with nextCursor',
          querystring: outboxQuery,
          response: { 200: outboxPageSchema, ...errors },
        },
      },
      async (request, reply) => {
        // The bodies hold invitation links: no shared cache may keep them.
        reply.header('cache-control', 'no-store');
        return service.listOutbox(actorOf(request).tenant, request.query);
      },
    );
  };
}
