/**
 * The NBD server program of a simulated server host: the sans-I/O server session
 * (drivers/nbd/protocol/server) on the host's kernel TCP sockets, serving exports from virtual
 * disks (hw-sim/disk). Fault knobs live on `server.faults`; crash and restart are host events.
 */
import { VirtualDisk, type ServiceTimeModel } from '../../../hw-sim/disk/index.ts';
import { ipToString } from '../../../hw-sim/net/packet.ts';
import type { TcpListener } from '../../../kernel/net/tcp/listener.ts';
import type { TcpSocket } from '../../../kernel/net/tcp/socket.ts';
import { NbdServer, type BlockSizes, type ServerSession, type TlsMode } from '../../../drivers/nbd/protocol/server/index.ts';
import { NBD_DEFAULT_PORT } from '../../../drivers/nbd/protocol/uapi.ts';
import type { Host } from '../../machine/host.ts';
import { SocketWriter } from './socket-io.ts';

export interface NbdExportSpec {
  name: string;
  size: number;
  description?: string;
  /** Disk preset (ram, nvme, ssd, hdd) or a model; default nvme. */
  disk?: string | ServiceTimeModel;
  writeCache?: boolean;
  readOnly?: boolean;
  multiConn?: boolean;
  blockSize?: BlockSizes;
  allow?: readonly string[];
}

export interface NbdServerProgramOptions {
  exports: readonly NbdExportSpec[];
  port?: number;
  tls?: TlsMode;
  defaultExport?: string;
  noStructuredReplies?: boolean;
  /** A trace record per request (default true). */
  traceRequests?: boolean;
}

export class NbdServerProgram {
  readonly server: NbdServer;
  /** The virtual disk behind each export, by export name. */
  readonly disks = new Map<string, VirtualDisk>();
  readonly port: number;
  private listener: TcpListener | null = null;
  private readonly conns = new Map<ServerSession, TcpSocket>();
  private readonly src: string;

  constructor(readonly host: Host, opts: NbdServerProgramOptions) {
    const engine = host.kernel.engine;
    this.src = `${host.name}/nbd-server`;
    this.port = opts.port ?? NBD_DEFAULT_PORT;
    const exports = opts.exports.map((e) => {
      const disk = new VirtualDisk(engine, {
        name: `${host.name}/disk-${e.name || 'default'}`, size: e.size,
        ...(e.disk !== undefined ? { model: e.disk } : {}), ...(e.writeCache !== undefined ? { writeCache: e.writeCache } : {}),
      });
      this.disks.set(e.name, disk);
      host.attachDisk(`nbd-export-${e.name || 'default'}`, disk);
      return {
        name: e.name, store: disk, ...(e.description ? { description: e.description } : {}),
        ...(e.readOnly !== undefined ? { readOnly: e.readOnly } : {}), ...(e.multiConn !== undefined ? { multiConn: e.multiConn } : {}),
        ...(e.blockSize ? { blockSize: e.blockSize } : {}), ...(e.allow ? { allow: e.allow } : {}),
      };
    });
    this.server = new NbdServer(
      { exports, ...(opts.tls ? { tls: opts.tls } : {}), ...(opts.defaultExport !== undefined ? { defaultExport: opts.defaultExport } : {}),
        ...(opts.noStructuredReplies ? { noStructuredReplies: true } : {}) },
      { name: this.src, rngOf: (n) => engine.rng.get(n), ...(opts.traceRequests === false ? { traceRequests: false } : {}) },
    );
  }

  get running(): boolean {
    return this.listener !== null;
  }

  /** Connections being served. */
  get connections(): number {
    return this.conns.size;
  }

  /** Listens on the port (a program start, or a restart after a crash). */
  start(): void {
    if (this.listener) return;
    const l = this.host.net.listen(this.port, { noDelay: true });
    l.onAccept = (s) => this.accept(s);
    this.listener = l;
    this.trace('start', { port: this.port });
  }

  /** Graceful stop: sessions closed (FIN), listener closed; disks keep their caches. */
  stop(): void {
    this.listener?.close();
    this.listener = null;
    this.server.closeAll();
    this.trace('stop');
  }

  /**
   * Host crash (power loss): every connection vanishes without a FIN or RST, the disks lose
   * their unflushed writes, nothing listens. Peers learn on their next segment (RST) or by
   * timeout. Call start() to model the restart.
   */
  crash(): void {
    this.listener?.close();
    this.listener = null;
    for (const [session, sock] of this.conns) {
      session.closed();
      sock.onClose = null;
      sock.destroy(null, 'host crash');
    }
    this.conns.clear();
    for (const d of this.disks.values()) d.crash();
    this.trace('crash');
  }

  private accept(sock: TcpSocket): void {
    const engine = this.host.kernel.engine;
    const writer = new SocketWriter(sock);
    const connSrc = `${this.src}/${ipToString(sock.remoteAddr)}:${sock.remotePort}`;
    let session: ServerSession | null = null;
    session = this.server.accept({
      send: (b) => writer.write(b),
      close: () => writer.end(),
      // No real cryptography in the simulator: the upgrade is instant and the identity is empty.
      startTls: () => { engine.schedule(0, () => session?.tlsReady(), 'nbd-server.tls'); },
      schedule: (ns, fn) => { engine.schedule(ns, fn, 'nbd-server.delay'); },
      trace: (kind, data) => engine.trace.emit(connSrc, `nbd.${kind}`, data),
    }, { address: ipToString(sock.remoteAddr) });
    const s = session;
    this.conns.set(s, sock);
    // The view is only valid during the call; the decoder keeps chunks by reference.
    sock.onData = (chunk) => s.receive(chunk.slice());
    sock.onEnd = () => {
      s.closed();
      writer.end();
    };
    sock.onError = () => s.closed();
    sock.onClose = () => {
      s.closed();
      this.conns.delete(s);
    };
  }

  private trace(kind: string, data?: Record<string, unknown>): void {
    this.host.kernel.engine.trace.emit(this.src, `nbd.${kind}`, data);
  }
}
