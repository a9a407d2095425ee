/**
 * The one coded error type. Each module declares a catalog of UPPER_SNAKE codes with their HTTP
 * status and title; the HTTP error handler turns an AppError into problem+json whose `type` is
 * derived from the code, so clients can branch on a stable identifier instead of on wording.
 */
export interface ErrorSpec {
  status: number;
  title: string;
}

export type ErrorCatalog = Record<string, ErrorSpec>;

export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(detail ?? title);
    this.name = 'AppError';
  }
}

/** Builds a typed `fail(code, detail)` for one catalog, so a module can only raise its own codes. */
export function errorFactory<C extends ErrorCatalog>(catalog: C) {
  return function fail(code: keyof C & string, detail?: string, extra?: Record<string, unknown>): AppError {
    const spec = catalog[code] as ErrorSpec;
    return new AppError(code, spec.status, spec.title, detail, extra);
  };
}

/** The URI that names an error kind in problem+json; stable across releases. */
export function problemType(code: string): string {
  return `urn:vigil:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

export const COMMON_ERRORS = {
  BAD_REQUEST: { status: 400, title: 'The request could not be understood' },
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  FORBIDDEN: { status: 403, title: 'You are not allowed to do this' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'The request conflicts with the current state' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  URI_TOO_LONG: { status: 414, title: 'The request URI is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'The service is not ready' },
  INTERNAL: { status: 500, title: 'Internal server error' },
} as const satisfies ErrorCatalog;

export const fail = errorFactory(COMMON_ERRORS);

/** 429 with the seconds to wait, which the error handler also sends as `Retry-After`. */
export function rateLimited(retryAfterSeconds: number, detail?: string): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return fail('RATE_LIMITED', detail ?? `try again in ${seconds} s`, { retryAfter: seconds });
}
