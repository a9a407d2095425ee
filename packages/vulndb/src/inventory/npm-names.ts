/** What the npm lockfile parsers (package-lock, yarn, pnpm) accept as a registry package. */

/** npm package names: `name` or `@scope/name`, no further slashes, no path tricks. */
export function isNpmPackageName(name: string): boolean {
  if (name.length === 0 || name.length > 214) return false;
  const parts = name.split('/');
  if (name.startsWith('@')) return parts.length === 2 && parts[0] !== '@' && isSegment(parts[1] ?? '');
  return parts.length === 1 && isSegment(name);
}

function isSegment(segment: string): boolean {
  return segment !== '' && segment !== '.' && segment !== '..' && !/[\s\\:@]/.test(segment);
}

/** A registry version: no protocol, path, fragment or whitespace (those are URLs and paths). */
export function isPlainNpmVersion(version: string): boolean {
  return version !== '' && version.length <= 256 && !/[\s:/#]/.test(version);
}
