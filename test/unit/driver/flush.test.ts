import { describe, expect, it } from 'vitest';
import { FlushBarrier } from '../../../drivers/nbd/flush-barrier.ts';
import { REQ_OP } from '../../../kernel/block/types.ts';
import { NBD_CMD_FLUSH, NBD_CMD_WRITE } from '../../../drivers/nbd/protocol/uapi.ts';
import { config, rig } from './harness.ts';
import { BS } from './workload.ts';

describe('FlushBarrier', () => {
  it('a FLUSH is ready only when every write submitted before it has been replied to', () => {
    const b = new FlushBarrier(8);
    const w1 = b.writeStarted();
    const w2 = b.writeStarted();
    const f = b.flushArrived();
    const w3 = b.writeStarted();
    expect(b.ready(f)).toBe(false);
    b.writeDone(w2);
    expect(b.ready(f)).toBe(false);
    b.writeDone(w3); // a later write does not matter
    expect(b.ready(f)).toBe(false);
    b.writeDone(w1);
    expect(b.ready(f)).toBe(true);
    expect(b.pendingWrites).toBe(0);
  });

  it('a FLUSH with nothing in flight is ready at once; epochs wrap around the ring', () => {
    const b = new FlushBarrier(4);
    for (let i = 0; i < 20; i++) {
      const w = b.writeStarted();
      const f = b.flushArrived();
      expect(b.ready(f)).toBe(false);
      b.writeDone(w);
      expect(b.ready(f)).toBe(true);
      expect(b.ready(b.flushArrived())).toBe(true);
    }
  });

  it('refuses more unsettled epochs than its ring can tell apart', () => {
    const b = new FlushBarrier(4);
    b.writeStarted();
    b.flushArrived();
    b.flushArrived();
    b.flushArrived();
    expect(() => b.flushArrived()).toThrow(/5 unsettled epochs exceed the ring of 4/);
  });
});

describe('FLUSH across connections', () => {
  it('goes on the wire only after the replies of the writes before it, on every connection', () => {
    const MS = 1_000_000;
    const cfg = config({
      connectionPoolSize: 4, connectionMaxCount: 4, connectionTimeoutNs: 50 * MS,
      servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
      exports: [{ name: 'disk', device: undefined, access: 'rw' }],
    });
    const r = rig(61, cfg, (n) => n.addServer('srv', { size: 1 << 22 }));
    r.engine.runUntil(10 * MS);
    type Ev = { t: number; kind: string; tag: number; cmd?: number; conn?: number };
    const evs: Ev[] = [];
    r.engine.trace.subscribe((rec) => {
      if (rec.src === 'nbd0' && (rec.kind === 'rq.send' || rec.kind === 'rq.done')) evs.push({ t: rec.t, kind: rec.kind, ...(rec.data as { tag: number }) });
    });
    const writes = [];
    for (let i = 0; i < 8; i++) writes.push(r.blk.submit(REQ_OP.WRITE, i * BS, BS, new Uint8Array(BS).fill(i + 1))!);
    const flush = r.blk.submit(REQ_OP.FLUSH, 0, 0, null)!;
    r.engine.runUntil(r.engine.now + 10 * MS);
    expect(r.blk.done.get(flush)).toBe(0);
    const sentWrites = evs.filter((e) => e.kind === 'rq.send' && e.cmd === NBD_CMD_WRITE);
    expect(new Set(sentWrites.map((e) => e.conn)).size).toBe(4);
    const flushSend = evs.find((e) => e.kind === 'rq.send' && e.cmd === NBD_CMD_FLUSH)!;
    const writeTags = new Set(sentWrites.map((e) => e.tag));
    expect(writeTags.size).toBe(writes.length);
    const lastWriteDone = Math.max(...evs.filter((e) => e.kind === 'rq.done' && writeTags.has(e.tag)).map((e) => e.t));
    expect(flushSend.t).toBeGreaterThanOrEqual(lastWriteDone);
    expect(evs.indexOf(flushSend)).toBeGreaterThan(evs.findLastIndex((e) => e.kind === 'rq.done' && writeTags.has(e.tag)));
    // Durable: the server's media holds all eight blocks after the FLUSH reply.
    const media = r.net.servers.get('srv')!.disk.peekDurable(0, 8 * BS);
    for (let i = 0; i < 8; i++) expect(media[i * BS]).toBe(i + 1);
  });
});

describe('orderly disconnect', () => {
  it('drains, sends NBD_CMD_DISC, closes every connection, and ends disconnected', () => {
    const MS = 1_000_000;
    const cfg = config({
      connectionPoolSize: 2, connectionMaxCount: 4, connectionTimeoutNs: 50 * MS,
      servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
      exports: [{ name: 'disk', device: undefined, access: 'rw' }],
    });
    const r = rig(62, cfg, (n) => n.addServer('srv', { size: 1 << 22 }));
    r.engine.runUntil(10 * MS);
    const rd = r.blk.submit(REQ_OP.READ, 0, BS, new Uint8Array(BS))!;
    r.dev.disconnect();
    expect(r.dev.state).toBe('disconnecting');
    r.engine.runUntil(r.engine.now + 10 * MS);
    expect(r.blk.done.get(rd)).toBe(0);
    expect(r.dev.state).toBe('disconnected');
    expect(r.dev.conns.slots.map((c) => c.phase)).toEqual(['closed', 'closed']);
    expect(r.net.servers.get('srv')!.server.sessions.size).toBe(0);
  });
});
