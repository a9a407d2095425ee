import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fail } from '../lib/app-error.ts';
import { problemSchema } from './problem.ts';

export interface HealthDeps {
  /** Resolves to the ids of migrations not yet applied; throws when the database is unreachable. */
  pendingMigrations(): Promise<string[]>;
  /** True once shutdown has begun, so load balancers stop sending new work. */
  isDraining(): boolean;
}

const statusSchema = z.object({ status: z.literal('ok') });

export function healthRoutes(deps: HealthDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/healthz',
      {
        config: { public: true },
        schema: { tags: ['health'], summary: 'The process is up', security: [], response: { 200: statusSchema } },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        config: { public: true },
        schema: {
          tags: ['health'],
          summary: 'The database is reachable and migrated',
          security: [],
          response: { 200: statusSchema, 503: problemSchema },
        },
      },
      async (request) => {
        if (deps.isDraining()) throw fail('SERVICE_UNAVAILABLE', 'the server is shutting down');
        let pending: string[];
        try {
          pending = await deps.pendingMigrations();
        } catch (error) {
          request.log.warn({ err: error }, 'readiness check: database unreachable');
          throw fail('SERVICE_UNAVAILABLE', 'the database is unreachable');
        }
        if (pending.length > 0) throw fail('SERVICE_UNAVAILABLE', `migrations not applied: ${pending.join(', ')}`);
        return { status: 'ok' as const };
      },
    );
  };
}
