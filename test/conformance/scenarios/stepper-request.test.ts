// The stepper follows one block request by its id across client, wire, server and disk:
// `watch request ID` stops at every hop in order, `explain ID` prints its stages so far, and once
// it completed, stages that add up to its end-to-end latency (smoke.toml through a pipe).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function step(script: string[]): string[] {
  const p = spawnSync('npx', ['tsx', 'tools/bin/orion-sim.ts', 'step', 'scenarios/smoke.toml'], { input: `${script.join('\n')}\n`, encoding: 'utf8', timeout: 120_000 });
  expect(p.stderr).toBe('');
  expect(p.status).toBe(0);
  return p.stdout.split('\n');
}

const US: Record<string, number> = { ns: 1e-3, 'µs': 1, ms: 1e3, s: 1e6 };
const us = (v: string): number => { const m = /^([0-9.]+)(ns|µs|ms|s)$/.exec(v)!; return Number(m[1]) * US[m[2]!]!; };

describe('stepper: one request across the hosts by its id', () => {
  it('watch request stops at each hop in order: blk-mq, client NIC, server NIC, server, disk, reply, completion', () => {
    const out = step(['watch request 40', ...Array(16).fill('continue'), 'quit']);
    const hits = out.filter((l) => l.startsWith('1 (request 40): '));
    // One stop per event (its first matching record): rq.send shares rq.queue's event, nbd.reply disk.done's.
    expect(hits.length).toBeGreaterThanOrEqual(10);
    const kinds = hits.map((h) => /\] #\d+ (\S+) (\S+)/.exec(h)!.slice(1).join(' '));
    const order = ['client/blk/nbd0 rq.queue', 'client/nic0 nic.tx', 'a/nic0 nic.rx', 'a/nbd-server/10.0.0.1:49153 nbd.request',
      'a/disk-disk0 disk.submit', 'a/disk-disk0 disk.done', 'a/nic0 nic.tx', 'client/nic0 nic.rx', 'nbd0 rq.done', 'client/blk/nbd0 rq.complete'];
    // Each hop appears, in this order (frame records of the fabric in between).
    let at = -1;
    for (const k of order) {
      const i = kinds.indexOf(k, at + 1);
      expect(i, `${k} after ${kinds[at] ?? 'start'} in ${kinds.join(', ')}`).toBeGreaterThan(at);
      at = i;
    }
    expect(kinds.at(-1)).toBe('client/blk/nbd0 rq.complete');
    // Every hit names request 40: as rq (blk-mq), id (driver), rid (server, disk) or in rids (packets).
    for (const h of hits) expect(h).toMatch(/"(rq|id|rid)":40\b|"rids":\[([0-9]+,)*40[\],]/);
  });

  it('explain: the stages reached so far, then all of them summing to the end-to-end latency', () => {
    const out = step(['watch request 40', 'continue', 'continue', 'continue', 'explain 40', 'skip-to 3ms', 'explain 40', 'quit']).join('\n');
    const [early, done] = out.split(/\nat 3\.000ms, event \d+\n/) as [string, string];
    expect(early).toMatch(/request 40: read offset \d+ length 4096, in flight for [0-9.]+(ns|µs) so far/);
    expect(early).toContain('socket send queue');
    expect(early).not.toContain('server queue');
    const m = /request 40: read offset \d+ length 4096 via server a, ([0-9.]+(?:ns|µs|ms)) end to end\n/.exec(done)!;
    const rows = done.slice(done.indexOf('  from')).split('\n').slice(1).filter((l) => /^ +[0-9.]+m?s/.test(l));
    expect(rows.map((l) => l.trim().split(/\s{2,}/)[2])).toEqual(['blk-mq queue', 'driver queue', 'socket send queue', 'wire out', 'server receive',
      'server queue', 'disk', 'server send', 'wire back', 'client receive/softirq', 'completion']);
    const sum = rows.reduce((n, l) => n + us(l.trim().split(/\s{2,}/)[1]!), 0);
    expect(Math.abs(sum - us(m[1]!))).toBeLessThan(0.01); // printed to the nanosecond
  });
});
