import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shared fixtures folder (`../shared/fixtures` beside the repository). */
export const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));

export interface VectorLine {
  file: string;
  line: number;
  a: string;
  op: '<' | '=' | '>';
  b: string;
  text: string;
}

/**
 * Reads a version-vector file (`A <op> B` per line; `# ` and `// ` comments; blank lines
 * ignored), as fixtures/README.md describes it.
 */
export function readVectors(name: string): VectorLine[] {
  const text = readFileSync(`${FIXTURES}version-vectors/${name}`, 'utf8');
  const out: VectorLine[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('# ') || line.startsWith('//') || line === '#') continue;
    const parts = line.split(' ');
    if (parts.length !== 3) throw new Error(`${name}:${index + 1}: expected "A op B", got ${JSON.stringify(raw)}`);
    const [a, op, b] = parts as [string, string, string];
    if (op !== '<' && op !== '=' && op !== '>') throw new Error(`${name}:${index + 1}: unknown operator ${op}`);
    out.push({ file: name, line: index + 1, a, op, b, text: line });
  }
  return out;
}

export const expectedSign = (op: VectorLine['op']): -1 | 0 | 1 => (op === '<' ? -1 : op === '=' ? 0 : 1);
