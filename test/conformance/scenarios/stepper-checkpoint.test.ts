// Checkpoints: while the stepper waits for input a second run is kept paused behind the current
// point; going back from there must land in exactly the state a re-execution from the start
// reaches (same records next), with breakpoint hits indexed the same way.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../scenarios/schema/index.ts';
import { runner } from '../../../scenarios/runner/index.ts';
import { Stepper } from '../../../tools/cli/stepper.ts';

const s = loadScenario(join(import.meta.dirname, '../../../scenarios/fault-mix.toml'));

async function session(checkpoint: boolean): Promise<string> {
  let out = '';
  const st = new Stepper(() => runner.openSession!(s, 1), (x) => { out += x; }, s);
  // Set at the start, the breakpoint is indexed on the way, so the checkpoint can serve it.
  await st.exec('break kind=rq.complete');
  await st.exec('continue 30ms');
  if (checkpoint) await st.prepare();
  await st.exec('back 600');
  if (checkpoint) await st.prepare();
  await st.exec('reverse-continue');
  // `next 5` runs five events from where reverse-continue stopped (some events trace nothing).
  const at = Number(/event (\d+)\s*$/.exec(out.trim())?.[1]);
  out = '';
  await st.exec('next 5');
  await st.exec('where');
  expect(out.trim()).toMatch(new RegExp(`, event ${at + 5}, \\d+ records$`));
  return out;
}

describe('stepper checkpoints', () => {
  it('back and reverse-continue from a checkpoint run equal a re-execution from the start', async () => {
    const fresh = await session(false);
    expect(fresh.split('\n').filter((l) => l.startsWith('[')).length).toBeGreaterThanOrEqual(1);
    expect(await session(true)).toBe(fresh);
  });
});
