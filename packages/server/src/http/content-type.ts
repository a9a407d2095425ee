import type { FastifyInstance } from 'fastify';
import { fail } from '../lib/app-error.ts';

/**
 * Only JSON bodies are accepted, and the media type is read strictly: `type/subtype` followed by
 * nothing or by `;` parameters. Loose matching is how validation bypasses happen (a
 * `application/json\tx` body parsed as one type and validated as another), so anything that is
 * not exactly application/json (case-insensitively, with an optional utf-8 charset) gets 415.
 */
const MEDIA_TYPE = /^([!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+)[ \t]*(;.*)?$/i;

export function isJsonContentType(header: string): boolean {
  const match = MEDIA_TYPE.exec(header.trim());
  if (match?.[1]?.toLowerCase() !== 'application/json') return false;
  const params = (match[2] ?? '')
    .slice(1)
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean);
  return params.every((p) => /^charset=("?)utf-8\1$/i.test(p));
}

export function registerJsonOnly(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  // Fastify's own JSON parser, set to refuse __proto__ and constructor.prototype keys.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(/^.*$/s, { parseAs: 'string' }, (request, body, done) => {
    const header = request.headers['content-type'];
    if (typeof header !== 'string' || !isJsonContentType(header)) {
      done(fail('UNSUPPORTED_MEDIA_TYPE', 'request bodies must be application/json'), undefined);
      return;
    }
    jsonParser(request, body as string, done);
  });
}
