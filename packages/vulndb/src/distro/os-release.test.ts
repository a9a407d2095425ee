import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test/vectors.ts';
import { ecosystemForDistro } from './ecosystem.ts';
import { MAX_OS_RELEASE_CHARS, parseOsRelease } from './os-release.ts';

describe('parseOsRelease', () => {
  it('reads the Alpine fixture (syft testdata)', () => {
    const text = readFileSync(`${FIXTURES}inventories/alpine/alpine-syft-testdata.os-release`, 'utf8');
    const rec = parseOsRelease(text);
    expect({ ...rec }).toEqual({
      NAME: 'Alpine Linux',
      ID: 'alpine',
      VERSION_ID: '3.11.6',
      PRETTY_NAME: 'Alpine Linux v3.11',
      HOME_URL: 'https://alpinelinux.org/',
      BUG_REPORT_URL: 'https://bugs.alpinelinux.org/',
    });
    expect(ecosystemForDistro({ id: rec.ID as string, versionId: rec.VERSION_ID })).toEqual({
      ecosystem: 'Alpine:v3.11',
      evidence: 'ID=alpine VERSION_ID=3.11.6',
    });
  });

  it('reads Ubuntu 18.04 as written by base-files', () => {
    const text = [
      'NAME="Ubuntu"',
      'VERSION="18.04.6 LTS (Bionic Beaver)"',
      'ID=ubuntu',
      'ID_LIKE=debian',
      'PRETTY_NAME="Ubuntu 18.04.6 LTS"',
      'VERSION_ID="18.04"',
      'HOME_URL="https://www.ubuntu.com/"',
      'VERSION_CODENAME=bionic',
      'UBUNTU_CODENAME=bionic',
      '',
    ].join('\n');
    const rec = parseOsRelease(text);
    expect(rec.VERSION).toBe('18.04.6 LTS (Bionic Beaver)');
    expect(rec.ID_LIKE).toBe('debian');
    expect(rec.VERSION_ID).toBe('18.04');
    expect(Object.keys(rec)).toHaveLength(9);
  });

  it('quoting, escapes, comments, CRLF, BOM, junk lines', () => {
    const text =
      '\ufeff# comment\r\n\r\nA="x \\"q\\" \\\\ \\$HOME \\` \\n"\r\nB=\'single \\ "raw"\'\r\nC=plain\\ word\r\n' +
      'D="con"\'cat\'ed\r\nE="unterminated\r\nnot an assignment\r\n9BAD=x\r\nF=trailing junk\r\n  G = "spaced" \r\nA2=\r\nC=second\r\n';
    const rec = parseOsRelease(text);
    expect({ ...rec }).toEqual({
      A: 'x "q" \\ $HOME ` \\n',
      B: 'single \\ "raw"',
      C: 'second',
      D: 'concated',
      F: 'trailing',
      G: 'spaced',
      A2: '',
    });
  });

  it('prototype keys are data; no pollution', () => {
    const rec = parseOsRelease('__proto__=polluted\nconstructor=x\nID=debian\n');
    expect(Object.entries(rec)).toContainEqual(['__proto__', 'polluted']);
    expect(rec.ID).toBe('debian');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(rec)).toBeNull();
  });

  it('hostile input: empty, binary, 10 MB line, huge file are bounded', () => {
    expect(Object.keys(parseOsRelease(''))).toEqual([]);
    expect(Object.keys(parseOsRelease('\u0000\u0001\u0002ELF\u0000'))).toEqual([]);
    const huge = `ID=${'a'.repeat(10_000_000)}`;
    const rec = parseOsRelease(huge);
    expect(rec.ID).toHaveLength(MAX_OS_RELEASE_CHARS - 3);
    const many = `${'X=1\n'.repeat(1_000_000)}ID=late\n`;
    expect(parseOsRelease(many).ID).toBeUndefined();
    expect(parseOsRelease(`ID="${'\\'.repeat(200_000)}`).ID).toBeUndefined();
  });
});
