import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, COMMON_ERRORS, problemType } from '../lib/app-error.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** RFC 9457 problem details, as every error response carries them. */
export const problemSchema = z
  .object({
    type: z.string().describe('Stable URI naming the kind of error'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional().describe('The request id; quote it when reporting a problem'),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .passthrough();
export type Problem = z.infer<typeof problemSchema>;

function send(reply: FastifyReply, request: FastifyRequest, code: string, status: number, title: string, rest: Partial<Problem> = {}) {
  const body: Problem = { type: problemType(code), title, status, ...rest, instance: request.id };
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** Fastify's own errors that are the client's fault, mapped to our codes. */
const FASTIFY_CODES: Record<string, keyof typeof COMMON_ERRORS> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

function issuesOf(error: FastifyError): { path: string; message: string }[] {
  if (!hasZodFastifySchemaValidationErrors(error)) return [];
  const where = error.validationContext ?? 'body';
  return error.validation.map((v) => ({
    path: [
      where,
      ...String(v.instancePath ?? '')
        .split('/')
        .filter(Boolean),
    ].join('.'),
    message: v.message ?? 'is invalid',
  }));
}

/**
 * The one place errors become responses. Known errors keep their code and status; everything
 * else (database errors, bugs) becomes a bare 500 carrying only the request id, so no SQL, stack
 * or internal message reaches a client. The full error goes to the log with the same id.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      const { extra } = error;
      return send(reply, request, error.code, error.status, error.title, {
        ...(error.detail ? { detail: error.detail } : {}),
        ...(extra ?? {}),
      });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const spec = COMMON_ERRORS.VALIDATION_FAILED;
      const errors = issuesOf(error);
      return send(reply, request, 'VALIDATION_FAILED', spec.status, spec.title, {
        detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
        errors,
      });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response did not match its schema');
      return send(reply, request, 'INTERNAL', 500, COMMON_ERRORS.INTERNAL.title);
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) {
      const spec = COMMON_ERRORS[mapped];
      return send(reply, request, mapped, spec.status, spec.title);
    }
    if (error instanceof SyntaxError && error.statusCode === 400) {
      const spec = COMMON_ERRORS.MALFORMED_JSON;
      return send(reply, request, 'MALFORMED_JSON', spec.status, spec.title);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.info({ err: error }, 'request refused by the framework');
      return send(reply, request, 'VALIDATION_FAILED', error.statusCode, 'The request could not be processed');
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, request, 'INTERNAL', 500, COMMON_ERRORS.INTERNAL.title);
  });

  app.setNotFoundHandler((request, reply) => send(reply, request, 'NOT_FOUND', 404, COMMON_ERRORS.NOT_FOUND.title));
}
