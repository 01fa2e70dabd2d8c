import { describe, expect, it } from 'vitest';
import type { TcpSocket } from '../../../kernel/net/tcp/socket.ts';
import { SocketWriter } from '../../../scenarios/hosts/nbd-server/socket-io.ts';

/**
 * A socket that takes at most `room` bytes until given more: what it took, in order, and the
 * request marks between them. sendv is send(head) then send(range), as the kernel's is.
 */
function fakeSocket(room: number) {
  const out: (number | string)[] = [];
  const sock = {
    state: 'ESTABLISHED',
    onWritable: null as null | (() => void),
    room,
    send(b: Uint8Array, off = 0, len = b.length - off): number {
      const n = Math.min(len, sock.room);
      for (let i = 0; i < n; i++) out.push(b[off + i]!);
      sock.room -= n;
      return n;
    },
    sendv(head: Uint8Array, data: Uint8Array, off: number, len: number): number {
      const n = sock.send(head);
      return n < head.length ? n : n + sock.send(data, off, len);
    },
    markRequest(rid: number): void {
      out.push(`rid${rid}`);
    },
  };
  return { sock, out };
}

const head = Uint8Array.from({ length: 16 }, (_, i) => 100 + i);
const data = Uint8Array.from({ length: 64 }, (_, i) => i);

/** Two replies (header + 40 bytes at 8), a room of `room` bytes, then room for everything. */
function run(room: number, pair: boolean): (number | string)[] {
  const { sock, out } = fakeSocket(room);
  const w = new SocketWriter(sock as unknown as TcpSocket);
  for (const rid of [1, 2]) {
    w.mark(rid);
    if (pair) w.writePair(head, data, 8, 40);
    else {
      w.write(head, true);
      w.write(data, false, 8, 40);
    }
  }
  sock.room = 1 << 20;
  w.drain();
  return out;
}

describe('SocketWriter.writePair', () => {
  // Cuts: inside the first header, at its end, inside the first data, at the first reply's end,
  // inside the second header, and all of it.
  for (const room of [0, 5, 16, 30, 56, 60, 112]) {
    it(`leaves the stream and its request marks as write + write would (room ${room})`, () => {
      const pair = run(room, true);
      expect(pair).toEqual(run(room, false));
      // Independently: both replies' bytes, in order, each after its mark.
      const reply = [...head, ...data.subarray(8, 48)];
      expect(pair.filter((x) => typeof x === 'number')).toEqual([...reply, ...reply]);
      expect(pair.indexOf('rid1')).toBe(0);
    });
  }
});
