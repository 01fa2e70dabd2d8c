import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../hw-sim/engine/index.ts';
import { DISK_PRESETS, VirtualDisk } from '../../../hw-sim/disk/index.ts';

const SIZE = 65536;

/**
 * The reference model of a disk with a volatile write cache, kept as two plain byte arrays:
 * what reads see, and what survives a power loss. Writes change the first; FUA writes both
 * ranges; FLUSH copies the first to the second; a crash copies the second back.
 */
class Model {
  current = new Uint8Array(SIZE);
  durable = new Uint8Array(SIZE);
  write(off: number, data: Uint8Array, fua: boolean): void {
    this.current.set(data, off);
    if (fua) this.durable.set(data, off);
  }
  zero(off: number, len: number, fua: boolean): void {
    this.current.fill(0, off, off + len);
    if (fua) this.durable.fill(0, off, off + len);
  }
  flush(): void {
    this.durable.set(this.current);
  }
  crash(): void {
    this.current.set(this.durable);
  }
}

const range = fc.tuple(fc.integer({ min: 0, max: SIZE - 1 }), fc.integer({ min: 1, max: 9000 }))
  .map(([off, len]) => [off, Math.min(len, SIZE - off)] as const);
const op = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), r: range, byte: fc.integer({ min: 1, max: 255 }), fua: fc.boolean() }),
  fc.record({ kind: fc.constantFrom('trim' as const, 'zero' as const), r: range, fua: fc.boolean() }),
  fc.record({ kind: fc.constantFrom('flush' as const, 'crash' as const) }),
);

describe('VirtualDisk against a two-array model of the write cache', () => {
  it('reads and post-crash contents match the model for any op sequence', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
      const engine = new Engine({ seed: 1 });
      const disk = new VirtualDisk(engine, { name: 'd', size: SIZE, model: DISK_PRESETS.ram, pageSize: 4096 });
      const m = new Model();
      for (const o of ops) {
        switch (o.kind) {
          case 'write': {
            const data = new Uint8Array(o.r[1]).fill(o.byte);
            disk.write(o.r[0], data, o.fua, () => {});
            m.write(o.r[0], data, o.fua);
            break;
          }
          case 'trim':
          case 'zero':
            if (o.kind === 'trim') disk.trim(o.r[0], o.r[1], o.fua, () => {});
            else disk.zero(o.r[0], o.r[1], true, o.fua, () => {});
            m.zero(o.r[0], o.r[1], o.fua);
            break;
          case 'flush':
            disk.flush(() => {});
            m.flush();
            break;
          case 'crash':
            disk.crash();
            m.crash();
            break;
        }
        engine.run();
        expect(Buffer.compare(Buffer.from(disk.peek(0, SIZE)), Buffer.from(m.current))).toBe(0);
      }
      expect(Buffer.compare(Buffer.from(disk.peekDurable(0, SIZE)), Buffer.from(m.durable))).toBe(0);
    }), { numRuns: 300 });
  });
});
