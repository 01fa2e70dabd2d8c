// The silence watchdog (dead_conn_timeout as a silence detector) must keep watching requests that
// its own kills move onto a connection it already passed as idle in the same round: before the
// fix it decided "nothing busy" before the kills requeued, disarmed, and a slow server left those
// requests in flight forever (cache-wb-link-flap --swarm seed 1 stalled 4 s with 16 reads).
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/engine.ts';
import { Bugs } from '../../../hw-sim/engine/bugs.ts';
import { SilenceWatch, type DeviceManagers } from '../../../drivers/nbd/device-wiring.ts';

const MS = 1_000_000;
const LIMIT = 20 * MS;

interface Slot { index: number; server: number; usable: boolean; outstanding: number; lastRxAt: number }

/** Two connections: conn1 has 5 requests and goes silent; killing it moves them to idle conn0, whose server never answers either. */
function run(bugs: Bugs): { kills: [number, number][] } {
  const engine = new Engine({ seed: 1, bugs });
  const slots: Slot[] = [0, 1].map((index) => ({ index, server: 0, usable: true, outstanding: 0, lastRxAt: 0 }));
  const kills: [number, number][] = [];
  const io = { watching: false, watchdog: { arm: () => {} } };
  const m = {
    io,
    conns: { slots },
    errors: {
      fault: (_cls: string, conn: number) => {
        kills.push([conn, engine.now]);
        const dead = slots[conn]!;
        const n = dead.outstanding;
        dead.outstanding = 0;
        dead.usable = false; // backoff: it never comes back in this test
        const to = slots.find((c) => c.usable);
        if (!to || n === 0) return;
        // What the io path's submit does for the first request on an idle connection.
        if (to.outstanding === 0) { to.lastRxAt = engine.now; if (!io.watching) io.watchdog.arm(); }
        to.outstanding += n;
      },
    },
  } as unknown as DeviceManagers;
  const watch = new SilenceWatch(engine, LIMIT, m);
  io.watchdog = watch;
  slots[1]!.outstanding = 5;
  slots[1]!.lastRxAt = 0;
  io.watchdog.arm();
  engine.runUntil(200 * MS);
  return { kills };
}

describe('the silence watchdog', () => {
  it('kills the connection its own kill moved requests onto, once that one is silent too', () => {
    const { kills } = run(new Bugs());
    // Checks every LIMIT / 4 = 5 ms: conn1 (silent since 0) dies at the check at 20 ms; its
    // requests reach conn0 at 20 ms, which is silent by 40 ms and dies at that check.
    expect(kills).toEqual([[1, 20 * MS], [0, 40 * MS]]);
  });

  it('with silence-watch-disarms injected, the moved requests are never watched again', () => {
    const { kills } = run(new Bugs(['silence-watch-disarms']));
    expect(kills).toEqual([[1, 20 * MS]]);
  });
});
