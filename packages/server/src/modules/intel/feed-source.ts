import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { FeedError, isZipMagic, openFeedText } from '@vigil/vulndb';
import { fail } from './intel.errors.ts';

export type FeedKind = 'osv' | 'kev' | 'epss' | 'nvd';

/** One thing to import: a local file or directory, what it holds, and the feed it updates. */
export interface FeedSource {
  path: string;
  /** What users read in messages and `feeds status`: the path, or the URL it was fetched from. */
  display: string;
  kind: FeedKind;
  name: string;
}

const RESERVED = new Set(['kev', 'epss', 'nvd']);
const FEED_NAME = /^[A-Za-z0-9][A-Za-z0-9:._/+-]{0,127}$/;
const SNIFF_CHARS = 8 * 1024;

export function assertFeedName(name: string): string {
  if (!FEED_NAME.test(name)) {
    throw fail(
      'FEED_NAME_INVALID',
      `feed name ${JSON.stringify(name.slice(0, 140))} must be 1–128 letters, digits or :._/+- (starting with a letter or digit)`,
    );
  }
  return name;
}

/**
 * Recognises what `file` holds from its content (never its name alone): a KEV catalog (JSON or
 * CSV), an EPSS score file, an NVD CVE API 2.0 document, or else advisories (an OSV zip, JSON or
 * YAML, a Debian tracker, an Alpine secdb, a WordPress feed), which the advisory reader checks.
 */
export async function identifySource(
  file: string,
  options: { name?: string; display?: string /** Named after this path instead of `file` (a URL's path). */; nameFrom?: string } = {},
): Promise<FeedSource> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(file);
  } catch (error) {
    throw fail('FEED_SOURCE_UNREADABLE', `${file}: cannot read (${(error as Error).message})`);
  }
  // Absolute, so `feeds status` says where a file was whatever directory it is run from.
  const display = options.display ?? path.resolve(file);
  let kind: FeedKind = 'osv';
  if (info.isFile()) kind = await sniffKind(file);
  else if (!info.isDirectory()) throw fail('FEED_SOURCE_UNREADABLE', `${file}: neither a file nor a directory`);
  // KEV, EPSS and NVD each fill one shared table: two feeds of one kind would undo each other.
  if (kind !== 'osv' && options.name !== undefined && options.name !== kind) {
    throw fail(
      'FEED_KIND_MISMATCH',
      `${display} holds ${kind.toUpperCase()} data, which is always the feed named ${kind} (not ${JSON.stringify(options.name)})`,
    );
  }
  if (kind === 'osv' && options.name !== undefined && RESERVED.has(options.name)) {
    throw fail('FEED_NAME_INVALID', `feed name ${options.name} is reserved for ${options.name.toUpperCase()} data`);
  }
  const name = assertFeedName(options.name ?? defaultFeedName(kind, options.nameFrom ?? file));
  return { path: file, display, kind, name };
}

async function sniffKind(file: string): Promise<FeedKind> {
  const head = new Uint8Array(4);
  const handle = await open(file, 'r');
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (isZipMagic(head)) return 'osv';
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  let text = '';
  try {
    for await (const chunk of openFeedText(file)) {
      text += chunk;
      if (text.length >= SNIFF_CHARS) break;
    }
  } catch (error) {
    // The first bytes already fail (a truncated gzip, binary data): say so now, naming the file.
    if (error instanceof FeedError) throw fail('FEED_SOURCE_INVALID', error.message);
    throw error;
  }
  const start = text.slice(0, SNIFF_CHARS).replace(/^\uFEFF/, '');
  const firstLine = start.split(/\r?\n/, 1)[0]?.trim() ?? '';
  if (/^"?cveID"?[,;]/.test(firstLine)) return 'kev';
  if (firstLine.startsWith('#model_version') || /^"?cve"?,"?epss"?,"?percentile"?$/i.test(firstLine)) return 'epss';
  if (/^CVE-\d{4}-\d+;[\d.eE-]+;[\d.eE-]+$/.test(firstLine)) return 'epss';
  if (/"catalogVersion"\s*:/.test(start) && /"vulnerabilities"\s*:/.test(start)) return 'kev';
  if (
    /"format"\s*:\s*"NVD_CVE"/.test(start) ||
    (/"vulnerabilities"\s*:\s*\[\s*\{\s*"cve"\s*:/.test(start) && !/"schema_version"/.test(start))
  ) {
    return 'nvd';
  }
  // Advisory files are read as they are; a compressed one is none of the feeds above.
  if (gzip) {
    const format = /"format"\s*:\s*"([^"]{1,40})"/.exec(start)?.[1];
    throw fail(
      'FEED_SOURCE_INVALID',
      `${file}: gzip data that is not a KEV catalog, an EPSS file or an NVD CVE document${format ? ` (its format is ${format})` : ''}; advisory files are imported uncompressed`,
    );
  }
  return 'osv';
}

/**
 * KEV, EPSS and NVD are one feed each. Advisory sources are named after their file: the parent
 * directory for the generic names mirrors use (`Go/all.zip` → `osv:Go`), so a newer copy in the
 * same place updates the same feed. `--feed` names it otherwise.
 */
export function defaultFeedName(kind: FeedKind, file: string): string {
  if (kind !== 'osv') return kind;
  const resolved = path.resolve(file);
  let base = path.basename(resolved).replace(/(\.(json|ya?ml|zip|gz))+$/i, '');
  if (/^(all|osv|advisories|vulns?|index|data|db|secdb)$/i.test(base)) base = path.basename(path.dirname(resolved));
  const cleaned = base
    .replace(/[^A-Za-z0-9:._/+-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 120);
  return `osv:${cleaned || 'advisories'}`;
}

/**
 * The SHA-256 of a file; for a directory, of the sorted list of its advisory files' relative paths
 * and contents' hashes (symbolic links are not followed, as the reader does not follow them).
 */
export async function sourceDigest(file: string): Promise<string> {
  const info = await lstat(file);
  if (!info.isDirectory()) return fileDigest(file);
  const listing = createHash('sha256');
  for (const relative of await listFiles(file, '')) {
    listing.update(`${relative}\u0000${await fileDigest(path.join(file, relative))}\n`);
  }
  return listing.digest('hex');
}

async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(root: string, relative: string): Promise<string[]> {
  const names = (await readdir(path.join(root, relative))).sort();
  const files: string[] = [];
  for (const name of names) {
    const child = relative === '' ? name : `${relative}/${name}`;
    const info = await lstat(path.join(root, child));
    if (info.isDirectory()) files.push(...(await listFiles(root, child)));
    else if (info.isFile() && /\.(json|ya?ml)$/i.test(name)) files.push(child);
  }
  return files;
}
