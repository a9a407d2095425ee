import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../../http/auth.ts';
import { problemSchema } from '../../../http/problem.ts';
import { noQuery } from '../../tenancy/tenancy.schemas.ts';
import { backupCodesSchema, codeBody, mfaStatusSchema, totpEnrolmentSchema } from './mfa.schemas.ts';
import type { MfaService, RequestMeta } from './mfa.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 409: problemSchema };

function metaOf(request: FastifyRequest): RequestMeta {
  return { ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
}

/**
 * The signed-in user's own second factor. Mounted under `/api/v1`. The code-checking routes
 * (confirm, disable, regenerate) are online guessing targets and belong behind the per-account
 * rate limit. Status and enrolment stay open to a session that has not passed a second factor
 * (`allowWithoutMfa`): a member of an organization that requires 2FA must be able to set one up.
 * Turning it off or minting backup codes needs a code of the factor itself.
 */
export function mfaRoutes(service: MfaService): FastifyPluginAsyncZod {
  return async (app) => {
    // Secrets and backup codes are shown once: no browser or proxy cache may keep an answer.
    // The app sets this for every /api/ path already; here it holds wherever the plugin is mounted.
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('cache-control', 'no-store');
      return payload;
    });

    app.get(
      '/auth/mfa',
      {
        config: { allowWithoutMfa: true },
        schema: {
          tags: ['auth'],
          summary: 'Second-factor status of the signed-in user',
          querystring: noQuery,
          response: { 200: mfaStatusSchema, ...errors },
        },
      },
      async (request) => service.status(actorOf(request)),
    );

    app.post(
      '/auth/mfa/totp',
      {
        config: { allowWithoutMfa: true },
        schema: {
          tags: ['auth'],
          summary: 'Start setting up an authenticator app (replaces an unconfirmed set-up)',
          querystring: noQuery,
          response: { 201: totpEnrolmentSchema, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await service.startTotp(actorOf(request))),
    );

    app.post(
      '/auth/mfa/totp/confirm',
      {
        config: { allowWithoutMfa: true },
        schema: {
          tags: ['auth'],
          summary: 'Confirm the authenticator app with a code; returns the backup codes, once',
          querystring: noQuery,
          body: codeBody,
          response: { 200: backupCodesSchema, ...errors },
        },
      },
      async (request) => service.confirmTotp(actorOf(request), request.body.code, metaOf(request)),
    );

    app.delete(
      '/auth/mfa/totp',
      {
        schema: {
          tags: ['auth'],
          summary: 'Turn off the authenticator app and the backup codes (needs a current code or a backup code)',
          querystring: noQuery,
          body: codeBody,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await service.disableTotp(actorOf(request), request.body.code, metaOf(request));
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/mfa/backup-codes',
      {
        schema: {
          tags: ['auth'],
          summary: 'Replace the backup codes (needs a current authenticator code); returns them, once',
          querystring: noQuery,
          body: codeBody,
          response: { 200: backupCodesSchema, ...errors },
        },
      },
      async (request) => service.regenerateBackupCodes(actorOf(request), request.body.code, metaOf(request)),
    );
  };
}
