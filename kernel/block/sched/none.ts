import { Deque } from '../../lib/deque.ts';
import type { Request } from '../request.ts';
import type { IoScheduler } from './scheduler.ts';

/** `none`: dispatch in arrival order. */
export class NoneScheduler implements IoScheduler {
  readonly name = 'none' as const;
  private readonly fifo = new Deque<Request>(64);

  get count(): number {
    return this.fifo.length;
  }
  insert(rq: Request): void {
    this.fifo.pushBack(rq);
  }
  dispatch(): Request | null {
    return this.fifo.popFront() ?? null;
  }
  repositioned(): void {}
}
