import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.ts';
import { problemSchema } from '../../http/problem.ts';
import { noQuery } from '../tenancy/tenancy.schemas.ts';
import {
  assetDetailSchema,
  assetListQuery,
  assetListSchema,
  assetParams,
  assetSchema,
  createAssetBody,
  updateAssetBody,
} from './assets.schemas.ts';
import type { AssetsService } from './assets.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

export function assetsRoutes(service: AssetsService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/assets',
      { schema: { tags: ['assets'], summary: 'List assets', querystring: assetListQuery, response: { 200: assetListSchema, ...errors } } },
      async (request) => ({ items: await service.list(actorOf(request).tenant, request.query) }),
    );
    app.post(
      '/assets',
      {
        schema: {
          tags: ['assets'],
          summary: 'Add a server or site',
          querystring: noQuery,
          body: createAssetBody,
          response: { 201: assetSchema, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await service.create(actorOf(request).tenant, request.body)),
    );
    app.get(
      '/assets/:assetId',
      {
        schema: {
          tags: ['assets'],
          summary: 'Get an asset with its agent’s state and open findings',
          params: assetParams,
          querystring: noQuery,
          response: { 200: assetDetailSchema, ...errors },
        },
      },
      async (request) => service.get(actorOf(request).tenant, request.params.assetId),
    );
    app.patch(
      '/assets/:assetId',
      {
        schema: {
          tags: ['assets'],
          summary: 'Rename an asset or move it to another client',
          params: assetParams,
          querystring: noQuery,
          body: updateAssetBody,
          response: { 200: assetSchema, ...errors },
        },
      },
      async (request) => service.update(actorOf(request).tenant, request.params.assetId, request.body),
    );
    app.delete(
      '/assets/:assetId',
      {
        schema: {
          tags: ['assets'],
          summary: 'Delete an asset',
          params: assetParams,
          querystring: noQuery,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await service.delete(actorOf(request).tenant, request.params.assetId);
        return reply.code(204).send(null);
      },
    );
  };
}
