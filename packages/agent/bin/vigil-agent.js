#!/usr/bin/env node
// Development entry: runs the TypeScript sources directly (tsx). Servers run the bundle that
// `npm run build -w @vigil/agent` writes to dist/vigil-agent.mjs, which needs no node_modules.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/entry.ts');
