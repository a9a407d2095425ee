/**
 * Progress of a long import on standard error: a bar redrawn in place on a terminal (records/s and,
 * when the expected total is known, percent and ETA); plain lines every few seconds otherwise, so
 * logs and CI transcripts stay readable.
 */
export interface Progress {
  update(records: number, expected: number | null): void;
  /** Clears the bar (a terminal) before the summary line is written. */
  end(): void;
}

export interface ProgressOptions {
  tty: boolean;
  write: (text: string) => void;
  now?: () => number;
  /** Plain mode: seconds between lines. */
  lineIntervalS?: number;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export function createProgress(label: string, options: ProgressOptions): Progress {
  const now = options.now ?? (() => performance.now());
  const started = now();
  let lastDraw = Number.NEGATIVE_INFINITY;
  let drawn = false;
  const interval = (options.lineIntervalS ?? 5) * 1000;
  let nextLine = started + interval;
  return {
    update(records, expected) {
      const t = now();
      if (options.tty) {
        if (t - lastDraw < REDRAW_MS) return;
        lastDraw = t;
        drawn = true;
        options.write(`\r\x1b[K${describe(label, records, expected, (t - started) / 1000, true)}`);
      } else if (t >= nextLine) {
        nextLine = t + interval;
        options.write(`${describe(label, records, expected, (t - started) / 1000, false)}\n`);
      }
    },
    end() {
      if (options.tty && drawn) options.write('\r\x1b[K');
    },
  };
}

export function describe(label: string, records: number, expected: number | null, seconds: number, bar: boolean): string {
  const rate = seconds > 0 ? records / seconds : 0;
  const parts = [`${label}`];
  if (expected !== null && expected > 0) {
    const fraction = Math.min(records / expected, 1);
    if (bar) {
      const filled = Math.round(fraction * BAR_WIDTH);
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`);
    }
    parts.push(`${Math.floor(fraction * 100)}%`);
  }
  parts.push(`${records.toLocaleString('en-US')} records`, `${Math.round(rate).toLocaleString('en-US')}/s`);
  if (expected !== null && expected > records && rate > 0) parts.push(`ETA ${clock((expected - records) / rate)}`);
  return parts.join('  ');
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(s / 60);
  return `${minutes}:${String(s % 60).padStart(2, '0')}`;
}
