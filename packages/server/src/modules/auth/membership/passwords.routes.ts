import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../../config/config.ts';
import { actorOf } from '../../../http/auth.ts';
import { problemSchema } from '../../../http/problem.ts';
import { requestMeta } from '../auth.routes.ts';
import { assertSameOrigin } from '../http/origin-guard.ts';
import { changePasswordBody, passwordResetAccepted, passwordResetBody, passwordResetCompleteBody } from './membership.schemas.ts';
import type { PasswordsService } from './passwords.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 429: problemSchema };
const noQuery = z.strictObject({});
const ACCEPTED = {
  status: 'accepted' as const,
  message: 'If an account uses this address, a link to choose a new password is on its way.',
};

export function passwordRoutes(deps: { config: Pick<Config, 'publicUrl'>; passwords: PasswordsService }): FastifyPluginAsyncZod {
  const { config, passwords } = deps;
  return async (app) => {
    app.post(
      '/auth/password-reset',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Mail a password-reset link (the same answer whether or not the address has an account)',
          querystring: noQuery,
          body: passwordResetBody,
          response: { 202: passwordResetAccepted, ...errors },
        },
      },
      async (request, reply) => {
        assertSameOrigin(request, config.publicUrl.origin);
        await passwords.request(request.body.email, requestMeta(request));
        reply.header('cache-control', 'no-store');
        return reply.code(202).send(ACCEPTED);
      },
    );

    app.post(
      '/auth/password-reset/complete',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Choose a new password with the emailed token; ends every session and does not sign in',
          querystring: noQuery,
          body: passwordResetCompleteBody,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        assertSameOrigin(request, config.publicUrl.origin);
        await passwords.complete(request.body, requestMeta(request));
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/password',
      {
        schema: {
          tags: ['auth'],
          summary: 'Change your password (ends your other sessions)',
          querystring: noQuery,
          body: changePasswordBody,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await passwords.change(actorOf(request), request.body, requestMeta(request));
        return reply.code(204).send(null);
      },
    );
  };
}
