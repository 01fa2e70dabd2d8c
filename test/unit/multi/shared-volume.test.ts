// A shared volume: one dual-ported disk in its own power domain, exported by several server hosts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWorld } from '../../../scenarios/runner/index.ts';
import { loadScenario, parseScenario } from '../../../scenarios/schema/index.ts';

const TEXT = `[scenario]
name = "vol"
[[volume]]
name = "v0"
size = "1MiB"
disk = "ram"
[[server]]
name = "a"
[[server.export]]
name = "d"
volume = "v0"
[[server]]
name = "b"
[[server.export]]
name = "d"
volume = "v0"
[nbd]
connection_pool_size = 1
[[job]]
name = "r"
rw = "randread"
bs = "4KiB"
ios = 1
`;

function world() {
  const w = buildWorld(parseScenario(TEXT, 'vol.toml'), 1, { trace: false });
  w.engine.runUntil(2_000_000);
  return w;
}

const bytes = (v: number) => new Uint8Array(4096).fill(v);

describe('shared volume', () => {
  it('both server hosts serve the one disk, which neither host owns', () => {
    const w = world();
    const vol = w.volumes.get('v0')!;
    expect(vol.attached).toEqual(['a', 'b']);
    expect(w.servers.get('a')!.disks.get('d')).toBe(vol.disk);
    expect(w.servers.get('b')!.disks.get('d')).toBe(vol.disk);
  });

  it('a server host crash keeps the volume\'s unflushed writes; a FLUSH through the other server makes them durable', () => {
    const w = world();
    const vol = w.volumes.get('v0')!;
    const viaA = w.servers.get('a')!.disks.get('d')!;
    const viaB = w.servers.get('b')!.disks.get('d')!;
    let done = 0;
    viaA.write(0, bytes(7), false, () => { done++; });
    w.engine.runUntil(w.engine.now + 1_000_000);
    expect(done).toBe(1);
    expect(vol.disk.dirtyPages).toBe(1);
    w.servers.get('a')!.crash();
    // The host's crash is not the volume's: the write is still in its cache.
    expect(vol.disk.peek(0, 4096)).toEqual(bytes(7));
    expect(vol.disk.dirtyPages).toBe(1);
    viaB.flush(() => { done++; });
    w.engine.runUntil(w.engine.now + 1_000_000);
    expect(done).toBe(2);
    expect(vol.disk.dirtyPages).toBe(0);
    vol.powerLoss();
    expect(vol.disk.peek(0, 4096)).toEqual(bytes(7));
  });

  it('a volume power loss loses exactly its unflushed writes', () => {
    const w = world();
    const vol = w.volumes.get('v0')!;
    const viaA = w.servers.get('a')!.disks.get('d')!;
    const viaB = w.servers.get('b')!.disks.get('d')!;
    viaA.write(0, bytes(1), false, () => {});
    w.engine.runUntil(w.engine.now + 1_000_000);
    viaB.flush(() => {});
    w.engine.runUntil(w.engine.now + 1_000_000);
    viaB.write(0, bytes(2), false, () => {});
    viaA.write(8192, bytes(3), false, () => {});
    w.engine.runUntil(w.engine.now + 1_000_000);
    expect(vol.disk.peek(0, 4096)).toEqual(bytes(2));
    vol.powerLoss();
    expect(vol.powerLosses).toBe(1);
    expect(vol.disk.peek(0, 4096)).toEqual(bytes(1));
    expect(vol.disk.peek(8192, 4096)).toEqual(new Uint8Array(4096));
  });

  it('a crash of a server exporting only a shared volume is no data loss for the checker', () => {
    const text = TEXT.replace('rw = "randread"\nbs = "4KiB"\nios = 1', 'rw = "randrw"\nbs = "4KiB"\nios = 400\nverify = true\ncontinue_on_error = true')
      + '[[at]]\ntime = "3ms"\naction = "crash"\ntarget = "a"\n[[at]]\ntime = "20ms"\naction = "restart"\ntarget = "a"\n';
    const w = buildWorld(parseScenario(text, 'vol.toml'), 1, { trace: false });
    w.engine.runUntil(30_000_000);
    expect(w.disks.get('nbd0')!.history().crashes).toEqual([]);
  });

  it('multi-volume-flush-any-port puts the writes on one server and the FLUSHes on the other', () => {
    // iodepth 1 with a FLUSH after every write: write, FLUSH, write, ... taken in turn by the four
    // connections a, b, a, b, so before the first power loss (20 ms) a gets every write, b every FLUSH.
    const w = buildWorld(loadScenario(join(import.meta.dirname, '../../../scenarios/multi-volume-flush-any-port.toml')), 1, { trace: false });
    w.engine.runUntil(19_000_000);
    const a = w.servers.get('a')!.server.wire;
    const b = w.servers.get('b')!.server.wire;
    expect(a.dataWrites).toBeGreaterThan(10);
    expect(a.commands).toBe(a.dataWrites);
    expect(b.dataWrites).toBe(0);
    expect(b.commands).toBeGreaterThanOrEqual(a.dataWrites - 1);
  });
});

