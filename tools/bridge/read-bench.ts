/**
 * Sequential-read throughput of our client on real TCP: `connections` connections (multi-conn),
 * `inFlight` requests in flight over them, `requestSize` bytes per READ, over `bytes` of the
 * export. Request records and their buffers are reused through BridgeClient.issue (no Promise
 * per request), so the loop measures the protocol path and the sockets, not the GC.
 */
import { newRequest, type NbdRequest } from '../../drivers/nbd/protocol/request-check.ts';
import { NBD_CMD_READ, NBD_ERROR_NAMES, NBD_FLAG_CAN_MULTI_CONN } from '../../drivers/nbd/protocol/uapi.ts';
import { BridgeClient, NbdClientError, type ClientOptions } from './client.ts';

export interface ReadBenchOptions extends ClientOptions {
  /** Connections (default 4); more than one needs NBD_FLAG_CAN_MULTI_CONN. */
  connections?: number;
  /** Requests in flight over all connections (default 64). */
  inFlight?: number;
  /** Bytes per READ (default 256 KiB, capped by the export's maximum payload). */
  requestSize?: number;
  /** Bytes to read from offset 0 (default: the whole export). */
  bytes?: number;
  /** Write non-zero data over the range first: a sparse export reads as holes (no data moves). */
  fill?: boolean;
  /** Sees every read's data before its buffer is reused (a pattern check); throw to stop. */
  check?: (offset: number, data: Uint8Array) => void;
}

export interface ReadBenchResult {
  bytes: number;
  seconds: number;
  bytesPerSecond: number;
  connections: number;
  inFlight: number;
  requestSize: number;
  /** The server offered NBD_FLAG_CAN_MULTI_CONN. */
  multiConn: boolean;
}

export async function readBench(opts: ReadBenchOptions): Promise<ReadBenchResult> {
  const nConn = opts.connections ?? 4;
  const depth = Math.max(opts.inFlight ?? 64, 1);
  const perConn = Math.ceil(depth / nConn);
  const clients: BridgeClient[] = [];
  try {
    for (let i = 0; i < nConn; i++) clients.push(await BridgeClient.connect({ ...opts, generation: i + 1, maxInFlight: perConn }));
    const x = clients[0]!.info;
    if (!x) throw new NbdClientError('submit', `${opts.host}:${opts.port} opened no export`);
    const multiConn = (x.transmissionFlags & NBD_FLAG_CAN_MULTI_CONN) !== 0;
    if (nConn > 1 && !multiConn) throw new NbdClientError('submit', 'server does not advertise NBD_FLAG_CAN_MULTI_CONN');
    const total = Math.min(opts.bytes ?? x.size, x.size);
    const size = Math.min(opts.requestSize ?? 256 * 1024, x.maxPayload);
    if (opts.fill) await fillRange(clients[0]!, total, size);
    const t0 = process.hrtime.bigint();
    await sweepReads(clients, depth, size, total, opts.check);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { bytes: total, seconds, bytesPerSecond: total / seconds, connections: nConn, inFlight: depth, requestSize: size, multiConn };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** Reads [0, total) once: `depth` reused records spread over the clients, each reissued on completion. */
function sweepReads(clients: readonly BridgeClient[], depth: number, size: number, total: number,
  check?: (offset: number, data: Uint8Array) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let active = 0;
    let failed = false;
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      reject(e);
    };
    const issue = (i: number, r: NbdRequest): void => {
      const c = clients[i]!;
      if (failed) return;
      if (next >= total) {
        if (active === 0) resolve();
        return;
      }
      r.offset = next;
      r.length = Math.min(size, total - next);
      r.tag = -1;
      r.flags = 0;
      next += r.length;
      active++;
      const refused = c.issue(r, doneOn[i]!);
      if (refused) fail(refused);
    };
    // One completion function per connection, made once: nothing is allocated per request.
    const onDone = (i: number) => (r: NbdRequest, dead: NbdClientError | null): void => {
      active--;
      if (dead) return fail(dead);
      if (r.error !== 0) return fail(new NbdClientError('command', `READ at ${r.offset} failed: ${NBD_ERROR_NAMES[r.error] ?? r.error}`, r.error));
      if (check) {
        try {
          check(r.offset, r.length === r.data!.length ? r.data! : r.data!.subarray(0, r.length));
        } catch (e) {
          return fail(e as Error);
        }
      }
      issue(i, r);
    };
    const doneOn = clients.map((_c, i) => onDone(i));
    for (let i = 0; i < depth; i++) issue(i % clients.length, newRequest(NBD_CMD_READ, 0, 0, new Uint8Array(size)));
    if (active === 0 && !failed) resolve();
  });
}

/** Writes a non-zero pattern over [0, total) with 16 writes in flight. */
async function fillRange(c: BridgeClient, total: number, size: number): Promise<void> {
  const chunk = new Uint8Array(size);
  for (let i = 0; i < size; i++) chunk[i] = (i * 131 + 1) & 0xff || 1;
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const off = next;
      const len = Math.min(size, total - off);
      next += len;
      await c.write(off, len === size ? chunk : chunk.subarray(0, len));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await c.flush();
}
