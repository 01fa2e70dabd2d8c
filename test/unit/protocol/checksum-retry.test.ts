// End-to-end CRC-32C (docs/nbd-extensions.md): a bit flipped in a payload after TCP (here, in
// the bytes handed between our client and our server) is caught by the receiver; a read is
// retried, a write is rejected with NBD_ORION_EBADMSG and resent; each is counted.
import { describe, expect, test } from 'vitest';
import * as P from '../../../drivers/nbd/protocol/index.ts';
import { TransmissionSession } from '../../../drivers/nbd/protocol/transmission.ts';
import { newRequest, type NbdRequest } from '../../../drivers/nbd/protocol/request-check.ts';
import { NbdServer } from '../../../scenarios/hosts/nbd-server/protocol/index.ts';
import { MemoryStore } from '../../../scenarios/hosts/nbd-server/store/memory-store.ts';
import { Engine } from '../../../hw-sim/engine/index.ts';

/** Client and server back to back; `flip` says which frame bodies (by size) to damage, per direction. */
function pair(checksum: number) {
  const engine = new Engine({ seed: 1 });
  const srv = new NbdServer({ exports: [{ name: 'd', store: new MemoryStore(1 << 20) }], extensions: { checksum: [1], compression: [1] } },
    { name: 's', rngOf: (n) => engine.rng.get(n) });
  const damage = { toServer: 0, toClient: 0 };
  const done: NbdRequest[] = [];
  let session: TransmissionSession | null = null;
  let h: P.NbdHandshake | null = null;
  const early: Uint8Array[] = [];
  const toClient = (b: Uint8Array) => {
    const c = b.slice();
    // A 4 KiB payload frame body (raw, random data does not compress): flip one bit in it.
    if (c.length === 4096 && damage.toClient > 0) { damage.toClient--; c[123] = c[123]! ^ 0x04; }
    if (session) session.feed(c);
    else if (h) h.feed(c);
    else early.push(c);
  };
  const server = srv.accept({ send: toClient, close: () => {}, schedule: (ns, fn) => void engine.schedule(ns, fn) }, { address: '10.0.0.2' });
  const toServer = (b: Uint8Array) => {
    const c = b.slice();
    if (c.length === 4096 && damage.toServer > 0) { damage.toServer--; c[7] = c[7]! ^ 0x80; }
    server.receive(c);
  };
  h = new P.NbdHandshake({ exportName: 'd', extensions: { checksum: checksum ? [1] : [] }, metaContexts: [] }, {
    send: toServer,
    done: () => {
      session = new TransmissionSession(h!.result!, { send: toServer, complete: (r) => void done.push(r) }, { generation: 1, leftover: h!.takeLeftover() });
    },
  });
  h.start();
  for (const b of early) h.feed(b);
  return { session: () => session!, done, damage };
}

function randomBlock(seed: number): Uint8Array {
  const b = new Uint8Array(4096);
  let x = seed;
  for (let i = 0; i < b.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  return b;
}

describe('CRC-32C end to end', () => {
  test('a write damaged on its way is rejected and resent; a read damaged on its way back is retried', () => {
    const p = pair(1);
    const data = randomBlock(3);
    p.damage.toServer = 1;
    expect(p.session().submit(newRequest(P.NBD_CMD_WRITE, 8192, 4096, data))).toBeNull();
    expect(p.done.map((r) => r.error)).toEqual([0]);
    p.damage.toClient = 2;
    const into = new Uint8Array(4096);
    expect(p.session().submit(newRequest(P.NBD_CMD_READ, 8192, 4096, into))).toBeNull();
    expect(p.done.map((r) => r.error)).toEqual([0, 0]);
    expect(Buffer.from(into).equals(Buffer.from(data))).toBe(true);
    // One rejected write + two damaged reads, each sent again once.
    expect(p.session().frames!.counters).toMatchObject({ checksumFailures: 3, checksumRetries: 3 });
  });

  test('after the first attempt and 3 retries all damaged, the read fails with EIO', () => {
    const p = pair(1);
    p.session().submit(newRequest(P.NBD_CMD_WRITE, 0, 4096, randomBlock(5)));
    p.damage.toClient = 4;
    const r = newRequest(P.NBD_CMD_READ, 0, 4096, new Uint8Array(4096));
    p.session().submit(r);
    expect([r.error, r.message]).toEqual([P.NBD_EIO, 'payload checksum failed 4 times']);
    expect(p.session().frames!.counters).toMatchObject({ checksumFailures: 4, checksumRetries: 3 });
  });
});
