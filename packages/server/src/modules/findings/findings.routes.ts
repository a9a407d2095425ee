import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../../http/auth.ts';
import { problemSchema } from '../../http/problem.ts';
import { noQuery } from '../tenancy/tenancy.schemas.ts';
import {
  bulkStatusBody,
  bulkStatusResult,
  findingDetailSchema,
  findingListQuery,
  findingPageSchema,
  findingParams,
  findingSchema,
  statusChangeBody,
} from './findings.schemas.ts';
import type { FindingsService, RequestMeta } from './findings.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

function metaOf(request: FastifyRequest): RequestMeta {
  const actor = actorOf(request);
  const userAgent = request.headers['user-agent'];
  return { actor: { kind: actor.kind, id: actor.id }, ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

export function findingsRoutes(service: FindingsService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/findings',
      {
        schema: {
          tags: ['findings'],
          summary: 'List findings (filter, sort, cursor pages)',
          querystring: findingListQuery,
          response: { 200: findingPageSchema, ...errors },
        },
      },
      async (request) => service.list(actorOf(request).tenant, request.query),
    );
    app.get(
      '/findings/:findingId',
      {
        schema: {
          tags: ['findings'],
          summary: 'Get a finding with its evidence and triage history',
          params: findingParams,
          querystring: noQuery,
          response: { 200: findingDetailSchema, ...errors },
        },
      },
      async (request) => service.get(actorOf(request).tenant, request.params.findingId),
    );
    app.post(
      '/findings/:findingId/status',
      {
        schema: {
          tags: ['findings'],
          summary: 'Acknowledge, accept the risk of, mark false positive, or reopen a finding',
          params: findingParams,
          querystring: noQuery,
          body: statusChangeBody,
          response: { 200: findingSchema, ...errors },
        },
      },
      async (request) => service.setStatus(actorOf(request).tenant, request.params.findingId, request.body, metaOf(request)),
    );
    app.post(
      '/findings/bulk-status',
      {
        schema: {
          tags: ['findings'],
          summary: 'Change the status of up to 500 findings at once (all or none)',
          querystring: noQuery,
          body: bulkStatusBody,
          response: { 200: bulkStatusResult, ...errors },
        },
      },
      async (request) => {
        const { findingIds, ...change } = request.body;
        return service.setStatusBulk(actorOf(request).tenant, findingIds, change, metaOf(request));
      },
    );
  };
}
