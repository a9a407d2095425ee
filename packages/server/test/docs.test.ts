import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../src/config/config.ts';
import { REPO_DIR } from './helpers/processes.ts';

const read = (file: string) => readFileSync(`${REPO_DIR}/${file}`, 'utf8');

describe('documentation stays in step with the code', () => {
  it.each(['README.md', 'docs/configuration.md'])('%s documents every configuration variable, and no others', (file) => {
    const text = read(file);
    const documented = [...text.matchAll(/^\|\s*`([A-Z_]+)`\s*\|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('README starts with the two set-up commands', () => {
    const text = read('README.md');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm install && npm start/m);
    expect(firstBlock).toMatch(/^npm test/m);
  });
});
