import { describe, expect, it } from 'vitest';
import { REQ_OP } from '../../../kernel/block/types.ts';
import { config, rig } from './harness.ts';
import { BS, fillPattern, VerifyWorkload } from './workload.ts';

const MiB = 1 << 20;
const MS = 1_000_000;
const srv = [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }];
const exportsRw = [{ name: 'disk', device: undefined, access: 'rw' as const }];
const pool4 = config({
  connectionPoolSize: 4, connectionMaxCount: 8, connectionTimeoutNs: 50 * MS, requestTimeoutNs: 30 * MS,
  deadConnTimeoutNs: 200 * MS, serverHealthCheckIntervalNs: 100 * MS,
  reconnect: { baseNs: 10 * MS, capNs: 80 * MS, jitter: 0.2 }, servers: srv, exports: exportsRw,
});

describe('a connection killed mid-flight', () => {
  it('RST: its requests complete on the other connections, none twice, none lost, data intact', () => {
    const r = rig(31, pool4, (n) => n.addServer('srv', { size: 4 * MiB }));
    r.engine.runUntil(10 * MS);
    const w = new VerifyWorkload(r, 512, 32, 3000);
    w.start();
    r.engine.runUntil(r.engine.now + 300_000);
    const victim = r.dev.conns.slots[1]!;
    expect(victim.outstanding).toBeGreaterThan(0);
    r.net.rst('srv', 1);
    r.engine.runUntil(2000 * MS);
    expect(w.res).toMatchObject({ submitted: 3000, completed: 3000, errors: 0, mismatches: 0 });
    expect(r.blk.doubles).toBe(0);
    expect(r.dev.errors.requeued).toBeGreaterThan(0);
    expect(r.dev.perf.disconnects).toBeGreaterThanOrEqual(1);
    // The pool heals: the killed connection reconnects after backoff.
    expect(r.dev.conns.live).toBe(4);
    expect(r.dev.state).toBe('ready');
  });

  it('partition longer than the request timeout: the block-layer timeout moves its requests to live connections', () => {
    const r = rig(32, pool4, (n) => n.addServer('srv', { size: 4 * MiB }));
    r.engine.runUntil(10 * MS);
    const w = new VerifyWorkload(r, 512, 32, 2000);
    w.start();
    r.engine.runUntil(r.engine.now + 300_000);
    r.net.partitionConn('srv', 2, true);
    r.engine.runUntil(3000 * MS);
    expect(w.res).toMatchObject({ submitted: 2000, completed: 2000, errors: 0, mismatches: 0 });
    expect(r.blk.doubles).toBe(0);
    expect(r.dev.errors.counts.timeout).toBeGreaterThan(0);
  });
});

describe('a silent connection', () => {
  it('is declared dead after dead_conn_timeout of silence with requests in flight, before the block-layer timeout', () => {
    const cfg = config({ ...pool4, requestTimeoutNs: 30_000 * MS, deadConnTimeoutNs: 100 * MS });
    const r = rig(36, cfg, (n) => n.addServer('srv', { size: 4 * MiB }));
    r.engine.runUntil(10 * MS);
    const w = new VerifyWorkload(r, 512, 32, 1500);
    w.start();
    r.engine.runUntil(r.engine.now + 300_000);
    r.net.partitionConn('srv', 0, true);
    const t0 = r.engine.now;
    r.engine.runUntil(t0 + 1000 * MS);
    // Silence is checked every dead_conn_timeout / 4: detected within 1.25 × 100 ms, then requeued.
    expect(w.res).toMatchObject({ submitted: 1500, completed: 1500, errors: 0, mismatches: 0 });
    expect(r.dev.errors.counts['dead-conn']).toBeGreaterThanOrEqual(1);
    expect(r.dev.errors.counts.timeout).toBe(0);
  });
});

describe('a single-connection device whose server is gone', () => {
  const single = config({ ...pool4, connectionPoolSize: 1, connectionRetryCount: 2 });

  it('fails waiting requests with EIO after dead_conn_timeout, and recovers when the server returns', () => {
    const r = rig(33, single, (n) => n.addServer('srv', { size: 4 * MiB }));
    r.engine.runUntil(10 * MS);
    expect(r.dev.state).toBe('ready');
    r.net.crash('srv');
    r.engine.runUntil(r.engine.now + 1 * MS);
    const t0 = r.engine.now;
    const rd = r.blk.submit(REQ_OP.READ, 0, BS, new Uint8Array(BS))!;
    r.engine.runUntil(t0 + 150 * MS);
    expect(r.blk.done.has(rd)).toBe(false);
    expect(r.dev.state).toBe('degraded');
    r.engine.runUntil(t0 + 260 * MS);
    expect(r.blk.done.get(rd)).toBe(5);
    r.net.restart('srv');
    r.engine.runUntil(t0 + 1000 * MS);
    expect(r.dev.state).toBe('ready');
    const buf = new Uint8Array(BS);
    fillPattern(buf, 3, 1);
    const w = r.blk.submit(REQ_OP.WRITE, 3 * BS, BS, buf)!;
    r.engine.runUntil(r.engine.now + 10 * MS);
    expect(r.blk.done.get(w)).toBe(0);
  });
});

describe('a server that sends a malformed reply', () => {
  it('hard-disconnects that connection, requeues its requests, the device stays up on the others', () => {
    const r = rig(34, pool4, (n) => n.addServer('srv', { size: 4 * MiB }));
    r.engine.runUntil(10 * MS);
    const w = new VerifyWorkload(r, 512, 32, 2000);
    w.start();
    r.engine.runUntil(r.engine.now + 200_000);
    r.net.servers.get('srv')!.server.faults.misbehave('bad-magic');
    r.engine.runUntil(r.engine.now + 2 * MS);
    expect(r.dev.errors.counts.protocol).toBe(1);
    expect(['ready', 'degraded']).toContain(r.dev.state);
    r.engine.runUntil(2000 * MS);
    expect(w.res).toMatchObject({ submitted: 2000, completed: 2000, errors: 0, mismatches: 0 });
    expect(r.blk.doubles).toBe(0);
  });
});

describe('server crash after a FLUSH reply', () => {
  it('every write acknowledged before the FLUSH was sent is read back after restart', () => {
    const r = rig(35, pool4, (n) => n.addServer('srv', { size: 4 * MiB }));
    r.engine.runUntil(10 * MS);
    const w = new VerifyWorkload(r, 256, 32, 800, 0);
    w.start();
    r.engine.runUntil(r.engine.now + 400_000);
    w.stop();
    // Snapshot of the writes acknowledged when the FLUSH is issued.
    const ackedAtFlush = Int32Array.from(w.acked);
    const f = r.blk.submit(REQ_OP.FLUSH, 0, 0, null)!;
    while (!r.blk.done.has(f)) r.engine.step();
    expect(r.blk.done.get(f)).toBe(0);
    r.net.crash('srv');
    r.engine.runUntil(r.engine.now + 5 * MS);
    r.net.restart('srv');
    r.engine.runUntil(r.engine.now + 500 * MS);
    expect(r.dev.state).toBe('ready');
    r.blk.onComplete = null;
    let bad = 0;
    let checked = 0;
    for (let b = 0; b < 256; b++) {
      const v = ackedAtFlush[b]!;
      if (v === 0) continue;
      const out = new Uint8Array(BS);
      const rq = r.blk.submit(REQ_OP.READ, b * BS, BS, out)!;
      r.engine.runUntil(r.engine.now + 2 * MS);
      expect(r.blk.done.get(rq)).toBe(0);
      const want = new Uint8Array(BS);
      fillPattern(want, b, v);
      // A later write acknowledged after the FLUSH may also have survived; older data must not.
      const latest = w.acked[b]!;
      const wantLatest = new Uint8Array(BS);
      fillPattern(wantLatest, b, latest);
      if (!Buffer.from(out).equals(Buffer.from(want)) && !Buffer.from(out).equals(Buffer.from(wantLatest))) bad++;
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
    expect(bad).toBe(0);
  });
});
