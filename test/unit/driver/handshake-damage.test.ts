// A damaged handshake (docs/nbd-extensions.md, "Header checksums"): a malformed or out-of-place
// reply is a transient connection failure, retried with the usual backoff; only a well-formed
// refusal (NBD_REP_ERR_*) is final. With checksums granted the rest of the negotiation is sealed,
// so a damaged export size is caught; a server that granted checksums before and not now is
// suspected of damage too, so no connection runs unprotected.
import { describe, expect, it } from 'vitest';
import { REQ_OP } from '../../../kernel/block/types.ts';
import type { ErrorDecision } from '../../../drivers/nbd/managers/error-handler.ts';
import { IHAVEOPT_HI, NBD_OPT_ORION_CHECKSUM, NBD_REP_INFO, NBD_REP_MAGIC_HI } from '../../../drivers/nbd/protocol/uapi.ts';
import { config, rig, type SimServer } from './harness.ts';
import { BS } from './workload.ts';

const MiB = 1 << 20;
const MS = 1_000_000;
const base = {
  connectionPoolSize: 2, connectionMaxCount: 4, connectionTimeoutNs: 50 * MS,
  servers: [{ name: 'srv', address: undefined, port: 10809, export: 'disk' }],
  exports: [{ name: 'disk', device: undefined, access: 'rw' as const }],
};
const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** Rewrites what the server's `k`-th session sends and receives (copies: the session may reuse its buffers). */
function tap(srv: SimServer, t: { toClient?: (b: Uint8Array, k: number) => Uint8Array; toServer?: (b: Uint8Array, k: number) => Uint8Array }) {
  const accept = srv.server.accept.bind(srv.server);
  let n = 0;
  srv.server.accept = (io, who) => {
    const k = n++;
    const s = accept({ ...io, send: (b, more) => io.send(t.toClient ? t.toClient(b, k) : b, more) }, who);
    if (t.toServer) {
      const rx = s.receive.bind(s);
      s.receive = (b, transient) => rx(t.toServer!(b, k), transient);
    }
    return s;
  };
}

function flip(b: Uint8Array, at: number, mask: number): Uint8Array {
  const c = b.slice();
  c[at] = c[at]! ^ mask;
  return c;
}

/** A write then a read of the same block through the device: both succeed and the data comes back. */
function roundTrip(r: ReturnType<typeof rig>, at: number): void {
  const data = new Uint8Array(BS).fill(0x3c);
  const w = r.blk.submit(REQ_OP.WRITE, 0, BS, data)!;
  r.engine.runUntil(at);
  const out = new Uint8Array(BS);
  const rd = r.blk.submit(REQ_OP.READ, 0, BS, out)!;
  r.engine.runUntil(at + 10 * MS);
  expect([r.blk.done.get(w), r.blk.done.get(rd)]).toEqual([0, 0]);
  expect(out.every((v) => v === 0x3c)).toBe(true);
}

describe('a damaged handshake is retried, a refusal is final', () => {
  it('the first option reply of each first connection arrives with a damaged magic: both retry after backoff, the device comes up', () => {
    const r = rig(61, config(base), (n) => {
      const srv = n.addServer('srv', { size: 4 * MiB });
      let hit = 0;
      tap(srv, { toClient: (b, k) => (k < 2 && hit <= k && u32(b, 0) === NBD_REP_MAGIC_HI ? (hit++, flip(b, 3, 0x01)) : b) });
    });
    const errors: ErrorDecision[] = [];
    r.dev.errors.errors$.subscribe((e) => errors.push(e));
    r.engine.runUntil(2000 * MS);
    expect(r.dev.state).toBe('ready');
    expect(errors.filter((e) => e.class === 'handshake')).toEqual([]);
    expect(errors.filter((e) => e.class === 'protocol' && /option-reply\.magic/.test(e.reason)).length).toBe(2);
    // Two first connections, each broken once and made again.
    expect(r.net.connects).toBe(4);
    roundTrip(r, r.engine.now + 10 * MS);
  });

  it('the server hangs up during the first negotiation (no refusal sent): retried, the device comes up', () => {
    const r = rig(65, config({ ...base, connectionPoolSize: 1 }), (n) => {
      const srv = n.addServer('srv', { size: 4 * MiB });
      const accept = srv.server.accept.bind(srv.server);
      let first = true;
      srv.server.accept = (io, who) => {
        const s = accept(io, who);
        if (first) { first = false; s.receive = () => s.close('test: hang up mid-negotiation'); }
        return s;
      };
    });
    const errors: ErrorDecision[] = [];
    r.dev.errors.errors$.subscribe((e) => errors.push(e));
    r.engine.runUntil(2000 * MS);
    expect(r.dev.state).toBe('ready');
    expect(errors.map((e) => [e.class, /eof/.test(e.reason)])).toEqual([['protocol', true]]);
    expect(r.net.connects).toBe(2);
    roundTrip(r, r.engine.now + 10 * MS);
  });

  it('a well-formed refusal (NBD_REP_ERR_UNKNOWN for an export the server lacks) fails the device at once, no retry', () => {
    const r = rig(62, config({ ...base, servers: [{ ...base.servers[0]!, export: 'nope' }] }), (n) => n.addServer('srv', { size: 4 * MiB }));
    r.engine.runUntil(2000 * MS);
    expect(r.dev.state).toBe('failed');
    expect(r.dev.failureReason).toMatch(/NBD_REP_ERR_UNKNOWN/);
    // The pool's first connection alone: refused, never made again.
    expect(r.net.connects).toBe(1);
  });

  it('with checksums, the GO reply is sealed: an export size damaged in NBD_INFO_EXPORT is caught and the connection made again', () => {
    const r = rig(63, config({ ...base, checksumEnabled: true }), (n) => {
      const srv = n.addServer('srv', { size: 4 * MiB, extensions: { checksum: [1] } });
      let armed = true;
      // The sealed INFO reply: header (20), its checksum, info type (2), then the 64-bit size.
      tap(srv, { toClient: (b, k) => (armed && k === 0 && u32(b, 0) === NBD_REP_MAGIC_HI && u32(b, 12) === NBD_REP_INFO ? (armed = false, flip(b, 33, 0x01)) : b) });
    });
    const errors: ErrorDecision[] = [];
    r.dev.errors.errors$.subscribe((e) => errors.push(e));
    r.engine.runUntil(2000 * MS);
    expect(r.dev.state).toBe('ready');
    expect(r.blk.capacity).toBe(4 * MiB);
    expect(errors.map((e) => e.class)).toEqual(['protocol']);
    expect(errors[0]!.reason).toMatch(/option-reply\.data-checksum/);
    roundTrip(r, r.engine.now + 10 * MS);
  });

  it('a server that granted checksums refuses them on a later connection (its option damaged on the way): retried, never used unprotected', () => {
    const r = rig(64, config({ ...base, connectionPoolSize: 1, checksumEnabled: true }), (n) => {
      const srv = n.addServer('srv', { size: 4 * MiB, extensions: { checksum: [1] } });
      // Second session: the checksum option's algorithm count is zeroed, so the server answers NBD_REP_ERR_INVALID.
      tap(srv, { toServer: (b, k) => (k === 1 && b.length >= 20 && u32(b, 0) === IHAVEOPT_HI && u32(b, 8) === NBD_OPT_ORION_CHECKSUM ? flip(b, 17, b[17]!) : b) });
    });
    const errors: ErrorDecision[] = [];
    r.dev.errors.errors$.subscribe((e) => errors.push(e));
    r.engine.runUntil(100 * MS);
    expect(r.dev.state).toBe('ready');
    r.net.rst('srv');
    r.engine.runUntil(2000 * MS);
    expect(r.dev.state).toBe('ready');
    expect(errors.some((e) => e.class === 'protocol' && /checksums not granted/.test(e.reason))).toBe(true);
    expect(errors.filter((e) => e.class === 'handshake')).toEqual([]);
    expect(r.net.connects).toBe(3);
    roundTrip(r, r.engine.now + 10 * MS);
    expect(r.dev.protocol.frameCounters!.txRawBytes).toBe(BS);
  });
});
