#!/usr/bin/env -S npx tsx
// The orion-sim command: `npx tsx tools/bin/orion-sim.ts ...` or `npm start -- ...`.
import { main } from '../cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
