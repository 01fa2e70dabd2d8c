import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXPORT_FORMATS } from '../../../tools/trace/export.ts';
import { TRACE_FORMATS } from '../../../tools/cli/commands/trace.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HOOK = fileURLToPath(new URL('./load-log.mjs', import.meta.url));

/** Runs the CLI from source (tsx) and lists what it loaded: repository files and packages. */
function loaded(args: string[], entry: string[] = ['--import', 'tsx', 'tools/bin/orion-sim.ts']): { status: number | null; files: string[]; packages: string[] } {
  const log = join(mkdtempSync(join(tmpdir(), 'orion-load-')), 'loaded.txt');
  const p = spawnSync(process.execPath, ['--import', HOOK, ...entry, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOAD_LOG: log }, timeout: 60_000 });
  const urls = readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file:'));
  const paths = urls.map((u) => fileURLToPath(u));
  // node_modules may be a symlink elsewhere (a worktree's): node reports the real path.
  const packages = [...new Set(paths.filter((f) => f.includes('/node_modules/')).map((f) => {
    const parts = f.slice(f.lastIndexOf('/node_modules/') + '/node_modules/'.length).split('/');
    return parts.slice(0, parts[0]!.startsWith('@') ? 2 : 1).join('/');
  }))];
  return { status: p.status, files: paths.filter((f) => !f.includes('/node_modules/')).map((f) => relative(ROOT, f)), packages };
}

// The simulator's layers: none of them may load for --help or a bad flag (only the two tiny
// drivers/nbd/config modules that parse durations and name input errors).
const SIM = /^(hw-sim|kernel|drivers|scenarios)\//;
const ALLOWED = ['drivers/nbd/config/units.ts', 'drivers/nbd/config/errors.ts'];

describe('orion-sim start-up loads only the command table', () => {
  it('--help and a bad flag load commander and the declarations, never the simulator, zod, xstate, rxjs or piscina', () => {
    for (const args of [['--help'], ['run', 'scenarios/smoke.toml', '--seed', 'x'], ['sweep', '--help']]) {
      const l = loaded(args);
      expect(l.status).toBe(args.includes('x') ? 2 : 0);
      expect(l.files.filter((f) => SIM.test(f) && !ALLOWED.includes(f))).toEqual([]);
      // Every CLI module that loaded is a declaration, not an action.
      expect(l.files.filter((f) => f.startsWith('tools/cli/actions/') || f.startsWith('tools/cli/stepper') || f.startsWith('tools/report/'))).toEqual([]);
      expect(l.packages.filter((p) => p !== 'commander' && p !== 'tsx' && !p.startsWith('@esbuild') && p !== 'esbuild' && p !== 'get-tsconfig' && p !== 'resolve-pkg-maps')).toEqual([]);
    }
  });

  it('the command that runs loads its action: validate loads the scenario loader and zod', () => {
    const l = loaded(['validate', 'scenarios/smoke.toml']);
    expect(l.status).toBe(0);
    expect(l.files).toContain('tools/cli/actions/validate.ts');
    expect(l.files).toContain('scenarios/schema/load.ts');
    expect(l.packages).toContain('zod');
  });

  it('trace export --format choices are the exporter\'s formats', () => {
    expect([...TRACE_FORMATS]).toEqual([...EXPORT_FORMATS]);
  });
});
