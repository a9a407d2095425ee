import { describe, expect, it } from 'vitest';
import { type EnrichmentSources, enrichFindings } from './enrich.ts';
import type { Finding } from './finding.ts';

const finding = (partial: Partial<Finding>): Finding => ({
  ecosystem: 'Ubuntu:18.04:LTS',
  package: 'sudo',
  sourcePackage: 'sudo',
  version: '1',
  id: 'USN-4705-1',
  aliases: ['CVE-2021-23239', 'CVE-2021-3156'],
  fixedVersion: '2',
  fixState: 'fixed',
  severity: 'UNKNOWN',
  cvss: null,
  summary: '',
  match: '',
  locations: [],
  ...partial,
});

const sources: EnrichmentSources = {
  kev: (cve) =>
    ({
      'CVE-2021-3156': { cve, dateAdded: '2022-04-06', dueDate: '2022-04-27', ransomware: 'Unknown' as const },
      'CVE-2021-23239': { cve, dateAdded: '2023-01-01', dueDate: '2023-01-22', ransomware: 'Known' as const },
    })[cve],
  epss: (cve) =>
    ({ 'CVE-2021-3156': { cve, score: 0.93, percentile: 0.99 }, 'CVE-2021-23239': { cve, score: 0.01, percentile: 0.5 } })[cve],
  cvss: (cve) =>
    cve === 'CVE-2021-3156' ? { version: '3.1', score: 7.8, vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' } : undefined,
};

describe('enrichFindings', () => {
  it('takes the most urgent facts across the CVEs a finding is known by', () => {
    const [f] = enrichFindings([finding({})], sources);
    expect(f?.kev).toEqual({ cve: 'CVE-2021-3156', dateAdded: '2022-04-06', dueDate: '2022-04-27', ransomware: 'Unknown' });
    expect(f?.epss).toEqual({ cve: 'CVE-2021-3156', score: 0.93, percentile: 0.99 });
  });

  it('fills CVSS from NVD only where the advisory has none, and rates an UNKNOWN severity by it', () => {
    const [unrated] = enrichFindings([finding({})], sources);
    expect(unrated).toMatchObject({ cvss: { score: 7.8 }, severity: 'HIGH' });
    const own = { version: '3.1', score: 5, vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N' };
    const [rated] = enrichFindings([finding({ severity: 'MEDIUM', cvss: own })], sources);
    expect(rated).toMatchObject({ cvss: own, severity: 'MEDIUM' });
    const [vendorRated] = enrichFindings([finding({ severity: 'LOW' })], sources);
    expect(vendorRated).toMatchObject({ cvss: { score: 7.8 }, severity: 'LOW' });
  });

  it('a finding with no CVE, or CVEs nobody knows, stays as it was with null facts', () => {
    const [f] = enrichFindings([finding({ id: 'GHSA-x', aliases: ['PYSEC-1'] })], sources);
    expect(f).toMatchObject({ kev: null, epss: null, cvss: null, severity: 'UNKNOWN' });
  });
});
