/**
 * An experiment beside E5's BridgeClient, on the same sans-I/O protocol (E4's NbdHandshake and
 * TransmissionSession): node reads straight into a per-connection ring (net `onread`), so no
 * Buffer is allocated per read, and request headers go out corked once per tick. It shows what
 * tools/bridge would gain; it is bench code, not a second client for users.
 */
import { connect, type Socket } from 'node:net';
import { NbdHandshake } from '../../drivers/nbd/protocol/handshake.ts';
import type { NegotiatedExport } from '../../drivers/nbd/protocol/handshake-types.ts';
import { newRequest, type NbdRequest } from '../../drivers/nbd/protocol/request-check.ts';
import { TransmissionSession } from '../../drivers/nbd/protocol/transmission.ts';
import { NBD_CMD_READ, NBD_FLAG_CAN_MULTI_CONN } from '../../drivers/nbd/protocol/uapi.ts';
import type { SweepOptions, SweepResult } from './nbd-reader.ts';

/** Ring per connection; node reads at most READ_MAX into it at a time. */
const RING = 8 << 20;
const READ_MAX = 256 << 10;

interface RingConn {
  socket: Socket;
  session: TransmissionSession | null;
  info: NegotiatedExport | null;
}

/**
 * Bytes handed to the decoder stay valid until the ring wraps past them: the decoder keeps at
 * most one unfinished reply (≤ one payload + header, far below RING − READ_MAX) between reads.
 */
function open(o: SweepOptions, onReply: (c: RingConn, req: NbdRequest) => void): Promise<RingConn> {
  return new Promise((resolve, reject) => {
    const ring = new Uint8Array(RING);
    let pos = 0;
    let corked = false;
    const c: RingConn = { socket: null as unknown as Socket, session: null, info: null };
    const send = (b: Uint8Array): void => {
      if (!corked) {
        corked = true;
        c.socket.cork();
        process.nextTick(() => {
          corked = false;
          c.socket.uncork();
        });
      }
      c.socket.write(b);
    };
    const hs = new NbdHandshake({ exportName: o.exportName ?? '' }, {
      send: (b) => send(b.slice()),
      done: (status) => {
        if (status !== 'ready' || !hs.result) return reject(new Error(`ring reader: handshake ended ${status}`));
        c.info = hs.result;
        c.session = new TransmissionSession(hs.result, { send, complete: (req) => onReply(c, req) }, {
          generation: 1, maxInFlight: o.inFlight, leftover: hs.takeLeftover(),
        });
        resolve(c);
      },
    });
    c.socket = connect({
      host: o.host, port: o.port, noDelay: true,
      onread: {
        buffer: () => {
          if (pos + READ_MAX > RING) pos = 0;
          return ring.subarray(pos, pos + READ_MAX);
        },
        callback: (n: number) => {
          const view = ring.subarray(pos, pos + n);
          pos += n;
          if (c.session) c.session.feed(view);
          else hs.feed(view.slice());
          return true;
        },
      },
    });
    c.socket.once('error', reject);
    c.socket.once('connect', () => hs.start());
  });
}

/** Reads [0, totalBytes) once with `inFlight` requests spread over the connections. */
export async function ringSweep(o: SweepOptions, check?: (offset: number, data: Uint8Array) => void): Promise<SweepResult> {
  let next = 0;
  let outstanding = 0;
  let failed: Error | null = null;
  let finish: (() => void) | null = null;
  const issue = (c: RingConn, req: NbdRequest): void => {
    if (next >= o.totalBytes) {
      if (outstanding === 0) finish?.();
      return;
    }
    req.offset = next;
    req.length = Math.min(o.requestBytes, o.totalBytes - next);
    if (req.data!.length !== req.length) req.data = req.data!.subarray(0, req.length);
    req.tag = -1;
    req.error = 0;
    next += req.length;
    outstanding++;
    const bad = c.session!.submit(req);
    if (bad) failed = new Error(`ring reader: submit refused: ${bad.errno} ${bad.reason}`);
  };
  const onReply = (c: RingConn, req: NbdRequest): void => {
    outstanding--;
    if (req.error !== 0) failed = new Error(`ring reader: read at ${req.offset} failed with NBD error ${req.error}`);
    else if (check) check(req.offset, req.data!);
    // Reuse the request record and its buffer for the next read on this connection.
    req.type = NBD_CMD_READ;
    req.flags = 0;
    issue(c, req);
  };
  const conns = await Promise.all(Array.from({ length: o.connections }, () => open(o, onReply)));
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    finish = resolve;
    for (let i = 0; i < o.inFlight; i++) {
      const req = newRequest(NBD_CMD_READ, 0, 0, new Uint8Array(o.requestBytes));
      issue(conns[i % conns.length]!, req);
    }
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const c of conns) c.socket.destroy();
  if (failed) throw failed;
  const flags = conns[0]?.info?.transmissionFlags ?? 0;
  return { bytes: o.totalBytes, seconds, multiConn: (flags & NBD_FLAG_CAN_MULTI_CONN) !== 0 };
}
