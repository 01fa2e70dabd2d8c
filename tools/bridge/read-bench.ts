/**
 * Sequential-read throughput of our client on real TCP: `connections` connections (multi-conn),
 * `inFlight` requests in flight on each, `requestSize` bytes per READ, over `bytes` of the export.
 * Buffers and request objects are reused, so the loop measures the protocol path, not the GC.
 */
import { newRequest, type NbdRequest } from '../../drivers/nbd/protocol/request-check.ts';
import { NBD_CMD_READ, NBD_ERROR_NAMES } from '../../drivers/nbd/protocol/uapi.ts';
import { BridgeClient, NbdClientError, type ClientOptions } from './client.ts';

export interface ReadBenchOptions extends ClientOptions {
  connections?: number;
  inFlight?: number;
  requestSize?: number;
  /** Bytes to read (default: the whole export). */
  bytes?: number;
  /** Write non-zero data over the range first: a sparse export reads as holes (no data moves). */
  fill?: boolean;
}

export interface ReadBenchResult {
  bytes: number;
  seconds: number;
  bytesPerSecond: number;
  connections: number;
  inFlight: number;
  requestSize: number;
}

export async function readBench(opts: ReadBenchOptions): Promise<ReadBenchResult> {
  const nConn = opts.connections ?? 4;
  const depth = opts.inFlight ?? 64;
  const reqSize = opts.requestSize ?? 256 * 1024;
  const clients: BridgeClient[] = [];
  try {
    for (let i = 0; i < nConn; i++) clients.push(await BridgeClient.connect({ ...opts, generation: i + 1, maxInFlight: Math.max(depth, 1) }));
    const x = clients[0]!.info!;
    if (nConn > 1 && (x.transmissionFlags & 256) === 0) throw new NbdClientError('submit', 'server does not advertise NBD_FLAG_CAN_MULTI_CONN');
    const total = Math.min(opts.bytes ?? x.size, x.size);
    const size = Math.min(reqSize, x.maxPayload);
    if (opts.fill) await fillRange(clients[0]!, total, size);
    let next = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(clients.map((c) => new Promise<void>((resolve, reject) => {
      let active = 0;
      const issue = (r: NbdRequest): boolean => {
        if (next >= total) return false;
        r.offset = next;
        r.length = Math.min(size, total - next);
        next += r.length;
        active++;
        c.submit(r).then(done, reject);
        return true;
      };
      const done = (r: NbdRequest) => {
        active--;
        if (r.error !== 0) return reject(new NbdClientError('command', `READ at ${r.offset} failed: ${NBD_ERROR_NAMES[r.error] ?? r.error}`, r.error));
        if (!issue(r) && active === 0) resolve();
      };
      let started = 0;
      for (let i = 0; i < depth; i++) if (issue(newRequest(NBD_CMD_READ, 0, 0, new Uint8Array(size)))) started++;
      if (started === 0) resolve();
    })));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { bytes: total, seconds, bytesPerSecond: total / seconds, connections: nConn, inFlight: depth, requestSize: size };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
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
