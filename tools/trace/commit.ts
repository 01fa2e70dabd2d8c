/** The git commit of the code that wrote a trace or sweep result (undefined outside a git checkout). */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

let cached: string | null | undefined;

export function gitCommit(): string | undefined {
  if (cached === undefined) {
    try {
      const dir = fileURLToPath(new URL('.', import.meta.url));
      const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      cached = /^[0-9a-f]{40}$/.test(out) ? out : null;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}
