import { describe, expect, it } from 'vitest';
import { childEnv, SERVER_DIR, start, VIGIL_BIN } from './helpers/processes.ts';

async function vigil(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = start(process.execPath, [VIGIL_BIN, ...args], childEnv({}), SERVER_DIR, 'pipe');
  r.child.stdin?.end(stdin);
  return r.exited;
}

describe('vigil version compare', () => {
  it.each([
    ['Debian', '1:1.0', '2.0', '1'],
    ['Ubuntu:18.04:LTS', '1.8.21p2-3ubuntu1.1', '1.8.21p2-3ubuntu1.4', '-1'],
    ['npm', '1.0.0-rc.1', '1.0.0', '-1'],
    ['PyPI', '1.0', '1.0.0', '0'],
  ])('%s %s vs %s prints %s', async (ecosystem, a, b, expected) => {
    const result = await vigil(['version', 'compare', ecosystem, a, b]);
    expect(result).toMatchObject({ code: 0, stdout: `${expected}\n` });
  });

  it('answers pairs from standard input with --batch, and "invalid" for a bad one', async () => {
    const result = await vigil(['version', 'compare', 'Debian', '--batch'], '1.0\t1.0~rc1\n1.0\t1.0\nnot a pair\n:1.0\t1.0\n2\t10\n');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('1\n0\ninvalid\ninvalid\n-1\n');
  });

  it('refuses an unknown ecosystem with exit 2 and the list of known ones', async () => {
    const result = await vigil(['version', 'compare', 'Gentoo', '1', '2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown ecosystem "Gentoo"; known: .*Debian.*npm/);
  });

  it('refuses an invalid version with exit 2', async () => {
    const result = await vigil(['version', 'compare', 'Debian', 'abc:1', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invalid Debian version/);
  });

  it('answers a missing argument with exit 2', async () => {
    expect((await vigil(['version', 'compare'])).code).toBe(2);
  });
});

describe('vigil version sort', () => {
  it('sorts standard input ascending as the ecosystem does', async () => {
    const result = await vigil(['version', 'sort', 'Debian'], '1.0\n1.0~rc1\n1:0.1\n1.0-1\n\n0.9\n');
    expect(result).toMatchObject({ code: 0, stdout: '0.9\n1.0~rc1\n1.0\n1.0-1\n1:0.1\n' });
  });

  it('names the line of an invalid version and exits 2', async () => {
    const result = await vigil(['version', 'sort', 'Debian'], '1.0\nx:y\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/line 2: invalid Debian version/);
  });
});
