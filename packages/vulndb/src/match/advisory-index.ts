import type { OsvAffected, OsvRecord } from '../osv/model.ts';
import { ecosystemKey, normaliseName } from './ecosystems.ts';

/** One affected entry of one record, as the index hands it to the matcher. */
export interface IndexedAffected {
  record: OsvRecord;
  affected: OsvAffected;
  /** Where the record was read from (file, or `archive.zip!entry`), for messages. */
  origin: string;
}

export interface IndexStats {
  records: number;
  entries: number;
  withdrawn: number;
  /** Affected entries that cannot be placed: OS ecosystem without a release, no package. */
  unplaced: number;
  /** RustSec-style informational entries (unmaintained, unsound, notice): not vulnerabilities. */
  informational: number;
}

/**
 * Advisories indexed by (ecosystem key, normalised package name), so matching an inventory costs
 * one map lookup per installed package. Records are kept as read; nothing is merged here:
 * several records for one vulnerability fold into one finding later, per installed package.
 */
export class AdvisoryIndex {
  private readonly byKey = new Map<string, IndexedAffected[]>();
  readonly stats: IndexStats = { records: 0, entries: 0, withdrawn: 0, unplaced: 0, informational: 0 };

  add(record: OsvRecord, origin: string): void {
    this.stats.records++;
    if (record.withdrawn) {
      this.stats.withdrawn++;
      return;
    }
    for (const affected of record.affected ?? []) {
      const pkg = affected.package;
      if (!pkg) {
        this.stats.unplaced++;
        continue;
      }
      if (isInformational(affected)) {
        this.stats.informational++;
        continue;
      }
      const key = ecosystemKey(pkg.ecosystem);
      if (key === null) {
        this.stats.unplaced++;
        continue;
      }
      const lookup = `${key}\u0000${normaliseName(pkg.ecosystem, pkg.name)}`;
      let list = this.byKey.get(lookup);
      if (!list) {
        list = [];
        this.byKey.set(lookup, list);
      }
      list.push({ record, affected, origin });
      this.stats.entries++;
    }
  }

  /** The affected entries for a package name (already normalised) under an ecosystem key. */
  lookup(key: string, name: string): readonly IndexedAffected[] {
    return this.byKey.get(`${key}\u0000${name}`) ?? [];
  }
}

/**
 * RustSec marks advisories that are not vulnerabilities (`unmaintained`, `unsound`, `notice`) in
 * `database_specific.informational`; cargo-audit reports them as warnings, not vulnerabilities,
 * and so do we: they are left out of findings.
 */
function isInformational(affected: OsvAffected): boolean {
  const specific = affected.database_specific as Record<string, unknown> | undefined;
  const value = specific?.informational;
  return typeof value === 'string' && value !== '';
}
