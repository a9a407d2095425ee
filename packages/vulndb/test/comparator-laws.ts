import fc from 'fast-check';
import { expect } from 'vitest';
import type { VersionComparator } from '../src/versions/comparator.ts';
import { expectedSign, readVectors, type VectorLine } from './vectors.ts';

/**
 * Shared checks for the Maven, RubyGems, Packagist, NuGet and WordPress comparator tests: each
 * file of vectors reports every failing line at once, so one run shows the whole damage.
 */

/** A vector line whose expected answer is overridden (an upstream tool disagrees with the file). */
export interface Override {
  readonly text: string;
  readonly expected: -1 | 0 | 1;
}

export interface VectorResult {
  readonly total: number;
  readonly failures: string[];
}

/** Runs every line of `file`; checks compare(a, b) and that compare(b, a) is the opposite sign. */
export function runVectors(comparator: VersionComparator, file: string, overrides: readonly Override[] = []): VectorResult {
  const byText = new Map(overrides.map((o) => [o.text, o.expected]));
  const failures: string[] = [];
  const lines: VectorLine[] = readVectors(file);
  for (const line of lines) {
    const expected = byText.get(line.text) ?? expectedSign(line.op);
    try {
      const forward = comparator.compare(line.a, line.b);
      const backward = comparator.compare(line.b, line.a);
      if (forward !== expected) failures.push(`${file}:${line.line} ${line.text}: got ${forward}, want ${expected}`);
      else if (backward !== -expected) failures.push(`${file}:${line.line} ${line.text}: reversed got ${backward}`);
    } catch (error) {
      failures.push(`${file}:${line.line} ${line.text}: threw ${(error as Error).message}`);
    }
  }
  return { total: lines.length, failures };
}

/** Antisymmetry, reflexivity and transitivity over generated versions. */
export function checkOrderLaws(comparator: VersionComparator, version: fc.Arbitrary<string>, numRuns = 500): void {
  fc.assert(
    fc.property(version, (a) => comparator.compare(a, a) === 0),
    { numRuns },
  );
  fc.assert(
    fc.property(version, version, (a, b) => comparator.compare(a, b) === -comparator.compare(b, a)),
    { numRuns },
  );
  fc.assert(
    fc.property(version, version, version, (a, b, c) => {
      const [x, y, z] = [a, b, c].sort((p, q) => comparator.compare(p, q)) as [string, string, string];
      // After sorting, x <= y <= z must give x <= z, with equality only when both steps are equal.
      const xy = comparator.compare(x, y);
      const yz = comparator.compare(y, z);
      const xz = comparator.compare(x, z);
      return xy <= 0 && yz <= 0 && xz <= 0 && (xz === 0) === (xy === 0 && yz === 0);
    }),
    { numRuns },
  );
}

/**
 * 200 comparisons of adversarial 10k-character strings (each pair distinct, so no cache could
 * help); returns elapsed milliseconds. A short untimed warm-up on 1k-character strings first, so
 * the bound measures the algorithm rather than the JIT compiling it.
 */
export function timeAdversarial(comparator: VersionComparator, patterns: readonly string[]): number {
  const build = (pattern: string, length: number): string => pattern.repeat(Math.ceil(length / pattern.length)).slice(0, length);
  const attempt = (a: string, b: string): void => {
    try {
      comparator.compare(a, b);
    } catch {
      // Rejecting is fine; only the time matters here.
    }
  };
  for (const [i, p] of patterns.entries()) attempt(build(p, 1_000), build(patterns[(i + 1) % patterns.length] as string, 1_000));
  const inputs = patterns.map((p) => build(p, 10_000 - 4));
  const started = performance.now();
  for (let i = 0; i < 200; i++) {
    const a = inputs[i % inputs.length] as string;
    const b = inputs[(i + 1) % inputs.length] as string;
    attempt(
      a + String(1000 + i),
      b +
        String(1000 + i)
          .split('')
          .reverse()
          .join(''),
    );
  }
  return performance.now() - started;
}

export function expectNoFailures(result: VectorResult): void {
  expect(result.total).toBeGreaterThan(0);
  expect(result.failures).toEqual([]);
}

/**
 * CPU milliseconds of the fastest of three runs (the first also warms the JIT). CPU time and the
 * minimum keep the bound about the algorithm, not about other processes on a busy machine; a
 * super-linear blow-up still shows in every run.
 */
export function cpuMillis(run: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}
