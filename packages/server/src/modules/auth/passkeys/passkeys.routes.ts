import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db, Tx } from '../../../db/database.ts';
import { switchScope, withSystem } from '../../../db/tenant.ts';
import { type Actor, actorOf } from '../../../http/auth.ts';
import { problemSchema } from '../../../http/problem.ts';
import { fail } from '../../../lib/app-error.ts';
import { recordAudit } from '../../audit/audit.service.ts';
import { afterFirstFactorEnrolled, assertMayChangeFactors, hasSecondFactor } from '../factor-guard.ts';
import { passkeyError } from './passkeys.errors.ts';
import {
  creationOptionsSchema,
  emptyBody,
  loginBody,
  loginOptionsSchema,
  noQuery,
  PASSKEY_BODY_LIMIT,
  type PasskeyView,
  passkeyListSchema,
  passkeyParams,
  passkeySchema,
  registerBody,
  renameBody,
} from './passkeys.schemas.ts';
import type { PasskeysService } from './passkeys.service.ts';

export interface CompletedLoginInput {
  userId: string;
  method: 'passkey';
  /** A verified passkey is both factors at once. */
  mfaVerified: true;
}

export interface PasskeyRoutesDeps {
  db: Db;
  service: PasskeysService;
  /** Opens the session (the session module's), and returns the login response. */
  completeLogin: (request: FastifyRequest, reply: FastifyReply, input: CompletedLoginInput) => Promise<unknown>;
  /** The allow-list of that response. */
  loginResponse: z.ZodType;
}

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 413: problemSchema };
const tags = ['auth'];

/** Passkeys belong to people: an API key or an agent has none and manages none. */
function userOf(request: FastifyRequest): Actor {
  const actor = actorOf(request);
  if (actor.kind !== 'user') throw fail('FORBIDDEN', 'only a signed-in user has passkeys');
  return actor;
}

/** Audited in the actor's tenant, inside the transaction that made the change. */
async function audit(tx: Tx, request: FastifyRequest, actor: Actor, action: string, passkey: PasskeyView): Promise<void> {
  await switchScope.toTenant(tx, actor.tenant);
  await recordAudit(tx, actor.tenant, {
    action,
    actorUserId: actor.id,
    targetType: 'passkey',
    targetId: passkey.id,
    ip: request.ip,
    userAgent: request.headers['user-agent'],
    details: { name: passkey.name },
  });
}

export function passkeysRoutes({ db, service, completeLogin, loginResponse }: PasskeyRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/auth/passkeys',
      {
        config: { allowWithoutMfa: true },
        schema: { tags, summary: 'List my passkeys', querystring: noQuery, response: { 200: passkeyListSchema, ...errors } },
      },
      async (request) => {
        const actor = userOf(request);
        return { items: await withSystem(db, (tx) => service.list(tx, actor.id)) };
      },
    );

    app.post(
      '/auth/passkeys/registration/options',
      {
        config: { allowWithoutMfa: true },
        bodyLimit: PASSKEY_BODY_LIMIT,
        schema: {
          tags,
          summary: 'Start adding a passkey',
          querystring: noQuery,
          body: emptyBody,
          response: { 200: creationOptionsSchema, ...errors },
        },
      },
      async (request) => {
        const actor = userOf(request);
        return withSystem(db, async (tx) => {
          const user = await service.findUser(tx, actor.id);
          if (!user) throw fail('FORBIDDEN', 'this account cannot add passkeys');
          await assertMayChangeFactors(tx, actor);
          return service.registrationOptions(tx, user);
        });
      },
    );

    app.post(
      '/auth/passkeys/registration',
      {
        config: { allowWithoutMfa: true },
        bodyLimit: PASSKEY_BODY_LIMIT,
        schema: { tags, summary: 'Add a passkey', querystring: noQuery, body: registerBody, response: { 201: passkeySchema, ...errors } },
      },
      async (request, reply) => {
        const actor = userOf(request);
        const passkey = await withSystem(db, async (tx) => {
          await assertMayChangeFactors(tx, actor);
          const hadFactor = await hasSecondFactor(tx, actor.id);
          const added = await service.verifyRegistration(tx, actor.id, request.body.response, request.body.name);
          if (added) {
            await afterFirstFactorEnrolled(tx, actor, hadFactor);
            await audit(tx, request, actor, 'auth.passkey.added', added);
          }
          return added;
        });
        // Thrown after the commit, so the challenge stays spent.
        if (!passkey) throw passkeyError('PASSKEY_REGISTRATION_FAILED');
        return reply.code(201).send(passkey);
      },
    );

    app.patch(
      '/auth/passkeys/:passkeyId',
      {
        schema: {
          tags,
          summary: 'Rename a passkey',
          params: passkeyParams,
          querystring: noQuery,
          body: renameBody,
          response: { 200: passkeySchema, ...errors },
        },
      },
      async (request) => {
        const actor = userOf(request);
        return withSystem(db, async (tx) => {
          await assertMayChangeFactors(tx, actor);
          const renamed = await service.rename(tx, actor.id, request.params.passkeyId, request.body.name);
          await audit(tx, request, actor, 'auth.passkey.renamed', renamed);
          return renamed;
        });
      },
    );

    app.delete(
      '/auth/passkeys/:passkeyId',
      {
        schema: { tags, summary: 'Remove a passkey', params: passkeyParams, querystring: noQuery, response: { 204: z.null(), ...errors } },
      },
      async (request, reply) => {
        const actor = userOf(request);
        await withSystem(db, async (tx) => {
          await assertMayChangeFactors(tx, actor);
          const removed = await service.remove(tx, actor.id, request.params.passkeyId);
          await audit(tx, request, actor, 'auth.passkey.removed', removed);
        });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/passkeys/login/options',
      {
        config: { public: true },
        bodyLimit: PASSKEY_BODY_LIMIT,
        schema: {
          tags,
          summary: 'Start a passwordless login',
          querystring: noQuery,
          body: emptyBody,
          response: { 200: loginOptionsSchema, ...errors },
        },
      },
      async () => withSystem(db, (tx) => service.authenticationOptions(tx)),
    );

    app.post(
      '/auth/passkeys/login',
      {
        config: { public: true },
        bodyLimit: PASSKEY_BODY_LIMIT,
        schema: {
          tags,
          summary: 'Log in with a passkey',
          querystring: noQuery,
          body: loginBody,
          response: { 200: loginResponse, ...errors },
        },
      },
      async (request, reply) => {
        const login = await withSystem(db, (tx) => service.verifyAuthentication(tx, request.body.response));
        if (!login) throw passkeyError('PASSKEY_LOGIN_FAILED');
        return completeLogin(request, reply, { userId: login.userId, method: 'passkey', mfaVerified: true });
      },
    );
  };
}
