import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { z } from 'zod';

/**
 * Writes `text` so that a reader sees either the old file or the whole new one, never half of
 * it: a temp file created 0600 next to the target (same file system), flushed, then renamed
 * over it. The mode is set at creation, so a token is never readable by others, not even for
 * the instant between a write and a chmod.
 */
export async function writeFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  const temp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Creates `dir` (and its parents) when missing; the agent's own directories are 0700. */
export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export type JsonRead<T> = { kind: 'missing' } | { kind: 'ok'; value: T } | { kind: 'corrupt'; problem: string };

/**
 * Reads a JSON file the agent wrote itself, without trusting it: a missing file, a file cut short
 * by a full disk or edited by hand is reported, never thrown, so the run loop keeps going.
 */
export async function readJsonFile<S extends z.ZodType>(path: string, schema: S): Promise<JsonRead<z.infer<S>>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return { kind: 'missing' };
    return { kind: 'corrupt', problem: `cannot read ${path}: ${(error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'corrupt', problem: `${path} is not valid JSON` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: 'corrupt',
      problem: `${path} is not valid: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    };
  }
  return { kind: 'ok', value: parsed.data };
}

/**
 * True when `dir` exists and is writable, or could be created (its nearest existing ancestor is
 * writable). Checked before a one-time token is spent, so a forgotten `sudo` does not burn it.
 */
export async function canWriteDir(dir: string): Promise<boolean> {
  let current = dir;
  for (;;) {
    try {
      if (!(await stat(current)).isDirectory()) return false;
      await access(current, constants.W_OK);
      return true;
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) return false;
      const parent = dirname(current);
      if (parent === current) return false;
      current = parent;
    }
  }
}

export function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}
