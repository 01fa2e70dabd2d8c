// Ctrl-C stops the command that is running, not the stepper: a search that would run forever
// over an endless session yields to the event loop, sees the interrupt and returns; the stepper
// then takes the next command.
import { describe, expect, it } from 'vitest';
import type { SimSession } from '../../../scenarios/runner/types.ts';
import { Stepper } from '../../../tools/cli/stepper.ts';

/** A run that never ends: one event per microsecond, each a `tick` record. */
function endless(): SimSession {
  let t = 0;
  let seq = 0;
  return {
    get now() { return t; },
    get records() { return seq; },
    step() { t += 1000; return [{ t, seq: seq++, src: 'x', kind: 'tick', data: undefined }]; },
    machines: () => [],
    show: () => ({}),
    mgmt: () => { throw new Error('none'); },
    finish: () => { throw new Error('never'); },
    nextEventTime: () => t + 1000,
    advanceTo: (x) => { t = x; },
  };
}

describe('stepper interrupt', () => {
  it('an endless until returns interrupted; the stepper keeps going', async () => {
    let out = '';
    const st = new Stepper(endless, (s) => { out += s; });
    const running = st.exec('until kind=never');
    // The interrupt arrives while the command runs, as SIGINT would (between two event-loop turns).
    await new Promise<void>((r) => setImmediate(r));
    st.interrupt();
    expect(await running).toBe(true);
    expect(out).toMatch(/^interrupted; ran \d+ events; now [\d.]+\S+, event \d+\n$/);
    out = '';
    expect(await st.exec('next')).toBe(true);
    expect(out).toMatch(/x tick\n$/);
  });

  it('continue TIME with no event at TIME stops the clock exactly there', async () => {
    let out = '';
    const st = new Stepper(endless, (s) => { out += s; });
    await st.exec('continue 2500ns');
    // Events at 1, 2 µs ran; the next is at 3 µs, so the clock stops at 2.5 µs after two events.
    expect(out).toBe('ran 2 events; now 2.500µs, event 2\n');
  });
});
