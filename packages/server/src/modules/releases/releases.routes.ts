import { signedReleaseSchema } from '@vigil/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemSchema } from '../../http/problem.ts';
import { renderInstallScript } from './install-script.ts';
import { agentReleaseQuery, downloadParams, latestManifestQuery, MANIFEST_FILE } from './releases.schemas.ts';
import type { ReleasesService } from './releases.service.ts';

/** Versioned files never change (a new build is a new version): caches may keep them for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** `GET /api/v1/agent/release` (agent token only): the signed manifest to install next. */
export function releaseAgentRoutes(service: ReleasesService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/agent/release',
      {
        config: { agent: true },
        schema: {
          tags: ['agent'],
          summary: 'The signed release manifest this agent should install next (204: none)',
          querystring: agentReleaseQuery,
          response: { 200: signedReleaseSchema, 204: z.null(), 400: problemSchema, 401: problemSchema, 403: problemSchema },
        },
      },
      async (request, reply) => {
        const release = await service.forAgent(request.query.platform, request.query.current);
        return release ? release : reply.code(204).send(null);
      },
    );
  };
}

/**
 * Public, outside the API (and so outside the OpenAPI document): the agent files and manifests an
 * operator published, for installs and air-gapped mirrors, and the install script. None of it is
 * secret: a bundle is useless without an enrollment token, and a manifest is signed.
 */
export function releaseDownloadRoutes(service: ReleasesService, publicUrl: URL): FastifyPluginAsyncZod {
  const script = renderInstallScript(publicUrl);
  return async (app) => {
    const hidden = { config: { public: true }, schema: { hide: true } } as const;
    app.get('/install.sh', hidden, async (_request, reply) => {
      reply.header('cache-control', 'no-cache');
      return reply.type('text/x-shellscript; charset=utf-8').send(script);
    });

    app.get(
      '/downloads/agent/latest/manifest.json',
      { ...hidden, schema: { hide: true, querystring: latestManifestQuery } },
      async (request, reply) => {
        reply.header('cache-control', 'no-cache');
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(await service.latestManifest(request.query.platform)));
      },
    );

    app.get(
      '/downloads/agent/:platform/:version/:file',
      // No HEAD twin: it would open the file and never read it.
      { ...hidden, exposeHeadRoute: false, schema: { hide: true, params: downloadParams } },
      async (request, reply) => {
        const { platform, version, file } = request.params;
        const { handle, size } = await service.openDownload(platform, version, file);
        reply.header('content-length', size);
        // A manifest may be re-signed (a later expiry) for the same file; the file itself never changes.
        if (file === MANIFEST_FILE) reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache');
        else {
          reply.type('application/octet-stream').header('cache-control', IMMUTABLE);
          reply.header('content-disposition', `attachment; filename="${file}"`);
        }
        return reply.send(handle.createReadStream());
      },
    );
  };
}
