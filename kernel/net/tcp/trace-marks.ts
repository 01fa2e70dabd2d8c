/**
 * Trace context of a send stream: which request's bytes start at which stream offset (a sender
 * marks a message as it queues it). A data segment then names the requests it carries, so the
 * wire's records can be joined to a request by id. Nothing here reaches the wire.
 */
export class TraceMarks {
  /** Stream offsets where a request's bytes start, ascending, with the request id (-1: none). */
  private readonly offs: number[] = [];
  private readonly ids: number[] = [];
  private head = 0;
  /** Where the last segment's requests started (at or past head): the next segment mostly starts there or after. */
  private last = 0;

  /** The bytes queued from `off` on belong to request `rid` (-1: to no request). */
  mark(off: number, rid: number): void {
    const last = this.offs.length - 1;
    if (last >= this.head && this.offs[last] === off) this.ids[last] = rid;
    else {
      this.offs.push(off);
      this.ids.push(rid);
    }
  }

  /** Requests with bytes in [off, end), in stream order; undefined when none. */
  ridsIn(off: number, end: number): number[] | undefined {
    const offs = this.offs;
    // From the last lookup's mark when it is at or before `off` (marks ascend): the same mark as from head.
    let i = this.last >= this.head && this.last < offs.length && offs[this.last]! <= off ? this.last : this.head;
    while (i + 1 < offs.length && offs[i + 1]! <= off) i++;
    this.last = i;
    // Most segments carry one request: its list is made at its size (a list grown by push takes room for 17).
    let first = -1;
    let out: number[] | undefined;
    for (; i < offs.length && offs[i]! < end; i++) {
      const id = this.ids[i]!;
      if (id < 0) continue;
      if (out !== undefined) {
        if (out[out.length - 1] !== id) out.push(id);
      } else if (first < 0) first = id;
      else if (id !== first) out = [first, id];
    }
    return out ?? (first >= 0 ? [first] : undefined);
  }

  /** Forgets marks wholly below `off` (acknowledged bytes). */
  release(off: number): void {
    while (this.head + 1 < this.offs.length && this.offs[this.head + 1]! <= off) this.head++;
    if (this.head > 64 && this.head * 2 > this.offs.length) {
      this.offs.splice(0, this.head);
      this.ids.splice(0, this.head);
      this.last = Math.max(0, this.last - this.head);
      this.head = 0;
    }
  }
}
