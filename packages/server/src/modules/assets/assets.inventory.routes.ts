import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../../http/auth.ts';
import { problemSchema } from '../../http/problem.ts';
import { noQuery } from '../tenancy/tenancy.schemas.ts';
import {
  changesPageSchema,
  changesQuery,
  factsSchema,
  historyPageSchema,
  historyQuery,
  packageListQuery,
  packagePageSchema,
} from './assets.inventory.schemas.ts';
import type { AssetInventoryService } from './assets.inventory.service.ts';
import { assetParams } from './assets.schemas.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

/** What a server's agent reported: packages now, the inventories received, what each changed, the latest facts. */
export function assetInventoryRoutes(service: AssetInventoryService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/assets/:assetId/packages',
      {
        schema: {
          tags: ['assets'],
          summary: 'List the packages installed on a server (by ecosystem, then name)',
          params: assetParams,
          querystring: packageListQuery,
          response: { 200: packagePageSchema, ...errors },
        },
      },
      async (request) => service.packages(actorOf(request).tenant, request.params.assetId, request.query),
    );
    app.get(
      '/assets/:assetId/inventory-history',
      {
        schema: {
          tags: ['assets'],
          summary: 'List the inventories a server sent that changed something, newest first',
          params: assetParams,
          querystring: historyQuery,
          response: { 200: historyPageSchema, ...errors },
        },
      },
      async (request) => service.history(actorOf(request).tenant, request.params.assetId, request.query),
    );
    app.get(
      '/assets/:assetId/package-changes',
      {
        schema: {
          tags: ['assets'],
          summary: 'List package additions, removals and version changes on a server, newest first',
          params: assetParams,
          querystring: changesQuery,
          response: { 200: changesPageSchema, ...errors },
        },
      },
      async (request) => service.changes(actorOf(request).tenant, request.params.assetId, request.query),
    );
    app.get(
      '/assets/:assetId/facts',
      {
        schema: {
          tags: ['assets'],
          summary: 'Get the configuration facts, listening services and collector reports of the latest inventory',
          params: assetParams,
          querystring: noQuery,
          response: { 200: factsSchema, ...errors },
        },
      },
      async (request) => service.facts(actorOf(request).tenant, request.params.assetId),
    );
  };
}
