// One-way partitions in the timeline: `direction = "a->client"` drops only what a sends to the
// client; the other way keeps flowing. The server's cable has its NIC on side a, the switch on b,
// so a->client is the cable's a->b direction and client->a its b->a.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../../scenarios/schema/index.ts';
import { buildWorld } from '../../../scenarios/runner/index.ts';
import { runWorld } from '../../../scenarios/runner/run.ts';

const BASE = readFileSync(join(import.meta.dirname, '../../../scenarios/fault-partition-heal.toml'), 'utf8')
  .replace(/\[\[at\]\][\s\S]*?\n\n/, '');

const withDirection = (direction: string) => parseScenario(
  BASE.replace('[expect]', `[[at]]\ntime = "10ms"\naction = "partition"\ntarget = "client<->a"\nduration = "50ms"\ndirection = "${direction}"\n\n[expect]`),
  'dir.toml',
);

/** Frames each direction of the server's cable dropped while partitioned, at 40 ms. */
function blocked(direction: string): { fromServer: number; toServer: number } {
  const w = buildWorld(withDirection(direction), 1);
  runWorld(w, 40_000_000);
  const cable = w.machine.host('a').link;
  return { fromServer: cable.stats('a->b').blocked, toServer: cable.stats('b->a').blocked };
}

describe('one-way partition', () => {
  it('a->client drops only frames the server sends; the client keeps sending (retransmissions)', () => {
    const b = blocked('a->client');
    expect(b.fromServer).toBeGreaterThan(0);
    expect(b.toServer).toBe(0);
  });

  it('client->a drops only frames the client sends', () => {
    const b = blocked('client->a');
    expect(b.toServer).toBeGreaterThan(0);
    expect(b.fromServer).toBe(0);
  });

  it('the normalised event carries the direction; a direction naming another host is refused', () => {
    const ev = withDirection('a -> client').timeline.find((e) => e.action === 'partition');
    expect(ev).toMatchObject({ direction: { from: 'a', to: 'client' } });
    let err: unknown;
    try { withDirection('b->client'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).message).toMatch(/direction "b->client" must be "client->a" or "a->client"/);
  });
});
