import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/**
 * The trace digest's SHA-256, fed the encoder's bytes in order. A long trace is hashed on a
 * worker thread (one per process, shared by every bus): the simulation only copies its bytes into
 * a shared ring, and the digest is the same bytes' SHA-256 either way. A short trace (tests, small
 * scenarios) never starts the worker: its bytes are kept and hashed when the digest is read.
 */
export class TraceHash {
  /** Bytes kept until the trace is long enough to hand to the worker (null: handed over). */
  private kept: Uint8Array[] | null = [];
  private keptBytes = 0;
  /** This trace's stream on the worker (-1: none yet). */
  private stream = -1;
  /** Hashed here (the worker could not be started). */
  private inline: Hash | null = null;

  update(b: Uint8Array): void {
    if (this.stream >= 0) return ring!.put(this.stream, b);
    if (this.inline !== null) {
      this.inline.update(b);
      return;
    }
    this.kept!.push(new Uint8Array(b)); // a copy (Buffer.slice would share the encoder's buffer)
    this.keptBytes += b.length;
    if (this.keptBytes >= OFFLOAD_AFTER || ring !== null) this.handOver();
  }

  /** Hex SHA-256 of the bytes so far; the hash goes on. */
  digest(): string {
    if (this.stream >= 0) return ring!.digest(this.stream);
    if (this.inline !== null) return this.inline.copy().digest('hex');
    const h = createHash('sha256');
    for (const b of this.kept!) h.update(b);
    return h.digest('hex');
  }

  private handOver(): void {
    const kept = this.kept!;
    this.kept = null;
    this.keptBytes = 0;
    ring ??= HashRing.start();
    if (ring === undefined) {
      this.inline = createHash('sha256');
      for (const b of kept) this.inline.update(b);
      return;
    }
    this.stream = ring.open(this);
    for (const b of kept) ring.put(this.stream, b);
  }
}

/** A trace's bytes go to the worker once it has this many (the worker costs ~20 ms to start). */
const OFFLOAD_AFTER = 1 << 20;
/** The ring: SLOTS slots of SLOT_BYTES, each one piece of one stream's bytes or a command. */
const SLOT_BYTES = 1 << 13;
const SLOTS = 256;
/** The worker is woken after this many slots (a wake-up is a system call on both sides). */
const WAKE_EVERY = 64;
// Control words (Int32): slots published, slots done, doorbell, digests done, worker failed; then per slot its length and stream.
const HEAD = 0;
const TAIL = 1;
const BELL = 2;
const DONE = 3;
const FAILED = 4;
const LEN = 8;
const STREAM = LEN + SLOTS;
const CTL_BYTES = 4 * (STREAM + SLOTS);
/** Slot lengths that are commands: the stream's digest into the result bytes; the stream closed. */
const CMD_DIGEST = -1;
const CMD_CLOSE = -2;
const RESULT_AT = CTL_BYTES + SLOTS * SLOT_BYTES;

/** The worker: hashes each slot into its stream's hash, in ring order. Plain JS (run with eval). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { sab } = workerData;
const ctl = new Int32Array(sab, 0, ${CTL_BYTES / 4});
const bytes = new Uint8Array(sab);
const hashes = new Map();
let tail = 0;
try {
  for (;;) {
    const bell = Atomics.load(ctl, ${BELL});
    const head = Atomics.load(ctl, ${HEAD});
    while (tail !== head) {
      const s = tail & ${SLOTS - 1};
      const len = ctl[${LEN} + s];
      const id = ctl[${STREAM} + s];
      let h = hashes.get(id);
      if (len >= 0) {
        if (h === undefined) hashes.set(id, (h = createHash('sha256')));
        const at = ${CTL_BYTES} + s * ${SLOT_BYTES};
        h.update(bytes.subarray(at, at + len));
      } else if (len === ${CMD_DIGEST}) {
        bytes.set(Buffer.from((h ?? createHash('sha256')).copy().digest('hex'), 'latin1'), ${RESULT_AT});
        Atomics.add(ctl, ${DONE}, 1);
        Atomics.notify(ctl, ${DONE});
      } else hashes.delete(id);
      tail = (tail + 1) | 0;
      Atomics.store(ctl, ${TAIL}, tail);
      Atomics.notify(ctl, ${TAIL});
    }
    Atomics.wait(ctl, ${BELL}, bell);
  }
} catch (e) {
  Atomics.store(ctl, ${FAILED}, 1);
  Atomics.notify(ctl, ${DONE});
  Atomics.notify(ctl, ${TAIL});
  throw e;
}
`;

/** The main thread's end of the ring (one per process). */
class HashRing {
  private readonly ctl: Int32Array;
  private readonly bytes: Uint8Array;
  private head = 0;
  private unwoken = 0;
  private digests = 0;
  private streams = 0;
  /** Closes a collected trace's stream (its hash would stay on the worker). */
  private readonly closer = new FinalizationRegistry<number>((id) => this.command(id, CMD_CLOSE));

  private constructor(sab: SharedArrayBuffer) {
    this.ctl = new Int32Array(sab, 0, CTL_BYTES / 4);
    this.bytes = new Uint8Array(sab);
  }

  /** The ring with its worker running; undefined if no worker can be started here. */
  static start(): HashRing | undefined {
    try {
      const sab = new SharedArrayBuffer(RESULT_AT + 64);
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { sab } });
      w.unref();
      // An error is seen by the waits below (FAILED); this keeps it from being thrown unhandled.
      w.on('error', () => {});
      return new HashRing(sab);
    } catch {
      return undefined;
    }
  }

  open(owner: object): number {
    const id = this.streams++;
    this.closer.register(owner, id);
    return id;
  }

  put(stream: number, b: Uint8Array): void {
    for (let off = 0; off < b.length; off += SLOT_BYTES) {
      const n = Math.min(SLOT_BYTES, b.length - off);
      const s = this.slot();
      this.bytes.set(n === b.length ? b : b.subarray(off, off + n), CTL_BYTES + s * SLOT_BYTES);
      this.publish(s, stream, n);
    }
  }

  digest(stream: number): string {
    const want = ++this.digests;
    this.command(stream, CMD_DIGEST);
    this.wake();
    for (;;) {
      const done = Atomics.load(this.ctl, DONE);
      if (done === want) break;
      this.check();
      Atomics.wait(this.ctl, DONE, done, 1000);
    }
    return Buffer.from(this.bytes.subarray(RESULT_AT, RESULT_AT + 64)).toString('latin1');
  }

  private command(stream: number, cmd: number): void {
    this.publish(this.slot(), stream, cmd);
  }

  /** The next free slot, once the worker has freed it. */
  private slot(): number {
    for (;;) {
      const tail = Atomics.load(this.ctl, TAIL);
      if (((this.head - tail) | 0) < SLOTS) return this.head & (SLOTS - 1);
      this.check();
      this.wake();
      Atomics.wait(this.ctl, TAIL, tail, 1000);
    }
  }

  private publish(s: number, stream: number, len: number): void {
    this.ctl[LEN + s] = len;
    this.ctl[STREAM + s] = stream;
    this.head = (this.head + 1) | 0;
    Atomics.store(this.ctl, HEAD, this.head);
    if (++this.unwoken >= WAKE_EVERY) this.wake();
  }

  private wake(): void {
    this.unwoken = 0;
    Atomics.add(this.ctl, BELL, 1);
    Atomics.notify(this.ctl, BELL);
  }

  private check(): void {
    if (Atomics.load(this.ctl, FAILED) !== 0) throw new Error('trace digest: the hashing worker failed');
  }
}

/** The process's ring (undefined: no worker could be started; null: none needed yet). */
let ring: HashRing | undefined | null = null;
