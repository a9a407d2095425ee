import { readFileSync } from 'node:fs';

/**
 * This process's peak resident memory in MB. VmHWM belongs to the process's own address space;
 * `resourceUsage().maxRSS` also counts the parent's size at fork, so a child started by a large
 * benchmark process would report its parent's memory as its own.
 */
export function peakRssMb(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm?.[1]) return Math.round(Number(hwm[1]) / 1024);
  } catch {
    // not Linux: fall through
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
