import { chmod, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRoot } from '../../test/fake-root.ts';
import { createCollectContext } from './index.ts';
import { isRiskyMode, worldWritableCollector } from './world-writable.ts';

const temp = () => mkdtemp(join(tmpdir(), 'vigil-ww-'));

describe('world-writable PATH entries', () => {
  it('flags world-writable files and directories without the sticky bit, through merged-/usr links once', async () => {
    const root = await writeRoot(await temp(), {
      'usr/bin/ls': { content: '', mode: 0o755 },
      'usr/bin/evil': { content: '', mode: 0o777 },
      'usr/bin/line\nbreak': { content: '', mode: 0o646 },
      'usr/local/sbin/ok': { content: '', mode: 0o700 },
      bin: { link: 'usr/bin' },
    });
    await mkdir(join(root, 'usr/local/bin/drop'), { recursive: true });
    await chmod(join(root, 'usr/local/bin/drop'), 0o777);
    await mkdir(join(root, 'usr/local/bin/tmp'));
    await chmod(join(root, 'usr/local/bin/tmp'), 0o1777);
    const { facts = [] } = await worldWritableCollector.run(createCollectContext({ root }));
    expect(facts.map((f) => [f.subject, f.severity, f.observed])).toEqual([
      ['/usr/local/bin/drop', 'HIGH', 'directory mode 0777 in a PATH directory'],
      ['/usr/bin/evil', 'HIGH', 'file mode 0777 in a PATH directory'],
      ['/usr/bin/line\\x0abreak', 'HIGH', 'file mode 0646 in a PATH directory'],
    ]);
  });

  it('never follows a symlink, in the root or out of it', async () => {
    const outside = await writeRoot(await temp(), { 'open-file': { content: '', mode: 0o777 } });
    await chmod(outside, 0o777);
    const root = await writeRoot(await temp(), {
      'usr/bin/link-out': { link: join(outside, 'open-file') },
      sbin: { link: outside },
    });
    const { facts = [] } = await worldWritableCollector.run(createCollectContext({ root }));
    expect(facts).toEqual([
      { id: 'files.world_writable_path', severity: 'NONE', observed: 'no world-writable entries in PATH directories', evidence: [] },
    ]);
  });

  it('reads modes as the kernel does', () => {
    expect(isRiskyMode(0o100777, false)).toBe(true);
    expect(isRiskyMode(0o100755, false)).toBe(false);
    expect(isRiskyMode(0o41777, true)).toBe(false);
    expect(isRiskyMode(0o40777, true)).toBe(true);
  });
});
