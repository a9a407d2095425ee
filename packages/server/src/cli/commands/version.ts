import { createInterface } from 'node:readline';
import { comparatorFor, InvalidVersionError, KNOWN_ECOSYSTEMS, UnknownEcosystemError } from '@vigil/vulndb';
import { CliExit } from '../exit-codes.ts';

/** `vigil version` and `vigil scan` answer usage and input errors with 2, as scanners do. */
const INPUT_ERROR = 2;

function comparator(ecosystem: string) {
  try {
    return comparatorFor(ecosystem);
  } catch (error) {
    if (error instanceof UnknownEcosystemError) {
      throw new CliExit(INPUT_ERROR, `unknown ecosystem "${ecosystem}"; known: ${KNOWN_ECOSYSTEMS.join(', ')}`);
    }
    throw error;
  }
}

async function* stdinLines(): AsyncGenerator<string> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) yield line;
}

export async function versionCompareCommand(ecosystem: string, a: string | undefined, b: string | undefined, options: { batch?: boolean }) {
  const cmp = comparator(ecosystem);
  if (options.batch) {
    if (a !== undefined || b !== undefined)
      throw new CliExit(INPUT_ERROR, '--batch reads A<TAB>B pairs from standard input; give no versions');
    let out = '';
    for await (const line of stdinLines()) {
      if (line === '') continue;
      const [left, right, ...rest] = line.split('\t');
      let answer: string;
      try {
        if (left === undefined || right === undefined || rest.length > 0)
          throw new InvalidVersionError(ecosystem, line, 'expected A<TAB>B');
        answer = String(cmp.compare(left, right));
      } catch (error) {
        if (!(error instanceof InvalidVersionError)) throw error;
        answer = 'invalid';
      }
      out += `${answer}\n`;
      if (out.length > 64 * 1024) {
        process.stdout.write(out);
        out = '';
      }
    }
    process.stdout.write(out);
    return;
  }
  if (a === undefined || b === undefined) throw new CliExit(INPUT_ERROR, 'usage: vigil version compare ECOSYSTEM A B (or --batch)');
  try {
    process.stdout.write(`${cmp.compare(a, b)}\n`);
  } catch (error) {
    if (error instanceof InvalidVersionError) throw new CliExit(INPUT_ERROR, error.message);
    throw error;
  }
}

export async function versionSortCommand(ecosystem: string) {
  const cmp = comparator(ecosystem);
  const versions: string[] = [];
  let lineNumber = 0;
  for await (const line of stdinLines()) {
    lineNumber++;
    const version = line.trim();
    if (version === '') continue;
    if (!cmp.isValid(version))
      throw new CliExit(INPUT_ERROR, `line ${lineNumber}: invalid ${ecosystem} version ${JSON.stringify(version.slice(0, 80))}`);
    versions.push(version);
  }
  versions.sort((x, y) => cmp.compare(x, y));
  process.stdout.write(versions.length > 0 ? `${versions.join('\n')}\n` : '');
}
