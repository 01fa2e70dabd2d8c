/**
 * The reference the engine is measured against: the least a discrete-event loop can do — a binary
 * min-heap of (time, seq, callback) with no cancel, no tracing and no checks.
 */
interface BareEvent {
  t: number;
  seq: number;
  fn: () => void;
}

export class BareHeap {
  private h: BareEvent[] = [];
  private seq = 0;
  now = 0;

  push(t: number, fn: () => void): void {
    const ev = { t, seq: this.seq++, fn };
    const h = this.h;
    let i = h.length;
    h.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = h[p]!;
      if (q.t < t || (q.t === t && q.seq < ev.seq)) break;
      h[i] = q;
      i = p;
    }
    h[i] = ev;
  }

  runOne(): boolean {
    const h = this.h;
    const top = h[0];
    if (!top) return false;
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        let c = l;
        let ch = h[l]!;
        const r = l + 1;
        if (r < n) {
          const rc = h[r]!;
          if (rc.t < ch.t || (rc.t === ch.t && rc.seq < ch.seq)) {
            c = r;
            ch = rc;
          }
        }
        if (last.t < ch.t || (last.t === ch.t && last.seq < ch.seq)) break;
        h[i] = ch;
        i = c;
      }
      h[i] = last;
    }
    this.now = top.t;
    top.fn();
    return true;
  }
}
