import type { Dirent } from 'node:fs';
import { opendir } from 'node:fs/promises';
import type { ConfigFactInput, Host, InventoryPackage, ListeningService, WordPressInstall } from '@vigil/protocol';
import { dirInRoot, fileInRoot, resolveInRoot } from '@vigil/vulndb';
import { type RegularRead, readRegular } from './read-regular.ts';
import type { RunCommand } from './run-command.ts';

/** What every collector is given: the root it reads under, and the host facts others filled in. */
export interface CollectContext {
  /** The host directory standing for the machine's `/`. */
  root: string;
  /** True when `root` is the machine itself: only then may live facts (os.hostname()) be used. */
  live: boolean;
  now: Date;
  lockfilePaths: readonly string[];
  webRoots: readonly string[];
  runCommand: RunCommand;
  /** Filled in as collectors run: os first, then the package databases (arch, ecosystem). */
  host: HostDraft;
  /** Names of installed OS packages, for checks that depend on one (unattended-upgrades). */
  osPackageNames: Set<string>;
}

export type HostDraft = Omit<Host, 'arch' | 'hostname'> & { arch: string | null; hostname: string | null };

/** What a collector found. `items` defaults to the number of things it returned. */
export interface CollectorOutput {
  status?: 'ok' | 'skipped';
  message?: string;
  items?: number;
  packages?: InventoryPackage[];
  wordpress?: WordPressInstall[];
  facts?: ConfigFactInput[];
  services?: ListeningService[];
}

export interface Collector {
  name: string;
  run(ctx: CollectContext): Promise<CollectorOutput>;
}

/** A file too large to be what it claims to be: refused, so a hostile machine cannot exhaust memory. */
export class FileTooLargeError extends Error {
  constructor(path: string, size: number, max: number) {
    super(`${path}: ${size} bytes is more than the ${max} bytes allowed for this file`);
    this.name = 'FileTooLargeError';
  }
}

/** The machine's view of a path relative to the root: `etc/passwd` → `/etc/passwd`. */
export const shown = (relative: string): string => `/${relative.replace(/^\/+/, '')}`;

/**
 * The text of `relative` (resolved inside the root, symlinks as the machine sees them), or null
 * when it is not a regular file. The type is checked on the opened handle, not on the name (see
 * read-regular.ts): a FIFO or a symlink put in its place after the path was resolved is skipped,
 * never waited on or followed; `onSkipped` hears of that. Throws FileTooLargeError above `maxBytes`.
 */
export async function readRootText(
  ctx: Pick<CollectContext, 'root'>,
  relative: string,
  maxBytes: number,
  onSkipped?: (message: string) => void,
): Promise<string | null> {
  const path = await resolveInRoot(ctx.root, relative);
  if (path === null) return null;
  let read: RegularRead;
  try {
    read = await readRegular(path, maxBytes);
  } catch (error) {
    // Gone, or a directory, between the resolution and the open: as absent as before.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw error;
  }
  if (read.kind === 'too-large') throw new FileTooLargeError(shown(relative), read.size, maxBytes);
  if (read.kind === 'not-regular') {
    onSkipped?.(
      `${oneLine(shown(relative), 300)}: not a regular file (a directory, a FIFO, a device, or a symlink put in its place); not read`,
    );
    return null;
  }
  return read.text;
}

export async function rootFileExists(ctx: Pick<CollectContext, 'root'>, relative: string): Promise<boolean> {
  return (await fileInRoot(ctx.root, relative)) !== null;
}

export async function rootDirExists(ctx: Pick<CollectContext, 'root'>, relative: string): Promise<boolean> {
  return (await dirInRoot(ctx.root, relative)) !== null;
}

/**
 * A string from the machine made safe to report on one line: control characters (a newline in a
 * file name, a NUL) are shown as `\xNN` instead of breaking the report's structure, and the text is
 * cut to `max` characters.
 */
export function oneLine(value: string, max = 500): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to escape them
  const escaped = value.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max - 1)}…` : escaped;
}

/** Splits text into lines with their 1-based numbers (LF or CRLF). */
export function numberedLines(text: string): { line: string; number: number }[] {
  return text.split('\n').map((line, i) => ({ line: line.endsWith('\r') ? line.slice(0, -1) : line, number: i + 1 }));
}

/**
 * An error as the report shows it. A file-system error names the host path it failed on (the
 * agent's temp root in tests, a mount point in production), so only its code is shown.
 */
export function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.syscall === 'string') return `${e.code ?? 'error'} (${e.syscall})`;
  return oneLine(error instanceof Error ? error.message : String(error), 1_000);
}

/**
 * The entries of a host directory, at most `max` (read one by one, so a directory with millions of
 * entries costs no more than `max`), sorted by name so that runs are repeatable. `truncated` says
 * whether entries were left out.
 */
export async function listDir(host: string, max: number): Promise<{ entries: Dirent[]; truncated: boolean }> {
  const entries: Dirent[] = [];
  let truncated = false;
  for await (const entry of await opendir(host)) {
    if (entries.length >= max) {
      truncated = true;
      break;
    }
    entries.push(entry);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entries, truncated };
}
