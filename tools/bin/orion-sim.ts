#!/usr/bin/env node
// The orion-sim command's entry. The bin, tools/bin/orion-sim.mjs, runs its bundle
// dist/orion-sim.js (tools/bin/build.mjs keeps this first line there), rebuilt when stale;
// `npx tsx tools/bin/orion-sim.ts` runs the TypeScript directly.
import { main } from '../cli/main.ts';

// `orion-sim trace export ... | head`: a closed pipe ends the output, it is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
