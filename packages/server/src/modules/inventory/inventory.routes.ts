import { INVENTORY_SCHEMA, inventoryReceiptSchema, PROTOCOL_LIMITS } from '@vigil/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problemSchema } from '../../http/problem.ts';
import { agentOf } from '../agents/index.ts';
import { noQuery } from '../tenancy/tenancy.schemas.ts';
import type { IngestService } from './ingest.service.ts';
import { boundedInventoryBody } from './inventory.body.ts';

const errors = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  413: problemSchema,
  415: problemSchema,
  422: problemSchema,
};

export function inventoryRoutes(service: IngestService): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/agent/inventory',
      {
        config: { agent: true },
        // The JSON after inflating may reach this; what is sent stays within 1 MB (boundedInventoryBody).
        bodyLimit: PROTOCOL_LIMITS.inflatedBytes,
        preParsing: async (request, _reply, payload) => boundedInventoryBody(request, payload),
        schema: {
          tags: ['agent'],
          summary: `An agent sends its server's inventory (${INVENTORY_SCHEMA}, JSON, optionally content-encoding gzip; at most 1 MB as sent)`,
          querystring: noQuery,
          response: { 200: inventoryReceiptSchema, ...errors },
        },
      },
      // Validated in the service: the limits (schema version, package count, duplicates) answer
      // with their own problem before the whole document is checked.
      async (request) => service.ingest(agentOf(request), request.body),
    );
  };
}
