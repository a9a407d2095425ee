import type { VersionComparator } from './comparator.ts';
import { InvalidVersionError } from './comparator.ts';
import { compareSaturating, phpCompareElements, phpElements, trailingDotReason } from './php-version-compare.ts';

/**
 * WordPress core, plugin and theme versions (`6.4.2`, `5.0-beta1`, `1.2.3.4`).
 *
 * Why raw PHP `version_compare`: that is what WordPress itself runs to decide whether something
 * is older (`version_compare( $wp_version, … )` in core, `version_compare( $plugin['Version'],
 * $update->new_version, '<' )` for plugin and theme updates), on the version string exactly as it
 * is stored. So no Composer normalisation here (unlike Packagist): `6.4` < `6.4.0`, and `#` is
 * punctuation. Numbers compare as 64-bit PHP's strtol reads them (saturating at LONG_MAX), because
 * that is WordPress's answer too.
 *
 * PHP orders every string, but not every string consistently, so Vigil rejects (no real
 * WordPress version looks like these): empty or blank strings; strings ending in a separator
 * (`4.`: PHP says `4.` < `4.beta` AND `4.beta` < `4.`); and `#` after a digit (`1#`: PHP keeps it
 * as an element equal to every number, which breaks transitivity).
 */
function invalidReason(version: string, elements: readonly string[]): string | undefined {
  if (version.trim() === '') return 'empty version';
  const trailing = trailingDotReason(elements);
  if (trailing !== undefined) return trailing;
  if (elements.some((e) => e.startsWith('#'))) {
    return '"#" after a digit: version_compare treats it as equal to every number, so it cannot be ordered consistently';
  }
  return undefined;
}

/** The version's version_compare elements, or InvalidVersionError. */
function elementsOf(version: string): string[] {
  const elements = phpElements(version);
  const reason = invalidReason(version, elements);
  if (reason !== undefined) throw new InvalidVersionError('WordPress', version, reason);
  return elements;
}

export const wordpressComparator: VersionComparator = {
  ecosystems: ['WordPress'],
  compare(a: string, b: string): -1 | 0 | 1 {
    return phpCompareElements(elementsOf(a), elementsOf(b), compareSaturating);
  },
  isValid(version: string): boolean {
    return invalidReason(version, phpElements(version)) === undefined;
  },
};
