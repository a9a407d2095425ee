import type { Dirent } from 'node:fs';
import { open, opendir } from 'node:fs/promises';
import type { ConfigFactInput, Host, InventoryPackage, ListeningService, WordPressInstall } from '@vigil/protocol';
import { dirInRoot, fileInRoot } from '@vigil/vulndb';
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
 * when it is not a regular file. Throws FileTooLargeError above `maxBytes`.
 */
export async function readRootText(ctx: Pick<CollectContext, 'root'>, relative: string, maxBytes: number): Promise<string | null> {
  const path = await fileInRoot(ctx.root, relative);
  if (path === null) return null;
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw new FileTooLargeError(shown(relative), size, maxBytes);
    // Read in chunks rather than trusting the size: /proc files report 0 and can still be long.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new FileTooLargeError(shown(relative), total, maxBytes);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await handle.close();
  }
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
