import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { downloadToFile } from './download.ts';
import type { OutboundPolicy } from './policy.ts';

/** Small answers only: a breached-password range is ~40 KB; anything far larger is not one. */
export const SMALL_TEXT_MAX_BYTES = 512 * 1024;
export const SMALL_TEXT_TIMEOUT_MS = 5_000;

/**
 * GETs a small text resource through the outbound guard (the same SSRF, redirect, size and time
 * rules as feed downloads) and resolves with its body. The guard writes to a file; a private
 * temporary directory holds it for the moment it takes to read it back.
 */
export async function fetchSmallText(url: string, policy: OutboundPolicy, opts: { userAgent?: string } = {}): Promise<string> {
  const bounded: OutboundPolicy = {
    ...policy,
    maxBytes: Math.min(policy.maxBytes, SMALL_TEXT_MAX_BYTES),
    timeoutMs: Math.min(policy.timeoutMs, SMALL_TEXT_TIMEOUT_MS),
    idleTimeoutMs: Math.min(policy.idleTimeoutMs, SMALL_TEXT_TIMEOUT_MS),
  };
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-fetch-'));
  try {
    const file = path.join(dir, 'body');
    await downloadToFile(url, file, bounded, { userAgent: opts.userAgent ?? 'Vigil' });
    return await readFile(file, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
