// Is dist/ the build of the sources as they are now? Plain JavaScript: the launcher
// (orion-sim.mjs) asks before it loads the bundle, without tsx. About 300 stat calls, a few ms.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** dist/build.json: when the last build started and every source file that went into it. */
export const BUILD_INFO = 'build.json';

/**
 * Why dist/ under `root` cannot be used as it is (missing, or a source changed or vanished since
 * the build started), or undefined when it is current.
 */
export function staleReason(root) {
  let info;
  try {
    info = JSON.parse(readFileSync(join(root, 'dist', BUILD_INFO), 'utf8'));
  } catch {
    return 'dist/ is not built yet';
  }
  if (typeof info?.startedMs !== 'number' || !Array.isArray(info.inputs)) return `dist/${BUILD_INFO} is not a build record`;
  for (const f of info.inputs) {
    const st = statSync(join(root, f), { throwIfNoEntry: false });
    if (st === undefined) return `${f} is gone since the last build`;
    if (st.mtimeMs > info.startedMs) return `${f} changed since the last build`;
  }
  return undefined;
}
