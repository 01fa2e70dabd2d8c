/** Test helper: two stacks joined by a pipe, 10.0.0.1 (a) and 10.0.0.2 (b). */
import { Engine } from '../../../../hw-sim/engine/index.ts';
import { parseIp } from '../../../../hw-sim/net/packet.ts';
import { NetStack, type TcpConfig, type TcpSocket } from '../../../../kernel/net/index.ts';
import { makePipe, type PipeConfig, type PipeEnd, type Tap } from './pipe.ts';

export const ADDR_A = parseIp('10.0.0.1');
export const ADDR_B = parseIp('10.0.0.2');

export interface TwoHosts {
  engine: Engine;
  a: NetStack;
  b: NetStack;
  wireA: PipeEnd;
  wireB: PipeEnd;
}

export function twoHosts(opts: {
  seed?: number | string;
  pipe?: Partial<PipeConfig>;
  tcp?: Partial<TcpConfig>;
  tap?: Tap;
  issA?: () => number;
  issB?: () => number;
  trace?: boolean;
}): TwoHosts {
  const engine = new Engine({ seed: opts.seed ?? 1, trace: opts.trace ?? true });
  const cfg: PipeConfig = { rateBps: 1e9, delayNs: 10_000, ...opts.pipe };
  const { a: wireA, b: wireB } = makePipe(engine, cfg, opts.tap);
  const a = new NetStack({ host: 'a', engine, tcp: opts.tcp, iss: opts.issA });
  const b = new NetStack({ host: 'b', engine, tcp: opts.tcp, iss: opts.issB });
  wireA.iface = a.addInterface(wireA, ADDR_A, 24);
  wireB.iface = b.addInterface(wireB, ADDR_B, 24);
  return { engine, a, b, wireA, wireB };
}

/** Deterministic test payload: byte i of stream `tag`. */
export function pattern(n: number, tag = 0): Uint8Array {
  const out = new Uint8Array(n);
  let x = (tag * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Collects everything a socket delivers through onData. */
export class Sink {
  private parts: Uint8Array[] = [];
  bytes = 0;
  ended = false;
  take = (chunk: Uint8Array): void => {
    this.parts.push(chunk.slice());
    this.bytes += chunk.length;
  };
  data(): Uint8Array {
    const out = new Uint8Array(this.bytes);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** Sends all of `data`, waiting for onWritable when the buffer is full; then calls `done`. */
export function writeAll(sock: TcpSocket, data: Uint8Array, done?: () => void): void {
  let off = 0;
  const pump = (): void => {
    while (off < data.length) {
      const n = sock.send(data, off);
      if (n === 0) return;
      off += n;
    }
    sock.onWritable = null;
    if (done) done();
  };
  sock.onWritable = pump;
  pump();
}

/** Index of the first differing byte, or -1 when equal (fast, and readable when it fails). */
export function firstDiff(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return i;
  return x.length === y.length ? -1 : n;
}
