import { type AdvisoryProblem, AdvisorySourceError } from '../advisories/model.ts';
import { readAdvisories } from '../advisories/reader.ts';
import { AdvisoryIndex } from '../match/advisory-index.ts';

export interface LoadedAdvisories {
  index: AdvisoryIndex;
  records: number;
  problems: number;
}

/**
 * Reads every advisory source into one index. Problems (a record breaking the schema, a file that
 * does not parse) go to `onProblem` and the rest load; a source that cannot be trusted throws
 * AdvisorySourceError. With `ecosystems`, documents that cannot concern them are not parsed; with
 * `wantPackage`, only records naming a package it accepts are kept (distribution feeds are not
 * even converted for the others), so memory follows what is installed, not the feed's size.
 */
export async function loadAdvisories(
  paths: readonly string[],
  onProblem: (problem: AdvisoryProblem) => void,
  options: { ecosystems?: Iterable<string>; wantPackage?: (ecosystem: string, name: string) => boolean } = {},
): Promise<LoadedAdvisories> {
  const index = new AdvisoryIndex();
  let records = 0;
  let problems = 0;
  let skipped = 0;
  for (const path of paths) {
    const ecosystems = options.ecosystems ? [...options.ecosystems] : undefined;
    const want = options.wantPackage;
    const result = await readAdvisories(
      path,
      {
        record: (record, origin) => {
          if (!want || record.affected?.some((a) => a.package && want(a.package.ecosystem, a.package.name))) index.add(record, origin);
        },
        problem: onProblem,
      },
      { ...(ecosystems ? { ecosystems } : {}), ...(options.wantPackage ? { wantPackage: options.wantPackage } : {}) },
    );
    records += result.records;
    problems += result.problems;
    skipped += result.skipped;
  }
  // Sources that yielded nothing but problems are unusable: a scan against them would look clean.
  // (One broken source beside good ones is reported, and the rest load.)
  if (records === 0 && problems > 0 && skipped === 0) {
    throw new AdvisorySourceError(paths.join(', '), `no advisory could be read (${problems} problems, reported above)`);
  }
  return { index, records, problems };
}
