import type { FastifyRequest } from 'fastify';
import { authError } from '../auth.errors.ts';

/**
 * Refuses a browser request another site made. `Sec-Fetch-Site` (sent by every current browser)
 * must be same-origin or none (typed address, bookmark); `Origin`, when present, must be Vigil's
 * public origin. Clients that are not browsers send neither and pass: they carry no ambient
 * credentials an attacker could borrow. Used on login (login CSRF) and on every
 * cookie-authenticated change, which also need the CSRF token.
 */
export function assertSameOrigin(request: FastifyRequest, publicOrigin: string): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    throw authError('CSRF_REJECTED', `Sec-Fetch-Site: ${String(site).slice(0, 20)}`);
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== publicOrigin) throw authError('CSRF_REJECTED', 'the Origin is not this site');
}
