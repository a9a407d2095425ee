import { apk } from './apk.ts';
import type { VersionComparator } from './comparator.ts';
import { dpkg } from './dpkg.ts';
import { goComparator } from './go.ts';
import { mavenComparator } from './maven.ts';
import { nugetComparator } from './nuget.ts';
import { packagistComparator } from './packagist.ts';
import { pep440Comparator } from './pep440.ts';
import { rpm } from './rpm.ts';
import { rubygemsComparator } from './rubygems.ts';
import { semverComparator } from './semver.ts';
import { wordpressComparator } from './wordpress.ts';

/** Every comparator Vigil has; the registry maps OSV ecosystem names to them. */
export const COMPARATORS: readonly VersionComparator[] = [
  dpkg,
  rpm,
  apk,
  pep440Comparator,
  semverComparator,
  goComparator,
  mavenComparator,
  rubygemsComparator,
  packagistComparator,
  nugetComparator,
  wordpressComparator,
];
