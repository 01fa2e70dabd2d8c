// The stepper's reverse execution, watchpoints and forks on the real runner, driven through a
// pipe: a watchpoint on the sectors of the first request, reverse-continue back through every
// record that touched them to the request's own rq.queue; a fork that adds a one-way partition
// the original run never had; continue TIME stops the clock exactly at TIME; searches end.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function step(script: string[]): string[] {
  const p = spawnSync('npx', ['tsx', 'tools/bin/orion-sim.ts', 'step', 'scenarios/smoke.toml'], { input: `${script.join('\n')}\n`, encoding: 'utf8', timeout: 120_000 });
  expect(p.stderr).toBe('');
  expect(p.status).toBe(0);
  return p.stdout.split('\n');
}

const eventOf = (line: string): number => Number(/event (\d+)$/.exec(line)![1]);

describe('stepper: reverse-continue to watchpoint hits, fork (smoke.toml through a pipe)', () => {
  it('walks back through every record touching the first request\'s sectors to its rq.queue', () => {
    // Pass 1: learn the first request's sectors and the event that queued it.
    const first = step(['until kind=rq.queue', 'quit']);
    const [, sector, sectors] = /"sector":(\d+),"sectors":(\d+)/.exec(first[1]!)!.map(Number) as [number, number, number];
    const queuedAt = eventOf(first[2]!);
    const lba = `${sector}..${sector + sectors - 1}`;
    const out = step(['continue 4ms', `watch lba ${lba}`, ...Array(12).fill('reverse-continue'), 'quit']);
    expect(out[1]).toBe('ran ' + /ran (\d+)/.exec(out[1]!)![1] + ' events; now 4.000ms, event ' + eventOf(out[1]!));
    expect(out[2]).toBe(`watchpoint 1: lba ${lba}`);
    const hits = out.filter((l) => l.startsWith('1 (lba '));
    const positions = out.filter((l) => /^back \d+ events;/.test(l)).map(eventOf);
    expect(hits.length).toBeGreaterThanOrEqual(4); // client queue + completion, server request, disk at least
    expect(positions.length).toBe(hits.length);
    for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeLessThan(positions[i - 1]!);
    // Every hit touches the watched sectors: by sector range, byte range, or a request that did.
    for (const h of hits) {
      const d = JSON.parse(h.slice(h.indexOf('{'))) as Record<string, number>;
      if (d['sector'] !== undefined) expect(d['sector']).toBeLessThan(sector + sectors);
      const off = d['off'] ?? d['offset'];
      if (off !== undefined) expect(Math.floor(off / 512)).toBe(sector);
    }
    // The earliest hit is the request's own rq.queue; one more step back finds nothing.
    expect(hits[hits.length - 1]).toContain(' rq.queue {');
    expect(positions[positions.length - 1]).toBe(queuedAt);
    expect(out).toContain(`no earlier hit; back 0 events; now ${/now ([^,]+),/.exec(out.filter((l) => l.startsWith('back ')).pop()!)![1]}, event ${queuedAt}`);
  });

  it('fork: a one-way partition the run never had drops the server\'s frames; back before it undoes it', () => {
    const out = step([
      'skip-to 60ms',
      'fork partition target=client<->a duration=300ms direction=a->client',
      'until kind=link.drop',
      'skip-to 59ms',
      'until kind=link.drop',
      'quit',
    ]);
    expect(out[1]).toMatch(/^at 60\.000ms, event \d+$/);
    expect(out[2]).toMatch(/^forked at 60\.000ms, event \d+: partition target=client<->a/);
    // smoke's own partition ends at 55 ms; the forked one drops what a sends (the cable's a->b).
    const drop = out[3]!;
    expect(drop).toMatch(/fabric\/a-nic0 link\.drop \{"dir":"a->b","why":"partition"/);
    expect(Number(/^\[ *([\d.]+)ms\]/.exec(drop)![1])).toBeGreaterThan(60);
    // Back at 59 ms the fork is gone: no drop until the run ends, and the end is announced.
    expect(out[5]).toMatch(/^at 59\.000ms, event \d+$/);
    expect(out[6]).toMatch(/^-- run complete at [\d.]+ms, event \d+: jobs done, timeline applied/);
    expect(out[7]).toMatch(/^stopped at the end of the run \(jobs done, timeline applied\); ran \d+ events/);
  });

  it('continue TIME stops the clock at TIME; a state search past the end stops at the deadline', () => {
    const out = step(['continue 10ms', 'continue 1s', 'state nbd0/conn0', 'quit']);
    expect(out[1]).toMatch(/; now 10\.000ms, event \d+$/);
    expect(out[2]).toMatch(/^-- run complete at /);
    expect(out[3]).toMatch(/; now 1\.000s, event \d+$/);
    expect(out[4]).toMatch(/^no match before the run's deadline; ran \d+ events/);
  });
});
