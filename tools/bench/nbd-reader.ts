/**
 * The bench's multi-connection NBD reader/writer on E5's BridgeClient (tools/bridge): N
 * connections, `inFlight` requests pipelined over them, one reused buffer per slot.
 */
import { BridgeClient } from '../bridge/client.ts';
import { newRequest } from '../../drivers/nbd/protocol/request-check.ts';
import { NBD_CMD_READ, NBD_CMD_WRITE, NBD_FLAG_CAN_MULTI_CONN } from '../../drivers/nbd/protocol/uapi.ts';

export interface SweepOptions {
  host: string;
  port: number;
  exportName?: string;
  connections: number;
  /** Requests in flight over all connections. */
  inFlight: number;
  requestBytes: number;
  totalBytes: number;
}

export interface SweepResult {
  bytes: number;
  seconds: number;
  /** Whether the server offered multi-conn (several connections are only safe then). */
  multiConn: boolean;
}

/** Reads (or writes a non-zero pattern over) [0, totalBytes) once; wall seconds without the handshakes. */
export async function sweep(o: SweepOptions, write = false): Promise<SweepResult> {
  const clients = await Promise.all(
    Array.from({ length: o.connections }, () => BridgeClient.connect({ host: o.host, port: o.port, exportName: o.exportName ?? '', maxInFlight: o.inFlight })),
  );
  const info = clients[0]!.info;
  if (!info) throw new Error(`nbd reader: ${o.host}:${o.port} opened no export`);
  if (info.size < o.totalBytes) throw new Error(`nbd reader: export is ${info.size} bytes, want ${o.totalBytes}`);
  let next = 0;
  const slot = async (c: BridgeClient): Promise<void> => {
    const buf = new Uint8Array(o.requestBytes);
    if (write) fillPattern(buf, 0);
    while (next < o.totalBytes) {
      const off = next;
      const len = Math.min(o.requestBytes, o.totalBytes - off);
      next += len;
      if (write) stampOffsets(buf, off);
      const r = await c.submit(newRequest(write ? NBD_CMD_WRITE : NBD_CMD_READ, off, len, len === buf.length ? buf : buf.subarray(0, len)));
      if (r.error !== 0) throw new Error(`nbd reader: ${write ? 'write' : 'read'} at ${off} failed with NBD error ${r.error}`);
    }
  };
  const t0 = process.hrtime.bigint();
  const slots: Promise<void>[] = [];
  for (let i = 0; i < o.inFlight; i++) slots.push(slot(clients[i % clients.length]!));
  await Promise.all(slots);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await Promise.all(clients.map((c) => c.close()));
  return { bytes: o.totalBytes, seconds, multiConn: (info.transmissionFlags & NBD_FLAG_CAN_MULTI_CONN) !== 0 };
}

/** The fill: a non-zero byte pattern with every 4 KiB block's first byte stamped by its index. */
export function fillPattern(buf: Uint8Array, offset: number): void {
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 167 + 13) & 0xff || 1;
  stampOffsets(buf, offset);
}

function stampOffsets(buf: Uint8Array, offset: number): void {
  for (let j = 0; j < buf.length; j += 4096) buf[j] = ((offset + j) / 4096) & 0xff || 1;
}

/** Offset of the first byte of `data` (read at `offset`) that differs from the fill, or -1. */
export function checkPattern(offset: number, data: Uint8Array): number {
  for (let i = 0; i < data.length; i++) {
    const want = i % 4096 === 0 ? ((offset + i) / 4096) & 0xff || 1 : (i * 167 + 13) & 0xff || 1;
    if (data[i] !== want) return offset + i;
  }
  return -1;
}
