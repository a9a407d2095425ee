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

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  code: string,
  status: number,
  title: string,
  rest: Partial<Problem> = {},
) {
  const body: Problem = { ...rest, type: problemType(code), title, status, instance: request.id };
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

/** Other client errors the framework raises, named by their status. */
const STATUS_CODES: Record<number, keyof typeof COMMON_ERRORS> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
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
      // SERVICE_UNAVAILABLE details are written for clients (readiness); other server-side
      // failures (a migration, the database) carry internal detail: logged, never answered.
      if (error.status >= 500 && error.code !== 'SERVICE_UNAVAILABLE') {
        request.log.error({ err: error }, 'request failed');
        return sendProblem(reply, request, error.code, error.status, error.title);
      }
      if (error.status === 429 && typeof error.extra?.retryAfter === 'number') reply.header('retry-after', String(error.extra.retryAfter));
      return sendProblem(reply, request, error.code, error.status, error.title, {
        ...(error.extra ?? {}),
        ...(error.detail ? { detail: error.detail } : {}),
      });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const spec = COMMON_ERRORS.VALIDATION_FAILED;
      const errors = issuesOf(error);
      return sendProblem(reply, request, 'VALIDATION_FAILED', spec.status, spec.title, {
        detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
        errors,
      });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response did not match its schema');
      return sendProblem(reply, request, 'INTERNAL', 500, COMMON_ERRORS.INTERNAL.title);
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) {
      const spec = COMMON_ERRORS[mapped];
      return sendProblem(reply, request, mapped, spec.status, spec.title);
    }
    if (error instanceof SyntaxError && error.statusCode === 400) {
      const spec = COMMON_ERRORS.MALFORMED_JSON;
      return sendProblem(reply, request, 'MALFORMED_JSON', spec.status, spec.title);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.info({ err: error }, 'request refused by the framework');
      const code = STATUS_CODES[error.statusCode] ?? 'BAD_REQUEST';
      return sendProblem(reply, request, code, error.statusCode, COMMON_ERRORS[code].title);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, request, 'INTERNAL', 500, COMMON_ERRORS.INTERNAL.title);
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, 'NOT_FOUND', 404, COMMON_ERRORS.NOT_FOUND.title));
}

/**
 * For errors the router raises before any route or error handler runs (an undecodable URL, an
 * over-long path parameter); passed to Fastify as `frameworkErrors`.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const code = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'URI_TOO_LONG' : 'BAD_REQUEST';
  const spec = COMMON_ERRORS[code];
  // No hook has run for this request: set what every response carries.
  reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff').header('cache-control', 'no-store');
  void sendProblem(reply, request, code, spec.status, spec.title);
}
