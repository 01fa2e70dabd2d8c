// SocketStream's receive ring on real loopback TCP: views stay valid until onRecycle, reads go
// straight into targets the consumer names, and small writes are staged in order with big ones.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SocketStream } from '../../../tools/bridge/byte-stream.ts';

const TOTAL = 10 << 20;
const byteAt = (p: number): number => (p ^ ((p >> 8) * 31) ^ ((p >> 16) * 101)) & 0xff;

let server: Server | null = null;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A loopback server that runs `onConn` on its one connection; resolves with its port. */
function listen(onConn: (s: Socket) => void): Promise<number> {
  return new Promise((resolve) => {
    server = createServer(onConn);
    server.listen(0, '127.0.0.1', () => {
      const a = server!.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

function sendPattern(s: Socket): void {
  const chunk = new Uint8Array(1 << 20);
  for (let off = 0; off < TOTAL; off += chunk.length) {
    for (let i = 0; i < chunk.length; i++) chunk[i] = byteAt(off + i);
    s.write(chunk.slice());
  }
  s.end();
}

describe('SocketStream receive ring', () => {
  it('every view handed out holds its bytes until onRecycle; targets get the bytes in place', async () => {
    const port = await listen(sendPattern);
    const stream = SocketStream.connect('127.0.0.1', port);
    let pos = 0;
    let held: { at: number; view: Uint8Array }[] = [];
    let recycles = 0;
    let inPlace = 0;
    let target: { at: number; buf: Uint8Array } | null = null;
    let bad = '';
    const verify = (at: number, v: Uint8Array, what: string): void => {
      for (let i = 0; i < v.length && !bad; i++) if (v[i] !== byteAt(at + i)) bad = `${what}: byte at ${at + i} is ${v[i]}`;
    };
    await new Promise<void>((resolve) => {
      stream.attach({
        onData: (b) => {
          held.push({ at: pos, view: b });
          pos += b.length;
          // Every few reads, ask for the next 32 KiB straight into a buffer of our own.
          if (held.length % 3 === 0 && pos + (32 << 10) <= TOTAL) target = { at: pos, buf: new Uint8Array(32 << 10) };
        },
        target: () => (target ? target.buf.subarray(pos - target.at) : null),
        onDataInPlace: (n) => {
          inPlace += n;
          pos += n;
          if (pos - target!.at === target!.buf.length) {
            verify(target!.at, target!.buf, 'target');
            target = null;
          }
        },
        onRecycle: () => {
          recycles++;
          for (const h of held) verify(h.at, h.view, 'ring view');
          held = [];
        },
        onClose: () => resolve(),
      });
    });
    for (const h of held) verify(h.at, h.view, 'ring view');
    expect(bad).toBe('');
    expect(pos).toBe(TOTAL);
    expect(recycles).toBeGreaterThanOrEqual(1);
    expect(inPlace).toBeGreaterThan(0);
  });

  it('small (staged) and large (by reference) writes arrive in the order written', async () => {
    const got: Buffer[] = [];
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => { done = r; });
    const port = await listen((s) => {
      s.on('data', (b: Buffer) => got.push(b));
      s.on('end', () => { s.end(); done(); });
    });
    const stream = SocketStream.connect('127.0.0.1', port);
    stream.attach({ onData: () => {}, onClose: () => {} });
    const want: number[] = [];
    for (let i = 0; i < 200; i++) {
      const n = i % 7 === 0 ? 5000 : 1 + (i % 40);
      const piece = new Uint8Array(n).fill(i & 0xff);
      stream.write(piece);
      for (let k = 0; k < n; k++) want.push(i & 0xff);
      // Staged pieces are copied: changing them afterwards changes nothing on the wire.
      if (n <= 1024) piece.fill(0xfe);
    }
    stream.close();
    await finished;
    expect([...Buffer.concat(got)]).toEqual(want);
  });
});
