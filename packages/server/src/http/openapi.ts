import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** The OpenAPI 3.1 document is generated from the same zod schemas the routes validate with. */
export async function registerOpenApi(app: FastifyInstance, opts: { version: string; serverUrl: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Vigil API',
        version: opts.version,
        description: 'Self-hosted, multi-tenant vulnerability monitoring. Errors are RFC 9457 problem details.',
      },
      servers: [{ url: opts.serverUrl }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
    },
    // Public routes (login, refresh, health) say so in the document: `security: []` overrides
    // the document-wide bearer requirement, so generated clients send no token there.
    transform: (input) => {
      const output = jsonSchemaTransform(input);
      if (input.route.config?.public === true) return { ...output, schema: { ...output.schema, security: [] } };
      return output;
    },
  });
}
