/**
 * The RAM disk "controller": takes requests from the driver into one FIFO served by
 * `model.queues` parallel servers. When a server finishes it moves the data, posts the request
 * on the completion ring and raises its interrupt line, like a device finishing DMA.
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import type { InterruptController } from '../../hw-sim/irq/controller.ts';
import { Deque } from '../../kernel/lib/deque.ts';
import { RQ_STATE, type Request } from '../../kernel/block/request.ts';
import { REQ_OP } from '../../kernel/block/types.ts';
import { serviceNs, type RamdiskModel } from './model.ts';
import type { RamPages } from './pages.ts';

interface Server {
  rq: Request | null;
  gen: number;
  readonly done: () => void;
}

export class RamdiskDevice {
  private readonly waiting = new Deque<Request>(64);
  private readonly servers: Server[] = [];
  private idle: number;
  /** Completed requests the interrupt handler has not reaped yet. */
  readonly ring = new Deque<Request>(64);
  readonly ringGen = new Deque<number>(64);
  served = 0;

  constructor(
    private readonly engine: Engine,
    private readonly irqc: InterruptController,
    private readonly irqLine: number,
    readonly model: RamdiskModel,
    private readonly mem: RamPages,
  ) {
    for (let i = 0; i < model.queues; i++) {
      const s: Server = { rq: null, gen: 0, done: () => this.finish(s) };
      this.servers.push(s);
    }
    this.idle = model.queues;
  }

  /** Requests accepted and not yet completed. */
  get busy(): number {
    return this.waiting.length + (this.model.queues - this.idle);
  }

  submit(rq: Request): void {
    this.waiting.pushBack(rq);
    if (this.idle > 0) this.startNext();
  }

  private startNext(): void {
    for (const s of this.servers) {
      if (s.rq !== null) continue;
      const rq = this.waiting.popFront();
      if (!rq) return;
      s.rq = rq;
      s.gen = rq.gen;
      this.idle--;
      this.engine.schedule(serviceNs(this.model, rq.op, rq.bytes), s.done, 'ramdisk.service');
      if (this.idle === 0) return;
    }
  }

  private finish(s: Server): void {
    const rq = s.rq!;
    s.rq = null;
    this.idle++;
    // A request timed out and re-issued meanwhile carries a newer generation: move no data for it.
    if (rq.gen === s.gen && rq.state === RQ_STATE.INFLIGHT) this.transfer(rq);
    this.served++;
    this.ring.pushBack(rq);
    this.ringGen.pushBack(s.gen);
    this.irqc.raise(this.irqLine);
    if (this.waiting.length > 0) this.startNext();
  }

  /** Moves the data at completion time, so a read sees every write completed before it. */
  private transfer(rq: Request): void {
    const mem = this.mem;
    let off = rq.sector * 512;
    switch (rq.op) {
      case REQ_OP.READ:
      case REQ_OP.WRITE:
        for (let i = 0; i < rq.nrBios; i++) {
          const b = rq.bios[i]!;
          if (rq.op === REQ_OP.READ) mem.read(off, b.data!, 0, b.bytes);
          else mem.write(off, b.data!, 0, b.bytes);
          off += b.bytes;
        }
        return;
      case REQ_OP.DISCARD:
        mem.zero(off, rq.bytes, true);
        return;
      case REQ_OP.WRITE_ZEROES:
        mem.zero(off, rq.bytes, false);
        return;
      default:
        return; // flush: memory is already durable
    }
  }
}
