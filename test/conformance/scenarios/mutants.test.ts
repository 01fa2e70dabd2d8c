// Every bug of the catalogue is caught by a scenario run (or swarm seed) that passes without it:
// the checks fail when they should. Bugs are hunted on two worker threads.
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BUG_NAMES } from '../../../hw-sim/engine/bugs.ts';
import { huntAll } from '../../../tools/mutants/pool.ts';

describe('mutants: every catalogued bug is killed', () => {
  it(`${BUG_NAMES.length} bugs, none survives`, async () => {
    const rows = await huntAll(BUG_NAMES, Math.max(1, Math.min(2, cpus().length)));
    expect(rows.map((r) => r.bug)).toEqual(BUG_NAMES);
    const survivors = rows.filter((r) => !r.killedBy).map((r) => ({ bug: r.bug, runs: r.runs, flaky: r.flaky }));
    expect(survivors).toEqual([]);
  });
});
