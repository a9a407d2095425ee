import { describe, expect, it } from 'vitest';
import { resolveSelfImage, runningAsSea, type SelfImageFacts, selfImage } from './self-image.ts';

const facts = (overrides: Partial<SelfImageFacts>): SelfImageFacts => ({
  bundle: 'script',
  runningAsSea: false,
  execPath: '/usr/local/bin/vigil-agent',
  scriptPath: () => '/usr/local/lib/vigil-agent/vigil-agent.mjs',
  os: 'linux',
  arch: 'x64',
  ...overrides,
});

describe('the file self-update replaces and the release it asks for', () => {
  it('is nothing when running from the sources', () => {
    expect(selfImage()).toBeNull();
    expect(runningAsSea()).toBe(false);
    expect(resolveSelfImage(facts({ bundle: null, runningAsSea: true }))).toBeNull();
  });

  it('is the script bundle itself, for Node, whatever the machine', () => {
    const expected = { path: '/usr/local/lib/vigil-agent/vigil-agent.mjs', platform: 'node' };
    expect(resolveSelfImage(facts({}))).toEqual(expected);
    expect(resolveSelfImage(facts({ os: 'darwin', arch: 'arm64' }))).toEqual(expected);
  });

  it('is the running binary, for its own os and architecture, in a single executable', () => {
    const sea = facts({ bundle: 'sea', runningAsSea: true, scriptPath: () => expect.unreachable('a SEA has no script file') });
    expect(resolveSelfImage(sea)).toEqual({ path: '/usr/local/bin/vigil-agent', platform: 'linux-x64' });
    expect(resolveSelfImage({ ...sea, arch: 'arm64' })).toEqual({ path: '/usr/local/bin/vigil-agent', platform: 'linux-arm64' });
  });

  it('never self-updates an executable nobody publishes releases for', () => {
    const sea = facts({ bundle: 'sea', runningAsSea: true });
    for (const [os, arch] of [
      ['linux', 'ia32'],
      ['linux', 'riscv64'],
      ['darwin', 'arm64'],
      ['win32', 'x64'],
    ] as const) {
      expect(resolveSelfImage({ ...sea, os, arch }), `${os}-${arch}`).toBeNull();
    }
  });

  it('never self-updates the executable script run some other way (it could be replaced by the wrong kind of file)', () => {
    expect(resolveSelfImage(facts({ bundle: 'sea', runningAsSea: false }))).toBeNull();
  });
});
