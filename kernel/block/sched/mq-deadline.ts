/**
 * mq-deadline: per direction (read; write = everything else) a list sorted by sector and a FIFO
 * with expiry times. A batch continues in sector order from the last position for up to
 * `fifoBatch` requests; a new batch first serves an expired FIFO head, else continues from the
 * last position (or the FIFO head when nothing lies ahead). Reads are preferred, but writes are
 * served after reads have won `writesStarved` times in a row while writes waited.
 */
import type { Ns } from '../../../hw-sim/engine/time.ts';
import type { Request } from '../request.ts';
import { opIsWrite, type MqDeadlineTunables } from '../types.ts';
import type { IoScheduler } from './scheduler.ts';

export const DEADLINE_DEFAULTS: MqDeadlineTunables = {
  readExpireNs: 500_000_000,
  writeExpireNs: 5_000_000_000,
  fifoBatch: 16,
  writesStarved: 2,
};

const READ = 0;
const WRITE = 1;

export class MqDeadlineScheduler implements IoScheduler {
  readonly name = 'mq-deadline' as const;
  readonly tunables: MqDeadlineTunables;
  private readonly sorted: [Request[], Request[]] = [[], []];
  private readonly fifo: [Request[], Request[]] = [[], []];
  private readonly lastPos = [0, 0];
  private lastDir = READ;
  private batching = 0;
  private starved = 0;
  /** Dispatches that served an expired FIFO head. */
  expiredDispatches = 0;

  constructor(tunables: Partial<MqDeadlineTunables> = {}) {
    this.tunables = {
      readExpireNs: tunables.readExpireNs ?? DEADLINE_DEFAULTS.readExpireNs,
      writeExpireNs: tunables.writeExpireNs ?? DEADLINE_DEFAULTS.writeExpireNs,
      fifoBatch: tunables.fifoBatch ?? DEADLINE_DEFAULTS.fifoBatch,
      writesStarved: tunables.writesStarved ?? DEADLINE_DEFAULTS.writesStarved,
    };
    if (!(this.tunables.fifoBatch >= 1)) throw new RangeError(`mq-deadline: fifo_batch must be ≥ 1, got ${this.tunables.fifoBatch}`);
  }

  get count(): number {
    return this.sorted[READ].length + this.sorted[WRITE].length;
  }

  insert(rq: Request, now: Ns): void {
    const dir = opIsWrite(rq.op) ? WRITE : READ;
    rq.fifoTime = now + (dir === READ ? this.tunables.readExpireNs : this.tunables.writeExpireNs);
    sortedInsert(this.sorted[dir], rq);
    this.fifo[dir].push(rq);
  }

  repositioned(rq: Request): void {
    const list = this.sorted[opIsWrite(rq.op) ? WRITE : READ];
    const i = list.indexOf(rq);
    if (i < 0) return;
    list.splice(i, 1);
    sortedInsert(list, rq);
  }

  dispatch(now: Ns): Request | null {
    if (this.batching < this.tunables.fifoBatch) {
      const next = this.fromPos(this.lastDir);
      if (next) return this.take(this.lastDir, next);
    }
    const reads = this.sorted[READ].length > 0;
    const writes = this.sorted[WRITE].length > 0;
    let dir: number;
    if (reads && !(writes && this.starved >= this.tunables.writesStarved)) {
      dir = READ;
      if (writes) this.starved++;
    } else if (writes) {
      dir = WRITE;
      this.starved = 0;
    } else {
      return null;
    }
    this.batching = 0;
    const head = this.fifo[dir]![0]!;
    if (head.fifoTime <= now) {
      this.expiredDispatches++;
      return this.take(dir, head);
    }
    return this.take(dir, this.fromPos(dir) ?? head);
  }

  /** First request at or after the last dispatched position of `dir`. */
  private fromPos(dir: number): Request | null {
    const list = this.sorted[dir]!;
    const pos = this.lastPos[dir]!;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.sector < pos) lo = mid + 1;
      else hi = mid;
    }
    return list[lo] ?? null;
  }

  private take(dir: number, rq: Request): Request {
    removeFrom(this.sorted[dir]!, rq);
    removeFrom(this.fifo[dir]!, rq);
    this.lastPos[dir] = rq.endSector;
    this.lastDir = dir;
    this.batching++;
    return rq;
  }
}

function sortedInsert(list: Request[], rq: Request): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.sector <= rq.sector) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, rq);
}

function removeFrom(list: Request[], rq: Request): void {
  const i = list.indexOf(rq);
  if (i >= 0) list.splice(i, 1);
}
