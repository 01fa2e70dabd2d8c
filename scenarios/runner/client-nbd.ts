/**
 * The NBD driver on the client host's kernel: binds the driver's ports (drivers/nbd/ports.ts)
 * to kernel TCP sockets and to a blk-mq disk. One driver request record per tag is reused for
 * every request; multi-bio (merged) requests go through a per-tag bounce buffer.
 */
import type { Engine } from '../../hw-sim/engine/engine.ts';
import { parseIp } from '../../hw-sim/net/packet.ts';
import { blkMqComplete, blkMqKick, blkMqRequeue } from '../../kernel/block/api.ts';
import type { GenDisk } from '../../kernel/block/gendisk.ts';
import type { HwQueue } from '../../kernel/block/hw-queue.ts';
import { rqCopyIn, rqCopyOut, type Request } from '../../kernel/block/request.ts';
import { BLK_EH, BLK_STS, REQ_FUA, REQ_OP, REQ_PREFLUSH, type BlkMqOps } from '../../kernel/block/types.ts';
import type { NetError } from '../../kernel/net/errors.ts';
import type { TcpSocket } from '../../kernel/net/tcp/socket.ts';
import { SimProtocolEngine } from '../../drivers/nbd/adapters/protocol-engine.ts';
import type { NbdConfig } from '../../drivers/nbd/config/types.ts';
import { NbdDevice } from '../../drivers/nbd/device.ts';
import {
  BlkFlag, BlkOp, Errno, QueueRqResult, TimeoutVerdict,
  type BlkRequest, type BlockDisk, type NbdSocket, type SocketEvents, type SocketFactory, type StatsPublisher,
} from '../../drivers/nbd/ports.ts';
import type { Host } from '../machine/host.ts';

/** Largest request the disk accepts (max_hw_sectors): 128 KiB, like Linux nbd's default. */
export const NBD_MAX_IO = 128 * 1024;

const ERRNO_OF: Readonly<Record<string, number>> = {
  ECONNRESET: Errno.ECONNRESET, ETIMEDOUT: Errno.ETIMEDOUT, ECONNREFUSED: Errno.ECONNREFUSED, EPIPE: Errno.ECONNRESET,
};

/** The driver's sockets: kernel TCP on the client host; server names resolve to host addresses. */
export class KernelSockets implements SocketFactory {
  constructor(private readonly host: Host, private readonly resolve: (name: string) => number | undefined) {}

  connect(name: string, port: number, ev: SocketEvents): NbdSocket {
    const addr = this.resolve(name) ?? parseIp(name);
    const s = this.host.net.tcpSocket({ noDelay: true });
    let errno = 0;
    s.onConnect = () => ev.onConnect();
    // The view is valid only during the call, as SocketEvents.onData says.
    s.onData = (chunk) => ev.onData(chunk);
    s.onWritable = () => ev.onWritable();
    s.onEnd = () => s.close();
    s.onError = (e: NetError) => { errno = ERRNO_OF[e.code] ?? Errno.EIO; };
    s.onClose = () => ev.onClose(errno);
    s.connect(addr, port);
    return new KernelSocket(s);
  }
}

class KernelSocket implements NbdSocket {
  constructor(private readonly s: TcpSocket) {}
  send(bytes: Uint8Array): number {
    return this.s.state === 'CLOSED' ? 0 : this.s.send(bytes);
  }
  cork(): void { this.s.setCork(true); }
  uncork(): void { this.s.setCork(false); }
  close(): void { this.s.close(); }
  reset(): void { this.s.abort(); }
}

/** The driver's view of one kernel request: reused per tag, never spread. */
class DriverRq implements BlkRequest {
  tag: number;
  op: BlkOp = BlkOp.READ;
  offset = 0;
  length = 0;
  flags = 0;
  data: Uint8Array | null = null;
  krq: Request | null = null;
  bounced = false;
  /** Allocated on the first multi-bio request of this tag. */
  bounce: Uint8Array | null = null;
  constructor(tag: number) {
    this.tag = tag;
  }
}

export interface ClientNbdOptions {
  name: string;
  config: NbdConfig;
  queueDepth: number;
  resolve: (name: string) => number | undefined;
  /** Test hook at the driver boundary: answer true to acknowledge a write without sending it. */
  dropWrite?: (offset: number, length: number) => boolean;
}

/** The NBD device and its gendisk on the client host. */
export interface ClientNbd {
  readonly device: NbdDevice;
  readonly disk: GenDisk;
  /** Writes acknowledged by the broken-driver hook without being sent. */
  readonly dropped: number;
}

/** Registers `nbdN` on the client's block layer and starts the driver connecting. */
export function attachNbdClient(engine: Engine, host: Host, o: ClientNbdOptions): ClientNbd {
  const k = host.kernel;
  const rqs: DriverRq[] = [];
  for (let t = 0; t < o.queueDepth; t++) rqs.push(new DriverRq(t));
  let hctx: HwQueue | null = null;
  let dropped = 0;
  const stats: StatsPublisher = {
    publish: (path, read) => k.stats.gauge(path, read),
    unpublish: (prefix) => k.stats.remove(prefix),
  };
  const device = new NbdDevice(engine, {
    name: o.name, host: host.name, config: o.config, sockets: new KernelSockets(host, o.resolve),
    protocol: new SimProtocolEngine(engine, o.name), stats, tags: o.queueDepth, maxIo: NBD_MAX_IO,
  });
  const ops: BlkMqOps = {
    queueRq(h, krq) {
      hctx = h;
      const r = rqs[krq.tag]!;
      fill(r, krq);
      if (o.dropWrite && r.op === BlkOp.WRITE && o.dropWrite(r.offset, r.length)) {
        dropped++;
        engine.trace.emit(`${host.name}/${o.name}`, 'fault.drop-acked-write', { offset: r.offset, length: r.length });
        blkMqComplete(krq, 0);
        return BLK_STS.OK;
      }
      const v = device.queueRq(r);
      if (v === QueueRqResult.OK) return BLK_STS.OK;
      r.krq = null;
      return v === QueueRqResult.BUSY ? BLK_STS.BUSY : BLK_STS.ERROR;
    },
    timeout(krq) {
      const r = rqs[krq.tag]!;
      return device.timeout(r) === TimeoutVerdict.RESET_TIMER ? BLK_EH.RESET_TIMER : BLK_EH.DONE;
    },
  };
  const disk = k.block.addDisk({
    name: o.name, capacitySectors: 0, ops, queueDepth: o.queueDepth, timeoutNs: o.config.requestTimeoutNs,
    limits: { maxSectors: NBD_MAX_IO / 512, writeCache: true, fua: true, discard: true, writeZeroes: true },
  });
  const bd: BlockDisk = {
    complete(rq, errno) {
      const r = rq as DriverRq;
      const krq = r.krq;
      if (!krq) return;
      r.krq = null;
      if (errno === 0 && r.bounced && r.bounce && r.op === BlkOp.READ) rqCopyIn(krq, r.bounce);
      blkMqComplete(krq, errno);
    },
    requeue(rq) {
      const r = rq as DriverRq;
      const krq = r.krq;
      if (!krq) return;
      r.krq = null;
      blkMqRequeue(krq);
    },
    kick() {
      if (hctx) blkMqKick(hctx);
    },
    setCapacity(bytes) {
      disk.capacitySectors = Math.floor(bytes / 512);
    },
  };
  device.attach(bd);
  return {
    device, disk,
    get dropped() { return dropped; },
  };
}

function fill(r: DriverRq, krq: Request): void {
  r.krq = krq;
  r.offset = krq.offset;
  r.length = krq.op === REQ_OP.FLUSH ? 0 : krq.bytes;
  r.flags = ((krq.flags & REQ_FUA) !== 0 ? BlkFlag.FUA : 0) | ((krq.flags & REQ_PREFLUSH) !== 0 ? BlkFlag.PREFLUSH : 0);
  r.bounced = false;
  switch (krq.op) {
    case REQ_OP.READ: r.op = BlkOp.READ; break;
    case REQ_OP.WRITE: r.op = BlkOp.WRITE; break;
    case REQ_OP.FLUSH: r.op = BlkOp.FLUSH; break;
    case REQ_OP.DISCARD: r.op = BlkOp.DISCARD; break;
    default: r.op = BlkOp.WRITE_ZEROES;
  }
  if (r.op !== BlkOp.READ && r.op !== BlkOp.WRITE) {
    r.data = null;
    return;
  }
  const b0 = krq.nrBios === 1 ? krq.bios[0] : null;
  if (b0 && b0.data && b0.data.length === r.length) {
    r.data = b0.data;
    return;
  }
  // Merged bios (or a partial buffer): one contiguous bounce buffer.
  r.bounced = true;
  const b = (r.bounce ??= new Uint8Array(NBD_MAX_IO));
  r.data = b.length === r.length ? b : b.subarray(0, r.length);
  if (r.op === BlkOp.WRITE) rqCopyOut(krq, b);
}
