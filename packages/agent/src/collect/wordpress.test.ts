import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRoot } from '../../test/fake-root.ts';
import { createCollectContext } from './index.ts';
import { wordpressCollector } from './wordpress.ts';

const temp = () => mkdtemp(join(tmpdir(), 'vigil-wp-'));
const plugin = (name: string, version: string) => `<?php\n/**\n * Plugin Name: ${name}\n * Version: ${version}\n */\n`;
const core = (version: string) => `<?php\n$wp_version = '${version}';\n`;

describe('wordpress collector', () => {
  it('finds installs below the web roots and reports core, plugins and themes', async () => {
    const root = await writeRoot(await temp(), {
      'var/www/clients/acme/public/wp-includes/version.php': core('6.2.1'),
      'var/www/clients/acme/public/wp-content/plugins/wordfence/wordfence.php': plugin('Wordfence Security', '7.9.0'),
      'var/www/clients/acme/public/wp-content/plugins/revslider.disabled/revslider.php': plugin('Slider Revolution', '4.1.4'),
      'var/www/clients/acme/public/wp-content/mu-plugins/guard.php': plugin('Guard', '2.0'),
      'var/www/clients/acme/public/wp-content/themes/astra/style.css': '/*\nTheme Name: Astra\nVersion: 4.1.0\n*/',
      'var/www/clients/acme/public/blog/wp-includes/version.php': core('5.8.1'),
    });
    const output = await wordpressCollector.run(createCollectContext({ root, webRoots: ['/var/www'] }));
    expect(output.wordpress).toEqual([
      {
        path: '/var/www/clients/acme/public',
        coreVersion: '6.2.1',
        plugins: [
          { slug: 'revslider', version: '4.1.4', active: false },
          { slug: 'wordfence', version: '7.9.0', active: null },
          { slug: 'guard', version: '2.0', active: true },
        ],
        themes: [{ slug: 'astra', version: '4.1.0', active: null }],
      },
      { path: '/var/www/clients/acme/public/blog', coreVersion: '5.8.1', plugins: [], themes: [] },
    ]);
    expect(output.packages).toContainEqual({
      ecosystem: 'WordPress',
      name: 'plugin/revslider',
      version: '4.1.4',
      location: '/var/www/clients/acme/public/wp-content/plugins/revslider.disabled/revslider.php',
    });
    expect(output.packages).toContainEqual({
      ecosystem: 'WordPress',
      name: 'wordpress',
      version: '5.8.1',
      location: '/var/www/clients/acme/public/blog/wp-includes/version.php',
    });
  });

  it('does not read plugins through a symlink out of the install, nor installs through one out of the root', async () => {
    const outside = await writeRoot(await temp(), {
      'evil/evil.php': plugin('Evil', '1.0'),
      'site/wp-includes/version.php': core('6.0'),
    });
    const root = await writeRoot(await temp(), {
      'var/www/site/wp-includes/version.php': core('6.4.2'),
      'var/www/site/wp-content/plugins/evil': { link: join(outside, 'evil') },
      'var/www/other': { link: join(outside, 'site') },
    });
    const output = await wordpressCollector.run(createCollectContext({ root, webRoots: ['/var/www'] }));
    expect(output.wordpress).toEqual([{ path: '/var/www/site', coreVersion: '6.4.2', plugins: [], themes: [] }]);
    expect(output.message).toContain('outside the root');
  });

  it('escapes hostile slugs and skips installs without a readable core version', async () => {
    const root = await writeRoot(await temp(), {
      'srv/a/wp-includes/version.php': core('6.1'),
      'srv/a/wp-content/plugins/bad\nslug/bad.php': plugin('Bad', '1.0'),
      'srv/a/wp-content/themes/long/style.css': `/*\nTheme Name: Long\nVersion: ${'9'.repeat(100)}\n*/`,
      'srv/b/wp-includes/version.php': '<?php // nothing here',
      'srv/b/wp-content/plugins/hello.php': plugin('Hello Dolly', '1.7.2'),
    });
    const output = await wordpressCollector.run(createCollectContext({ root, webRoots: ['/srv'] }));
    expect(output.wordpress?.map((w) => w.path)).toEqual(['/srv/a']);
    expect(output.wordpress?.[0]?.plugins[0]?.slug).toBe('bad\\x0aslug');
    expect(output.wordpress?.[0]?.themes).toEqual([{ slug: 'long', version: null, active: null }]);
    expect(output.packages?.some((p) => p.name === 'plugin/bad\\x0aslug')).toBe(true);
    expect(output.packages?.some((p) => p.name === 'plugin/hello' && p.location === '/srv/b/wp-content/plugins/hello.php')).toBe(true);
    expect(output.message).toContain('/srv/b: no readable core version');
  });

  it('is skipped without web roots and notes a web root that does not exist', async () => {
    expect(await wordpressCollector.run(createCollectContext({ root: await temp() }))).toMatchObject({ status: 'skipped' });
    const output = await wordpressCollector.run(createCollectContext({ root: await temp(), webRoots: ['/var/www'] }));
    expect(output).toMatchObject({ wordpress: [], message: '/var/www: not a directory' });
  });
});
