// The stepper on the real runner, driven through a pipe as a developer's script would drive it:
// `show` is a few small tables (statecharts known from time 0, blk-mq, NBD commands by cookie,
// NIC rings, TCP windows), `show SECTION` one of them, `show --json` / `show raw` the full data.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function step(script: string[]): { code: number | null; out: string; err: string } {
  const p = spawnSync('npx', ['tsx', 'tools/bin/orion-sim.ts', 'step', 'scenarios/smoke.toml'], { input: `${script.join('\n')}\n`, encoding: 'utf8', timeout: 60_000 });
  return { code: p.status, out: p.stdout, err: p.stderr };
}

/** A table: its title line and the indented lines under it. */
function section(out: string, title: RegExp): string[] {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => title.test(l));
  expect(at, `no line matching ${title}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > at && !l.startsWith('  '));
  return lines.slice(at, end < 0 ? undefined : end);
}

describe('stepper show (smoke.toml through a pipe)', () => {
  it('statecharts are known before any state record passes; show is concise tables', () => {
    const r = step(['machines', 'show statecharts', 'next 3', 'show', 'quit']);
    expect([r.code, r.err]).toEqual([0, '']);
    // The device and its first connection exist from time 0 (smoke: pool of 2 on one server).
    const out = r.out.split('\n');
    expect(out.slice(1, 3)).toEqual(['nbd0', 'nbd0/conn0']);
    const charts = section(r.out, /^statecharts — device nbd0 /);
    expect(charts[1]).toMatch(/^ {2}machine +state$/);
    expect(charts.some((l) => /^ {2}nbd0 +connecting$/.test(l))).toBe(true);
    expect(charts.some((l) => /^ {2}nbd0\/conn0 +(idle|connect)$/.test(l))).toBe(true);
    // The whole `show` after three events: five titled tables, a screenful, not hundreds of stats lines.
    const whole = r.out.slice(r.out.lastIndexOf('statecharts — '));
    for (const t of [/^statecharts — /m, /^blk-mq — in flight: nbd0 0 /m, /^NBD commands in flight on nbd0: 0$/m, /^NIC rings$/m, /^TCP connections: 1$/m]) expect(whole).toMatch(t);
    expect(whole.split('\n').length).toBeLessThan(40);
    expect(whole).not.toContain('block/nbd0/latency');
  });

  it('with requests in flight: blk-mq tags, NBD commands by cookie, rings and windows', () => {
    const r = step(['until kind=nbd.request', 'next 30', 'show blk', 'show nbd', 'show nics', 'show tcp', 'quit']);
    expect([r.code, r.err]).toEqual([0, '']);
    // One hardware queue of 32 tags (smoke: iodepth 8 ⇒ the runner's minimum depth of 32).
    const blk = section(r.out, /^blk-mq — in flight: nbd0 \d+ /);
    expect(blk[1]!.trim().split(/\s+/)).toEqual(['disk', 'hctx', 'depth', 'tags', 'dispatched', 'waiting', 'inflight']);
    const [disk, hctx, depth, tags] = blk[2]!.trim().split(/\s+/);
    expect([disk, hctx, depth]).toEqual(['nbd0', '0', '32']);
    expect(Number(tags)).toBeGreaterThan(0);
    expect(Number(tags)).toBeLessThanOrEqual(8); // one job at queue depth 8
    // Every command in flight: a 64-bit cookie, a 4 KiB read or write inside the job's 16 MiB, on a connection.
    const nbd = section(r.out, /^NBD commands in flight on nbd0: [1-8]$/);
    expect(nbd[1]!.trim().split(/\s+/)).toEqual(['cookie', 'cmd', 'offset', 'length', 'conn', 'state', 'age']);
    expect(nbd.length).toBeGreaterThan(2);
    for (const row of nbd.slice(2)) {
      const [cookie, cmd, offset, length, conn, state, age] = row.trim().split(/\s+/);
      expect(cookie).toMatch(/^0x[0-9a-f]{16}$/);
      expect(['READ', 'WRITE']).toContain(cmd);
      expect(Number(offset) % 4096).toBe(0);
      expect(Number(offset)).toBeLessThan(16 * 2 ** 20);
      expect(length).toBe('4096');
      expect(['0', '1']).toContain(conn);
      expect(state).toBe('sent');
      expect(age).toMatch(/^[\d.]+(ns|µs|ms)$/);
    }
    // Rings of 1024 descriptors on both hosts; packets have moved both ways.
    const nics = section(r.out, /^NIC rings$/);
    expect(nics.slice(2).map((l) => l.trim().split(/\s+/)[0])).toEqual(['client', 'a']);
    for (const row of nics.slice(2)) {
      const [, txFree, txPackets, , rxFree, rxPackets] = row.trim().split(/\s+/).map(Number);
      expect(txFree).toBeLessThanOrEqual(1024);
      expect(rxFree).toBeLessThanOrEqual(1024);
      expect(txPackets).toBeGreaterThan(0);
      expect(rxPackets).toBeGreaterThan(0);
    }
    // The first connection is established at both ends, with a measured RTT (≥ 2 × 20 µs of link delay).
    const tcp = section(r.out, /^TCP connections: \d+$/);
    expect(tcp[1]!.trim().split(/\s{2,}/)).toEqual(['host', 'connection', 'state', 'cwnd', 'snd_wnd', 'rcv_wnd', 'in flight', 'srtt']);
    const first = tcp.find((l) => /^ {2}client +10\.0\.0\.1:\d+>10\.0\.0\.10:10809 +ESTABLISHED /.test(l));
    expect(first).toBeDefined();
    expect(first).toMatch(/\d+\.\d{3}µs$/);
    expect(Number(/([\d.]+)µs$/.exec(first!)![1])).toBeGreaterThanOrEqual(40);
  });

  it('show --json and show raw print the full data; a bad section is named', () => {
    const r = step(['next 5', 'show --json', 'show raw', 'show --json nbd', 'show nope', 'quit']);
    expect(r.code).toBe(2); // a bad line in a pipe
    // Two whole documents (--json, raw), then the nbd section's empty list.
    expect(r.out.split('\n').filter((l) => l === '{' || l === '}').length).toBe(4);
    const start = r.out.indexOf('{\n');
    const end = r.out.indexOf('\n}\n', start) + 2;
    const full = JSON.parse(r.out.slice(start, end)) as Record<string, unknown>;
    expect(Object.keys(full)).toEqual(['time', 'statecharts', 'device', 'blk', 'nbdInflight', 'nics', 'tcp']);
    expect(Object.keys(full['blk'] as object)).toContain('block/nbd0/hctx/0/tags_in_use');
    expect(r.out).toContain('[]\n'); // no NBD command in flight after 5 events
    expect(r.out).toContain('error: no section "nope" (sections: statecharts, blk, nbd, nics, tcp; or show raw)\n');
  });
});
