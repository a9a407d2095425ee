import cvssCalculator from 'ae-cvss-calculator';

/** A CVSS version Vigil scores. */
export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const quote = (value: string, max = 80): string => JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);

// ---------------------------------------------------------------------------------------------
// CVSS vectors

type MetricTable = ReadonlyMap<string, readonly string[]>;

const table = (entries: Record<string, string>): MetricTable =>
  new Map(Object.entries(entries).map(([key, values]) => [key, values.split(' ')] as const));

const V2_BASE = table({ AV: 'L A N', AC: 'H M L', Au: 'M S N', C: 'N P C', I: 'N P C', A: 'N P C' });
const V2_OTHER = table({
  E: 'U POC F H ND',
  RL: 'OF TF W U ND',
  RC: 'UC UR C ND',
  CDP: 'N L LM MH H ND',
  TD: 'N L M H ND',
  CR: 'L M H ND',
  IR: 'L M H ND',
  AR: 'L M H ND',
});
const V3_BASE = table({ AV: 'N A L P', AC: 'L H', PR: 'N L H', UI: 'N R', S: 'U C', C: 'H L N', I: 'H L N', A: 'H L N' });
const V3_OTHER = table({
  E: 'X U P F H',
  RL: 'X O T W U',
  RC: 'X U R C',
  CR: 'X L M H',
  IR: 'X L M H',
  AR: 'X L M H',
  MAV: 'X N A L P',
  MAC: 'X L H',
  MPR: 'X N L H',
  MUI: 'X N R',
  MS: 'X U C',
  MC: 'X N L H',
  MI: 'X N L H',
  MA: 'X N L H',
});
const V4_BASE = table({
  AV: 'N A L P',
  AC: 'L H',
  AT: 'N P',
  PR: 'N L H',
  UI: 'N P A',
  VC: 'H L N',
  VI: 'H L N',
  VA: 'H L N',
  SC: 'H L N',
  SI: 'H L N',
  SA: 'H L N',
});
const V4_OTHER = table({
  E: 'X A P U',
  CR: 'X H M L',
  IR: 'X H M L',
  AR: 'X H M L',
  MAV: 'X N A L P',
  MAC: 'X L H',
  MAT: 'X N P',
  MPR: 'X N L H',
  MUI: 'X N P A',
  MVC: 'X H L N',
  MVI: 'X H L N',
  MVA: 'X H L N',
  MSC: 'X H L N',
  MSI: 'X S H L N',
  MSA: 'X S H L N',
  S: 'X N P',
  AU: 'X N Y',
  R: 'X A U I',
  V: 'X D C',
  RE: 'X L M H',
  U: 'X Clear Green Amber Red',
});

const TABLES: Record<CvssVersion, { base: MetricTable; other: MetricTable }> = {
  '2.0': { base: V2_BASE, other: V2_OTHER },
  '3.0': { base: V3_BASE, other: V3_OTHER },
  '3.1': { base: V3_BASE, other: V3_OTHER },
  '4.0': { base: V4_BASE, other: V4_OTHER },
};

const { fromVector } = cvssCalculator as unknown as {
  fromVector(vector: string): { calculateScores(): { base?: number; overall?: number } } | null | undefined;
};

/**
 * The base score of a CVSS vector of the given version, or why there is none. The vector is
 * checked strictly first (the calculator is lenient: it scores a vector with missing base
 * metrics as 0 and lets a repeated metric override the first): the `CVSS:x.y/` prefix of its
 * version (none, or `CVSS:2.0/`, for 2.0), every base metric exactly once with a value of the
 * specification, other metrics only those of the version, each at most once.
 */
export function cvssBaseScore(vector: string, version: CvssVersion): { score: number } | { problem: string } {
  if (vector.length > 512) return { problem: 'vector longer than 512 characters' };
  let body = vector;
  const prefix = /^CVSS:(\d+\.\d+)\//.exec(vector);
  if (version === '2.0') {
    if (prefix && prefix[1] !== '2.0') return { problem: `a CVSS ${prefix[1]} vector where CVSS 2.0 is expected` };
    if (prefix) body = vector.slice(prefix[0].length);
  } else {
    if (!prefix) return { problem: `no CVSS:${version}/ prefix` };
    if (prefix[1] !== version) return { problem: `a CVSS ${prefix[1]} vector where CVSS ${version} is expected` };
    body = vector.slice(prefix[0].length);
  }
  const { base, other } = TABLES[version];
  const seen = new Set<string>();
  for (const part of body.split('/')) {
    const metric = /^([A-Za-z]+):([A-Za-z]+)$/.exec(part);
    if (!metric) return { problem: `malformed metric ${quote(part, 20)}` };
    const [, key = '', value = ''] = metric;
    const allowed = base.get(key) ?? other.get(key);
    if (!allowed) return { problem: `unknown metric ${key}` };
    if (seen.has(key)) return { problem: `metric ${key} given twice` };
    seen.add(key);
    if (!allowed.includes(value)) return { problem: `${key}:${value} is not a valid value` };
  }
  const missing = [...base.keys()].filter((key) => !seen.has(key));
  if (missing.length > 0) return { problem: `base metric${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing` };
  let score: unknown;
  try {
    score = fromVector(vector)?.calculateScores().base;
  } catch (error) {
    return { problem: `the calculator refused it (${message(error)})` };
  }
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 10) {
    return { problem: 'the calculator gave no base score' };
  }
  return { score };
}
