#!/usr/bin/env node
// The orion-sim command (node_modules/.bin/orion-sim, linked by `prepare`; `npm start`): runs the bundle in dist/ that
// `npm run build` (and `prepare`, during `npm ci`) writes. When a source file is newer than that
// build, it says so on stderr and rebuilds first (~0.3 s), so a stale bundle never runs silently.
// `npx tsx tools/bin/orion-sim.ts` runs the TypeScript directly.
import { fileURLToPath } from 'node:url';
import { staleReason } from './freshness.mjs';

const why = staleReason(fileURLToPath(new URL('../../', import.meta.url)));
if (why !== undefined) {
  process.stderr.write(`orion-sim: ${why}; rebuilding dist/ (npm run build)\n`);
  const { buildDist } = await import('./build.mjs');
  if (!(await buildDist())) {
    process.stderr.write('orion-sim: the build failed (errors above); fix them or run `npx tsx tools/bin/orion-sim.ts`\n');
    process.exit(1);
  }
}
await import('../../dist/orion-sim.js');
