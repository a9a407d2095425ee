import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';

/** Serves the dashboard's entry page and its assets (a placeholder until the dashboard lands). */
export function webRoutes(root: URL): FastifyPluginAsync {
  return async (app) => {
    const index = readFileSync(new URL('index.html', root));
    const css = readFileSync(new URL('assets/placeholder.css', root));
    const sendIndex = { config: { public: true }, schema: { hide: true } };
    app.get('/', sendIndex, async (_request, reply) => reply.type('text/html; charset=utf-8').send(index));
    app.get('/assets/placeholder.css', sendIndex, async (_request, reply) => reply.type('text/css; charset=utf-8').send(css));
  };
}
