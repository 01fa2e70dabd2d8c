import { Engine } from '../../../hw-sim/engine/engine.ts';
import { Kernel, createHostHardware, type KernelOptions } from '../../../kernel/core/kernel.ts';
import { Bio } from '../../../kernel/block/bio.ts';
import type { GenDisk, AddDiskOptions } from '../../../kernel/block/gendisk.ts';
import type { HwQueue } from '../../../kernel/block/hw-queue.ts';
import type { Request } from '../../../kernel/block/request.ts';
import type { BlkMqOps } from '../../../kernel/block/mq-ops.ts';
import { BLK_STS, REQ_OP_NAMES, type BlkStatus, type ReqOp, type TimeoutAction } from '../../../kernel/block/types.ts';

export function makeKernel(seed = 1, cores = 2, opts: KernelOptions = {}): { engine: Engine; kernel: Kernel } {
  const engine = new Engine({ seed });
  const kernel = new Kernel(engine, 'host', createHostHardware(engine, 'host', { cores }), opts);
  return { engine, kernel };
}

/** What the driver saw, one entry per queueRq call. */
export interface Seen {
  id: number;
  tag: number;
  hctx: number;
  op: string;
  flags: number;
  sector: number;
  sectors: number;
  bios: number;
  gen: number;
  t: number;
  last: boolean;
}

/** A driver that records every request and holds it until the test completes it. */
export class ManualDriver implements BlkMqOps {
  readonly seen: Seen[] = [];
  readonly held: Request[] = [];
  /** Return value of the next queueRq calls (then OK). */
  busyNext = 0;
  onQueue: ((rq: Request) => BlkStatus | void) | null = null;
  onTimeout: ((rq: Request) => TimeoutAction) | null = null;
  timeout?: (rq: Request) => TimeoutAction;

  constructor(private readonly now: () => number = () => 0) {
    this.timeout = (rq) => (this.onTimeout ? this.onTimeout(rq) : 1);
  }

  queueRq(hctx: HwQueue, rq: Request, last: boolean): BlkStatus {
    this.seen.push({ id: rq.id, tag: rq.tag, hctx: hctx.index, op: REQ_OP_NAMES[rq.op], flags: rq.flags, sector: rq.sector, sectors: rq.nrSectors, bios: rq.nrBios, gen: rq.gen, t: this.now(), last });
    if (this.busyNext > 0) {
      this.busyNext--;
      return BLK_STS.BUSY;
    }
    const r = this.onQueue?.(rq);
    if (r !== undefined) return r;
    this.held.push(rq);
    return BLK_STS.OK;
  }

  take(rq: Request): Request {
    const i = this.held.indexOf(rq);
    if (i >= 0) this.held.splice(i, 1);
    return rq;
  }
}

export interface BioResult {
  status: number;
  doneNs: number;
}

/** Submits a bio and records its completion in `results` under `key`. */
export function submit(
  disk: GenDisk, results: Map<string, BioResult>, key: string, op: ReqOp, sector: number, bytes: number, flags = 0,
  opts: { cpu?: number; plug?: ReturnType<GenDisk['startPlug']> | null; data?: Uint8Array } = {},
): Bio {
  const bio = new Bio().set(op, sector, bytes, opts.data ?? (bytes > 0 ? new Uint8Array(bytes) : null), flags);
  bio.endIo = (b) => {
    if (results.has(key)) throw new Error(`bio ${key} ended twice`);
    results.set(key, { status: b.status, doneNs: b.doneNs });
  };
  disk.submitBio(bio, opts.cpu ?? 0, opts.plug ?? null);
  return bio;
}

export function addDisk(kernel: Kernel, ops: BlkMqOps, o: Partial<AddDiskOptions> = {}): GenDisk {
  return kernel.block.addDisk({ name: 'vda', capacitySectors: 1 << 20, ops, ...o });
}
