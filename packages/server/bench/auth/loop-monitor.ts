/**
 * Preloaded into the benchmarked server (`node --import tsx --import this-file`), so the figures
 * come from the server's own event loop without touching the server's code. On SIGUSR2 it writes
 * what happened since the previous SIGUSR2 to BENCH_LOOP_FILE: event-loop delay percentiles (how
 * long ready callbacks waited for the loop), garbage-collection pauses and the process's CPU time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface LoopSnapshot {
  seq: number;
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** The main (event-loop) thread alone, from Linux's schedstat: time on a CPU, time runnable but waiting for one. */
  mainThreadCpuMs: number;
  mainThreadRunqueueWaitMs: number;
}

/** [ns on a CPU, ns waiting on a run queue] of the main thread; NaN off Linux. */
function mainThreadSchedstat(): [number, number] {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
    return [run ?? Number.NaN, wait ?? Number.NaN];
  } catch {
    return [Number.NaN, Number.NaN];
  }
}

const file = process.env.BENCH_LOOP_FILE;
if (file) {
  // 1 ms resolution: the target is 20 ms, the default 10 ms sampling would blur it.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let gcCount = 0;
  let gcTotalMs = 0;
  let gcMaxMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcCount++;
      gcTotalMs += entry.duration;
      gcMaxMs = Math.max(gcMaxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  let cpu = process.cpuUsage();
  let sched = mainThreadSchedstat();
  let seq = 0;
  process.on('SIGUSR2', () => {
    const used = process.cpuUsage(cpu);
    const [run, wait] = mainThreadSchedstat();
    const snapshot: LoopSnapshot = {
      seq: ++seq,
      delayP50Ms: delay.percentile(50) / 1e6,
      delayP99Ms: delay.percentile(99) / 1e6,
      delayMaxMs: delay.max / 1e6,
      gcCount,
      gcTotalMs,
      gcMaxMs,
      cpuUserMs: used.user / 1000,
      cpuSystemMs: used.system / 1000,
      mainThreadCpuMs: (run - sched[0]) / 1e6,
      mainThreadRunqueueWaitMs: (wait - sched[1]) / 1e6,
    };
    writeFileSync(file, JSON.stringify(snapshot));
    delay.reset();
    gcCount = 0;
    gcTotalMs = 0;
    gcMaxMs = 0;
    cpu = process.cpuUsage();
    sched = mainThreadSchedstat();
  });
}
