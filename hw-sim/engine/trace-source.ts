/**
 * Who emits a shaped record (`client/nic0`), held by the emitter: the number its name has in the
 * digest's string table is kept here, so a record names its source without a string compare.
 */
export class TraceSource {
  /** The number (RecordEncoder.no) of the encoder whose string number `id` is (-1: none yet). */
  owner = -1;
  id = -1;

  constructor(readonly name: string) {}
}

/** A source for shaped records (TraceShape.emit), made once per emitter. */
export function traceSource(name: string): TraceSource {
  return new TraceSource(name);
}
