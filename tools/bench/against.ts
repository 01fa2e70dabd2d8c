/**
 * `npm run bench -- <suite> --against REV`: the same suite measured in this run for a base commit
 * (a temporary git worktree sharing this tree's node_modules) and for this tree, alternating
 * base/this twice, each in its own child process so neither inherits the other's JIT or heap.
 * Wall-clock numbers of both sides come from the same minutes of the same machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

function git(args: string[], cwd = ROOT): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function runSuite(tree: string, suite: string, label: string): void {
  console.log(`\n=== ${label} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(tree, 'tools/bench/index.ts'), suite], {
    cwd: tree,
    stdio: 'inherit',
  });
  if (r.status !== 0) console.error(`bench --against: ${label} exited with ${r.status ?? r.signal}`);
}

export function benchAgainst(rev: string, suite: string): void {
  let sha: string;
  try {
    sha = git(['rev-parse', '--verify', `${rev}^{commit}`]);
  } catch {
    console.error(`bench: --against: '${rev}' is not a commit of this repository`);
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'orion-bench-base-'));
  const tree = join(dir, 'tree');
  git(['worktree', 'add', '--detach', tree, sha]);
  const cleanup = (): void => {
    git(['worktree', 'remove', '--force', tree]);
    rmSync(dir, { recursive: true, force: true });
  };
  // An interrupted comparison must not leave a worktree registered in the repository.
  const onSignal = (): never => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    if (!existsSync(join(tree, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
    const short = sha.slice(0, 10);
    const head = git(['rev-parse', '--short=10', 'HEAD']);
    const dirty = git(['status', '--porcelain']).length > 0 ? ' + uncommitted changes' : '';
    for (let round = 1; round <= 2; round++) {
      runSuite(tree, suite, `round ${round}: base ${short} (${rev})`);
      runSuite(ROOT, suite, `round ${round}: this tree ${head}${dirty}`);
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    cleanup();
  }
}
