import { comparatorFor } from '@vigil/vulndb';

const semver = comparatorFor('npm');

/**
 * -1, 0 or 1 as release version `a` sorts before, equal to or after `b` (SemVer precedence, so a
 * pre-release sorts before its release: 1.2.0-rc.1 < 1.2.0). Null when either is not a version:
 * the caller refuses then, it never guesses an order.
 */
export function compareReleaseVersions(a: string, b: string): -1 | 0 | 1 | null {
  if (!semver.isValid(a) || !semver.isValid(b)) return null;
  return semver.compare(a, b);
}
