/**
 * How busy the whole machine was, from Linux's /proc/stat: the benchmark shares its cores with
 * whatever else runs, and a figure taken on a busy machine must say so. Null off Linux.
 */
import { readFileSync } from 'node:fs';

interface CpuTimes {
  busy: number;
  total: number;
}

function cpuTimes(): CpuTimes | null {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …: idle and iowait are the only idle ones.
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Starts a window; `busyCores()` answers how many cores' worth of work the machine did in it. */
export function machineWindow(cores: number): { busyCores(): number | null } {
  const from = cpuTimes();
  return {
    busyCores() {
      const to = cpuTimes();
      if (!from || !to || to.total === from.total) return null;
      return ((to.busy - from.busy) / (to.total - from.total)) * cores;
    },
  };
}
