const BASE = 'http://vigil.invalid';
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_LENGTH = 2048;

/**
 * Where to send someone after login: a path on this site, or `/`. Only a relative path that
 * starts with one `/` is kept; `//evil`, `/\\evil`, `https:evil`, `javascript:…`, encoded
 * variants (`%2F%2Fevil`, decoded repeatedly) and anything with control characters fall back to
 * `/`. The result is re-parsed against a fixed origin to prove it cannot leave it.
 */
export function safeRedirectPath(input: unknown, fallback = '/'): string {
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_LENGTH) return fallback;
  let decoded = input;
  for (let i = 0; i < 3; i++) {
    if (!isSafeShape(decoded)) return fallback;
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return fallback;
    }
    if (next === decoded) break;
    decoded = next;
  }
  if (!isSafeShape(decoded)) return fallback;
  let url: URL;
  try {
    url = new URL(input, BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== BASE || !url.pathname.startsWith('/') || url.pathname.startsWith('//')) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}

function isSafeShape(value: string): boolean {
  return value.startsWith('/') && !value.startsWith('//') && !value.includes('\\') && !CONTROL.test(value);
}
