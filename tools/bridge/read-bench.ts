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
