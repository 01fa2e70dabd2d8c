#!/usr/bin/env -S npx tsx
// The orion-sim command: `npx tsx tools/bin/orion-sim.ts ...` or `npm start -- ...`.
import { main } from '../cli/main.ts';

// `orion-sim trace export ... | head`: a closed pipe ends the output, it is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
