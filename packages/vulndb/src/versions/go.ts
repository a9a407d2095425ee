import type { VersionComparator } from './comparator.ts';
import { comparatorFrom, type SemverParts, SemverScanner } from './semver.ts';

/**
 * Go module versions, compared as golang.org/x/mod/semver's `Compare` does, with OSV's
 * conventions for the Go ecosystem:
 *
 * - OSV writes Go versions without the `v` (`1.22.0-0`), so the prefix is optional here (Go
 *   itself requires it);
 * - `vMAJOR` and `vMAJOR.MINOR` are shorthands for `.0` patch/minor, as in x/mod/semver's `parse`
 *   (and, as there, a shorthand cannot carry a pre-release or build: `v1.2-pre` is invalid);
 * - build metadata, so `+incompatible`, is ignored for ordering;
 * - pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.20191109021931-daa7c04131f5`,
 *   `v1.2.3-pre.0.20191109021931-daa7c04131f5`) need no special case: they are pre-releases whose
 *   fixed-width timestamp identifier sorts lexically in time order, just above their base;
 * - numbers of any length compare as integers (x/mod/semver's `compareInt`);
 * - like the SemVer comparator, `.N` components after the patch (`1.1.3.4.5`, which x/mod/semver
 *   rejects) are tolerated and ignored, as OSV's vector file requires.
 *
 * Where x/mod/semver's `Compare` silently orders an invalid version below every valid one, this
 * comparator throws InvalidVersionError.
 */

/** Mirrors x/mod/semver `parse`, with the `v` optional and the extra-component tolerance. */
function parseGo(version: string): SemverParts | { problem: string } {
  if (version === '') return { problem: 'empty version' };
  const s = new SemverScanner(version);
  s.eat('v');
  const major = s.number('major');
  if (typeof major !== 'string') return major;
  if (s.atEnd) return { major, minor: '0', patch: '0', prerelease: [] };
  if (!s.eat('.')) return { problem: `expected "." after the major number, found ${JSON.stringify(s.peek())}` };
  const minor = s.number('minor');
  if (typeof minor !== 'string') return minor;
  if (s.atEnd) return { major, minor, patch: '0', prerelease: [] };
  if (!s.eat('.'))
    return { problem: `expected "." after the minor number (a vMAJOR.MINOR shorthand takes no suffix), found ${JSON.stringify(s.peek())}` };
  const patch = s.number('patch');
  if (typeof patch !== 'string') return patch;
  s.skipExtraComponents();
  const prerelease = s.tail();
  if ('problem' in prerelease) return prerelease;
  return { major, minor, patch, prerelease };
}

export const goComparator: VersionComparator = comparatorFrom(['Go'], 'Go', parseGo);
