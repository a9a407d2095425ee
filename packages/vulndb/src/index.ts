export { InvalidVersionError, type VersionComparator } from './versions/comparator.ts';
export { comparatorFor, KNOWN_ECOSYSTEMS, UnknownEcosystemError } from './versions/registry.ts';
