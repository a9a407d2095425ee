import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADER_BYTES, readHeader, readWordPressRoot } from './wordpress.ts';

const VERSION_PHP = `<?php
/**
 * WordPress Version
 *
 * Contains version information for the current WordPress release.
 *
 * @package WordPress
 * @since 1.2.0
 */

/**
 * The WordPress version string.
 *
 * Holds the current version number for WordPress core. Used to bust caches
 * and to enable development mode for scripts when running from the /src directory.
 *
 * @global string $wp_version
 */
$wp_version = '6.4.2';

/**
 * Holds the WordPress DB revision, increments when changes are made to the WordPress DB schema.
 *
 * @global int $wp_db_version
 */
$wp_db_version = 56657;

$tinymce_version = '49110-20201110';
$required_php_version = '7.0.0';
$required_mysql_version = '5.0';
`;

const AKISMET = `<?php
/**
 * @package Akismet
 */
/*
Plugin Name: Akismet Anti-spam: Spam Protection
Plugin URI: https://akismet.com/
Description: Used by millions, Akismet is quite possibly the best way in the world to <strong>protect your blog from spam</strong>.
Version: 5.3
Requires at least: 5.8
Requires PHP: 5.6.20
Author: Automattic - Anti-spam Team
Author URI: https://automattic.com/wordpress-plugins/
License: GPLv2 or later
Text Domain: akismet
*/

// Make sure we don't expose any info if called directly
if ( !function_exists( 'add_action' ) ) {
	echo 'Hi there!  I\\'m just a plugin, not much I can do when called directly.';
	exit;
}
`;

const HELLO = `<?php
/**
 * @package Hello_Dolly
 * @version 1.7.2
 */
/*
Plugin Name: Hello Dolly
Plugin URI: http://wordpress.org/plugins/hello-dolly/
Description: This is not just a plugin, it symbolizes the hope and enthusiasm of an entire generation summed up in two words sung most famously by Louis Armstrong: Hello, Dolly.
Author: Matt Mullenweg
Version: 1.7.2
Author URI: http://ma.tt/
*/

function hello_dolly_get_lyric() {}
`;

const CF7 = `<?php
/*
 * Plugin Name: Contact Form 7
 * Plugin URI: https://contactform7.com/
 * Description: Just another contact form plugin. Simple but flexible.
 * Author: Rock Lobster Inc.
 * Author URI: https://ideasilo.wordpress.com/
 * Text Domain: contact-form-7
 * Domain Path: /languages/
 * Requires at least: 6.3
 * Requires PHP: 7.4
 * Version: 5.8.4
 */

define( 'WPCF7_VERSION', '5.8.4' );
`;

const TWENTYTWENTYFOUR = `/*
Theme Name: Twenty Twenty-Four
Theme URI: https://wordpress.org/themes/twentytwentyfour/
Author: the WordPress team
Author URI: https://wordpress.org
Description: Twenty Twenty-Four is designed to be flexible, versatile and applicable to any website.
Requires at least: 6.4
Tested up to: 6.4
Requires PHP: 7.0
Version: 1.0
License: GNU General Public License v2 or later
License URI: http://www.gnu.org/licenses/gpl-2.0.html
Text Domain: twentytwentyfour
Tags: one-column, custom-colors, custom-menu, custom-logo, editor-style, featured-images, full-site-editing, block-patterns, rtl-language-support, sticky-post, threaded-comments, translation-ready, wide-blocks, block-styles, style-variations, accessibility-ready, blog, portfolio, news
*/
`;

let base: string;
let root: string;
let outside: string;

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'vigil-wp-'));
  root = join(base, 'site');
  outside = join(base, 'outside');
  await put(join(root, 'wp-includes/version.php'), VERSION_PHP);
  await put(join(root, 'wp-content/index.php'), '<?php\n// Silence is golden.\n');
  await put(join(root, 'wp-content/plugins/index.php'), '<?php\n// Silence is golden.\n');
  await put(join(root, 'wp-content/plugins/hello.php'), HELLO);
  await put(join(root, 'wp-content/plugins/readme.txt'), 'Plugin Name: not a php file\nVersion: 9\n');
  await put(join(root, 'wp-content/plugins/akismet/akismet.php'), AKISMET);
  await put(join(root, 'wp-content/plugins/akismet/class.akismet.php'), '<?php\nclass Akismet {}\n');
  await put(join(root, 'wp-content/plugins/akismet/index.php'), '<?php\n// Silence is golden.\n');
  await put(join(root, 'wp-content/plugins/contact-form-7/includes/controller.php'), '<?php\n/* Plugin Name: nested, never read */\n');
  await put(join(root, 'wp-content/plugins/contact-form-7/uninstall.php'), '<?php\n// uninstall\n');
  await put(join(root, 'wp-content/plugins/contact-form-7/wp-contact-form-7.php'), CF7);
  await put(join(root, 'wp-content/plugins/no-version/no-version.php'), '<?php\n/*\nPlugin Name: No Version\n*/\n');
  await put(
    join(root, 'wp-content/plugins/late-header/late-header.php'),
    `<?php\n/*${' '.repeat(HEADER_BYTES)}\nPlugin Name: Late\nVersion: 1.0\n*/\n`,
  );
  await put(join(root, 'wp-content/plugins/.git/config.php'), '<?php\n/* Plugin Name: dot dir\nVersion: 1 */\n');
  await put(join(root, 'vendor-plugins/shared-plugin/shared-plugin.php'), '<?php\n/**\n * Plugin Name: Shared\n * Version: 2.0.1\n */\n');
  await symlink(join(root, 'vendor-plugins/shared-plugin'), join(root, 'wp-content/plugins/shared-plugin'));
  // The escapes: a plugin directory, a single-file plugin, a theme's style.css, all pointing outside.
  await put(join(outside, 'evil/evil.php'), '<?php\n/* Plugin Name: Evil\nVersion: 6.6.6 */\n');
  await put(join(outside, 'passwd.php'), '<?php\n/* Plugin Name: Passwd\nVersion: 1 */\n');
  await put(join(outside, 'style.css'), '/*\nTheme Name: Evil Theme\nVersion: 6.6.6\n*/\n');
  await symlink(join(outside, 'evil'), join(root, 'wp-content/plugins/evil'));
  await symlink(join(outside, 'passwd.php'), join(root, 'wp-content/plugins/passwd.php'));
  await mkdir(join(root, 'wp-content/themes/evil-theme'), { recursive: true });
  await symlink(join(outside, 'style.css'), join(root, 'wp-content/themes/evil-theme/style.css'));
  await put(join(root, 'wp-content/themes/index.php'), '<?php\n// Silence is golden.\n');
  await put(join(root, 'wp-content/themes/twentytwentyfour/style.css'), TWENTYTWENTYFOUR);
  await put(join(root, 'wp-content/themes/broken/style.css'), '/* just css */\nbody { color: red }\n');
  await put(join(root, 'wp-content/mu-plugins/loader.php'), "<?php\nrequire WPMU_PLUGIN_DIR . '/custom/custom.php';\n");
  await put(join(root, 'wp-content/mu-plugins/custom-login.php'), '<?php\n/**\n * Plugin Name: Custom Login\n * Version: 0.3.0\n */\n');
  await put(
    join(root, 'wp-content/mu-plugins/custom/custom.php'),
    '<?php\n/* Plugin Name: Not loaded by WordPress at this level\nVersion: 1 */\n',
  );
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('readWordPressRoot', () => {
  it('reads core, plugins, mu-plugins and themes; never follows a symlink out of the root', async () => {
    const result = await readWordPressRoot(root);
    expect(result).toEqual({
      type: 'wordpress',
      packages: [
        { ecosystem: 'WordPress', name: 'wordpress', version: '6.4.2', location: 'wp-includes/version.php' },
        { ecosystem: 'WordPress', name: 'plugin/akismet', version: '5.3', location: 'wp-content/plugins/akismet/akismet.php' },
        {
          ecosystem: 'WordPress',
          name: 'plugin/contact-form-7',
          version: '5.8.4',
          location: 'wp-content/plugins/contact-form-7/wp-contact-form-7.php',
        },
        { ecosystem: 'WordPress', name: 'plugin/hello', version: '1.7.2', location: 'wp-content/plugins/hello.php' },
        {
          ecosystem: 'WordPress',
          name: 'plugin/shared-plugin',
          version: '2.0.1',
          location: 'wp-content/plugins/shared-plugin/shared-plugin.php',
        },
        { ecosystem: 'WordPress', name: 'plugin/custom-login', version: '0.3.0', location: 'wp-content/mu-plugins/custom-login.php' },
        {
          ecosystem: 'WordPress',
          name: 'theme/twentytwentyfour',
          version: '1.0',
          location: 'wp-content/themes/twentytwentyfour/style.css',
        },
      ],
      warnings: [
        'wp-content/plugins/evil: a symlink leading outside the root, not read',
        'wp-content/plugins/passwd.php: a symlink leading outside the root, not read',
        'wp-content/plugins/late-header: no .php file with a Plugin Name header; not a plugin',
        'wp-content/plugins/no-version/no-version.php: plugin "no-version" has no Version header, skipped',
        'wp-content/themes/broken/style.css: no Theme Name header; not a theme',
        'wp-content/themes/evil-theme/style.css: a symlink leading outside the root, not read',
      ],
    });
  });

  it('null when the directory is not a WordPress root', async () => {
    expect(await readWordPressRoot(join(root, 'wp-content'))).toBeNull();
    expect(await readWordPressRoot(join(base, 'does-not-exist'))).toBeNull();
    expect(await readWordPressRoot(join(root, 'wp-includes/version.php'))).toBeNull();
    const escaped = join(base, 'escaped-core');
    await mkdir(join(escaped, 'wp-includes'), { recursive: true });
    await put(join(outside, 'version.php'), "<?php\n$wp_version = '1.0';\n");
    await symlink(join(outside, 'version.php'), join(escaped, 'wp-includes/version.php'));
    expect(await readWordPressRoot(escaped)).toBeNull();
  });

  it('version.php without $wp_version: a warning, no core package', async () => {
    const odd = join(base, 'odd');
    await put(join(odd, 'wp-includes/version.php'), '<?php\n$wp_db_version = 1;\n');
    expect(await readWordPressRoot(odd)).toEqual({
      type: 'wordpress',
      packages: [],
      warnings: ['wp-includes/version.php: no $wp_version assignment; WordPress core not reported'],
    });
  });

  it('binary garbage and a 10 MB single-line plugin file are read only up to the header limit', async () => {
    const junk = join(base, 'junk');
    await put(join(junk, 'wp-includes/version.php'), '<?php $wp_version = "6.5-RC1";\n');
    await put(join(junk, 'wp-content/plugins/binary/binary.php'), '\u0000\u0001\u0002\u00ff');
    await put(join(junk, 'wp-content/plugins/huge/huge.php'), `<?php /* Plugin Name: Huge Version: 1 ${'x'.repeat(10_000_000)}`);
    const result = await readWordPressRoot(junk);
    expect(result?.packages).toEqual([
      { ecosystem: 'WordPress', name: 'wordpress', version: '6.5-RC1', location: 'wp-includes/version.php' },
    ]);
    expect(result?.warnings).toEqual([
      'wp-content/plugins/binary: no .php file with a Plugin Name header; not a plugin',
      'wp-content/plugins/huge/huge.php: plugin "huge" has no Version header, skipped',
    ]);
  });
});

describe('readHeader', () => {
  it('reads headers as get_file_data does', () => {
    expect(readHeader(AKISMET, 'Plugin Name')).toBe('Akismet Anti-spam: Spam Protection');
    expect(readHeader(AKISMET, 'version')).toBe('5.3');
    expect(readHeader(CF7, 'Version')).toBe('5.8.4');
    expect(readHeader('<?php /* Plugin Name: One Line */', 'Plugin Name')).toBe('One Line');
    expect(readHeader('<?php\r# Plugin Name: CR only\r@ Version: 2 ?>\r', 'Version')).toBe('2');
    expect(readHeader('<?php\n$x = "Plugin Name: inside code";\n', 'Plugin Name')).toBeUndefined();
    expect(readHeader(`${'\n'.repeat(HEADER_BYTES)}Version: 1`, 'Version')).toBeUndefined();
    expect(readHeader('', 'Version')).toBeUndefined();
  });
});
