// `prepare` (after the build): links node_modules/.bin/orion-sim to the launcher, so `npx
// orion-sim` takes npm exec's fast path (a local bin is run as it is). package.json has no "bin"
// on purpose: npm 10–11 treats a root package's own bin as a package to install into its npx cache
// (libnpmexec: hasPkgBin → Arborist loadActual of the whole tree), 0.2–0.5 s more per start.
import { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = `${root}node_modules/.bin`;
const link = `${bin}/orion-sim`;
const target = '../../tools/bin/orion-sim.mjs';

mkdirSync(bin, { recursive: true });
let current;
try {
  current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : 'not a link';
} catch {
  current = undefined;
}
if (current !== target) {
  if (current !== undefined) rmSync(link, { force: true });
  symlinkSync(target, link);
}
