// What one request costs on the wire, counted at the client's link: data-bearing chunks (TCP
// packets with payload, one offload chunk each) per direction, on the simulated machine.
import { describe, expect, it } from 'vitest';
import type { Link, LinkDirection, LinkTap } from '../../../hw-sim/net/link.ts';
import type { Packet } from '../../../hw-sim/net/packet.ts';
import { Bio } from '../../../kernel/block/bio.ts';
import { REQ_OP, type ReqOp } from '../../../kernel/block/types.ts';
import { buildWorld, type World } from '../../../scenarios/runner/index.ts';
import { parseScenario } from '../../../scenarios/schema/load.ts';

const SCENARIO = `
[scenario]
name = "wire-chunks"
seeds = [1]

[[server]]
name = "a"
disk = "ram"

[[server.export]]
name = "disk0"
size = "4MiB"

[nbd]
connection_pool_size = 1

[[job]]
name = "idle"
rw = "read"
bs = "4KiB"
iodepth = 1
ios = 1
start = "10s"
`;

/** Data-bearing packets seen at the client's link, per direction (client → server is the client's transmit side). */
class ChunkCounter implements LinkTap {
  toServer = 0;
  toClient = 0;
  bytesToClient = 0;
  constructor(private readonly clientTx: LinkDirection) {}
  onDeliver(_l: Link, dir: LinkDirection, p: Packet): void {
    if (p.payload.length === 0) return;
    if (dir === this.clientTx) this.toServer++;
    else { this.toClient++; this.bytesToClient += p.payload.length; }
  }
}

function ready(): World {
  const w = buildWorld(parseScenario(SCENARIO, 'wire.toml'), 1, { trace: false });
  const e = w.engine;
  while (!(w.nbd!.device.state === 'ready' && w.nbd!.disk.capacityBytes > 0)) e.runUntil(e.now + 1_000_000);
  return w;
}

/** One request on an idle connection: returns its errno after every segment and ACK of it settled. */
function io(w: World, op: ReqOp, data: Uint8Array): number {
  const e = w.engine;
  let status = -1;
  const bio = new Bio().set(op, 0, data.length, data);
  bio.endIo = (b) => { status = b.status; };
  w.nbd!.disk.submitBio(bio, 0);
  e.runUntil(e.now + 50_000_000);
  return status;
}

describe('one 4 KiB request on an idle connection', () => {
  it('READ: one chunk each way (the request; the reply header and its payload together)', () => {
    const w = ready();
    expect(io(w, REQ_OP.WRITE, new Uint8Array(4096).fill(7))).toBe(0);
    // The client NIC's link: the client is its `a` end, so a->b is what the client sends.
    const tap = new ChunkCounter('a->b');
    w.client.link.addTap(tap);
    const out = new Uint8Array(4096);
    expect(io(w, REQ_OP.READ, out)).toBe(0);
    expect(out[4095]).toBe(7);
    expect(tap.toServer).toBe(1);
    expect(tap.toClient).toBe(1);
    // 4096 bytes of data + a structured OFFSET_DATA chunk header (20 + 8 bytes).
    expect(tap.bytesToClient).toBe(4096 + 28);
  });

  it('WRITE: the 28-byte request header and its payload leave as one chunk; one reply chunk', () => {
    const w = ready();
    const tap = new ChunkCounter('a->b');
    w.client.link.addTap(tap);
    expect(io(w, REQ_OP.WRITE, new Uint8Array(4096).fill(9))).toBe(0);
    expect(tap.toServer).toBe(1);
    expect(tap.toClient).toBe(1);
  });
});
