import { describe, expect, it } from 'vitest';
import { createProgress, describe as describeProgress } from './progress.ts';

function clock() {
  let t = 0;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('import progress', () => {
  it('on a terminal: one bar redrawn in place, with percent, records/s and ETA when the total is expected', () => {
    const out: string[] = [];
    const c = clock();
    const progress = createProgress('epss', { tty: true, write: (s) => out.push(s), now: c.now });
    c.advance(1000);
    progress.update(1000, 4000);
    c.advance(50);
    progress.update(1100, 4000); // within the redraw interval: not drawn
    c.advance(950);
    progress.update(2000, 4000);
    progress.end();
    expect(out).toHaveLength(3);
    expect(out[0]).toBe('\r\x1b[Kepss  [######------------------]  25%  1,000 records  1,000/s  ETA 0:03');
    expect(out[1]).toBe('\r\x1b[Kepss  [############------------]  50%  2,000 records  1,000/s  ETA 0:02');
    expect(out[2]).toBe('\r\x1b[K');
  });

  it('elsewhere: plain lines every few seconds, no control characters, no bar', () => {
    const out: string[] = [];
    const c = clock();
    const progress = createProgress('osv:Go', { tty: false, write: (s) => out.push(s), now: c.now, lineIntervalS: 5 });
    for (let i = 1; i <= 12; i++) {
      c.advance(1000);
      progress.update(i * 500, null);
    }
    progress.end();
    expect(out).toEqual(['osv:Go  2,500 records  500/s\n', 'osv:Go  5,000 records  500/s\n']);
  });

  it('says no ETA while the rate or the total is unknown', () => {
    expect(describeProgress('kev', 0, 1404, 0, false)).toBe('kev  0%  0 records  0/s');
    expect(describeProgress('kev', 10, null, 1, true)).toBe('kev  10 records  10/s');
  });
});
