/**
 * The NBD server program of a simulated server host: the sans-I/O server session
 * (./protocol) on the host's kernel TCP sockets, serving exports from virtual
 * disks (hw-sim/disk). Fault knobs live on `server.faults`; crash and restart are host events.
 */
import { NBD_ORION_CHECKSUM_CRC32C, NBD_ORION_COMPRESS_DEFLATE, NBD_ORION_COMPRESS_LZ4 } from '../../../drivers/nbd/protocol/uapi.ts';
import { VirtualDisk, type PrefillKind, type ServiceTimeModel, type SharedVolume } from '../../../hw-sim/disk/index.ts';
import { ipToString } from '../../../hw-sim/net/packet.ts';
import type { TcpListener } from '../../../kernel/net/tcp/listener.ts';
import type { TcpSocket } from '../../../kernel/net/tcp/socket.ts';
import { NbdServer, type BlockSizes, type ServerSession, type TlsMode } from './protocol/index.ts';
import { NBD_DEFAULT_PORT } from '../../../drivers/nbd/protocol/uapi.ts';
import { TlsChannel } from '../../../drivers/nbd/security/tls-channel.ts';
import { engineNetClock } from '../../../kernel/net/clock.ts';
import { tcpUlpTls, type TlsCpu } from '../../../kernel/net/tls/index.ts';
import type { Host } from '../../machine/host.ts';
import { SocketWriter } from './socket-io.ts';
import { HostIo } from './host-io.ts';
import type { CpuCosts } from '../../../hw-sim/cpu/costs.ts';
import type { FrameCpu } from '../../../drivers/nbd/protocol/frame-cost.ts';
import { CostedStore } from './store/costed-store.ts';
import type { BlockStore } from './store/block-store.ts';
import { describeBackend, withBoot } from '../../../drivers/nbd/config/backend.ts';
import { UdpListener } from './udp-listener.ts';

export interface NbdExportSpec {
  name: string;
  size: number;
  description?: string;
  /** Disk preset (ram, nvme, ssd, hdd) or a model; default nvme. */
  disk?: string | ServiceTimeModel;
  writeCache?: boolean;
  /** What the export holds before its first write (default zeros). */
  prefill?: PrefillKind;
  readOnly?: boolean;
  multiConn?: boolean;
  blockSize?: BlockSizes;
  allow?: readonly string[];
  readOnlyFor?: readonly string[];
  /** Serve this shared volume (a port of it) instead of a disk of the host's own; size and disk model are the volume's. */
  volume?: SharedVolume;
}

/** A TLS pre-shared key the server accepts: the client's identity and the key bytes (or hex). */
export interface ServerPsk {
  identity: string;
  psk: Uint8Array | string;
}

export interface NbdServerProgramOptions {
  exports: readonly NbdExportSpec[];
  port?: number;
  /** STARTTLS: 'optional' or 'require' run the simulated TLS-PSK of drivers/nbd/security with `tlsKeys`. */
  tls?: TlsMode;
  /** Keys for TLS; an identity not listed (or a wrong key) fails the TLS handshake. */
  tlsKeys?: readonly ServerPsk[];
  defaultExport?: string;
  noStructuredReplies?: boolean;
  /** A trace record per request (default true). */
  traceRequests?: boolean;
  /** CPU cost of the program's work per request on the host's cores (default none). */
  costs?: CpuCosts;
  /** Grant the UDP transport (default true); false refuses it as a standard server does. */
  udp?: boolean;
}

export class NbdServerProgram {
  readonly server: NbdServer;
  /** The virtual disk behind each export, by export name. */
  readonly disks = new Map<string, VirtualDisk>();
  /** The disks in this host's power domain (shared volumes are not). */
  private readonly ownDisks: VirtualDisk[] = [];
  readonly port: number;
  private listener: TcpListener | null = null;
  private readonly conns = new Map<ServerSession, TcpSocket>();
  private readonly src: string;
  private readonly keys: Map<string, Uint8Array>;
  private readonly costs: CpuCosts | undefined;
  private crashed = false;
  /** Starts after a crash so far, plus one (the `boot=N` token of the export descriptions). */
  private boots = 1;
  private readonly exportCfgs: { name: string; store: BlockStore; description?: string }[];
  /** The UDP transport's listener (docs/nbd-extensions.md), on the same port number as TCP. */
  readonly udp: UdpListener;

  constructor(readonly host: Host, opts: NbdServerProgramOptions) {
    const engine = host.kernel.engine;
    this.src = `${host.name}/nbd-server`;
    this.costs = opts.costs;
    this.keys = new Map((opts.tlsKeys ?? []).map((k) => [k.identity, typeof k.psk === 'string' ? hexBytes(k.psk, k.identity) : k.psk]));
    this.port = opts.port ?? NBD_DEFAULT_PORT;
    const exports = opts.exports.map((e) => {
      const disk = e.volume ? e.volume.attach(host.name) : new VirtualDisk(engine, {
        name: `${host.name}/disk-${e.name || 'default'}`, size: e.size,
        ...(e.disk !== undefined ? { model: e.disk } : {}), ...(e.writeCache !== undefined ? { writeCache: e.writeCache } : {}),
        ...(e.prefill !== undefined ? { prefill: e.prefill } : {}),
      });
      this.disks.set(e.name, disk);
      if (!e.volume) this.ownDisks.push(disk);
      host.attachDisk(`nbd-export-${e.name || 'default'}`, disk);
      return {
        name: e.name, store: opts.costs ? new CostedStore(disk, host.hw.cpu, opts.costs) : disk, ...(e.description ? { description: e.description } : {}),
        ...(e.readOnly !== undefined ? { readOnly: e.readOnly } : {}), ...(e.multiConn !== undefined ? { multiConn: e.multiConn } : {}),
        ...(e.blockSize ? { blockSize: e.blockSize } : {}), ...(e.allow ? { allow: e.allow } : {}),
        ...(e.readOnlyFor ? { readOnlyFor: e.readOnlyFor } : {}),
      };
    });
    this.exportCfgs = exports;
    this.udp = new UdpListener(host.net, this.port, engine.rng.get(`${this.src}/udp-token`), () => engine.bugs.has('udp-replay-cache-off'));
    this.server = new NbdServer(
      { exports, ...(opts.tls ? { tls: opts.tls } : {}), ...(opts.defaultExport !== undefined ? { defaultExport: opts.defaultExport } : {}),
        ...(opts.noStructuredReplies ? { noStructuredReplies: true } : {}),
        // The Orion extensions are granted to a client that asks (docs/nbd-extensions.md); the driver asks only when configured.
        extensions: { compression: [NBD_ORION_COMPRESS_LZ4, NBD_ORION_COMPRESS_DEFLATE], checksum: [NBD_ORION_CHECKSUM_CRC32C] },
        ...(opts.udp === false ? {} : { udp: this.udp }) },
      { name: this.src, rngOf: (n) => engine.rng.get(n), bugs: engine.bugs, ...(opts.traceRequests === false ? { traceRequests: false } : {}),
        ...(opts.costs ? { frameCpu: frameCpuOf(host, opts.costs) } : {}) },
    );
  }

  get running(): boolean {
    return this.listener !== null;
  }

  /** Connections being served. */
  get connections(): number {
    return this.conns.size;
  }

  /** Listens on the port (a program start, or a restart after a crash: a fresh process, not hung). */
  start(): void {
    if (this.listener) return;
    // Each start after a power loss is a fresh process: its exports name a new server instance,
    // so a client can tell it from a host that only lost a connection (its disks' caches kept).
    if (this.crashed) this.boots++;
    for (const e of this.exportCfgs) if (e.description !== undefined) e.description = withBoot(e.description, this.boots);
    if (this.crashed) {
      this.crashed = false;
      this.server.setHang(false);
      this.server.faults.clearMisbehaviour();
    }
    const l = this.host.net.listen(this.port, { noDelay: true });
    l.onAccept = (s) => this.accept(s);
    this.listener = l;
    this.udp.start();
    this.trace('start', { port: this.port });
  }

  /** Graceful stop: sessions closed (FIN), listener closed; disks keep their caches. */
  stop(): void {
    this.listener?.close();
    this.listener = null;
    this.udp.stop();
    this.server.closeAll();
    this.trace('stop');
  }

  /**
   * Host crash (power loss): every connection vanishes without a FIN or RST, the host's own
   * disks lose their unflushed writes (a shared volume is in its own power domain), nothing listens. Peers learn on their next segment (RST) or by
   * timeout. Call start() to model the restart.
   */
  crash(): void {
    this.listener?.close();
    this.listener = null;
    this.udp.stop();
    for (const [session, sock] of this.conns) {
      session.closed();
      sock.onClose = null;
      sock.destroy(null, 'host crash');
    }
    this.conns.clear();
    const lost = this.host.kernel.engine.bugs.has('volume-in-host-power-domain') ? [...new Set(this.disks.values())] : this.ownDisks;
    for (const d of lost) d.crash();
    this.crashed = true;
    this.trace('crash');
  }

  /**
   * The program restarts (its sessions closed in order) serving export `name` from another shared
   * volume: an operator's mistake. Its description names the new backend, for a client to refuse.
   */
  reExport(name: string, volume: SharedVolume): void {
    const e = this.exportCfgs.find((x) => x.name === name);
    if (!e) throw new Error(`${this.host.name}: no export '${name}' to re-export`);
    this.stop();
    const disk = volume.attach(this.host.name);
    this.disks.set(name, disk);
    e.store = this.costs ? new CostedStore(disk, this.host.hw.cpu, this.costs) : disk;
    const rest = (e.description ?? '').replace(/(?:^|\s)backend=\S+/, '').trim();
    e.description = withBoot(describeBackend(volume.name, rest), this.boots);
    this.start();
  }

  private accept(sock: TcpSocket): void {
    const engine = this.host.kernel.engine;
    const writer = new SocketWriter(sock);
    const connSrc = `${this.src}/${ipToString(sock.remoteAddr)}:${sock.remotePort}`;
    // After STARTTLS: the simulated TLS-PSK handshake (drivers/nbd/security), then kernel TLS on
    // the socket (kernel/net/tls) seals the replies and opens the requests.
    let tls: TlsChannel | null = null;
    let session: ServerSession | null = null;
    const io = new HostIo(engine, writer, connSrc, `${ipToString(sock.remoteAddr)}:${sock.remotePort}`);
    io.startTls = () => {
      const failed = (reason: string): void => {
        engine.trace.emit(connSrc, 'nbd.tls.failed', { reason });
        session?.close(reason);
      };
      tls = this.tlsChannel(connSrc, {
        sendRaw: (b) => writer.write(b),
        established: (keys, rest) => {
          if (sock.state === 'CLOSED') return;
          const ktls = tcpUlpTls(sock, engineNetClock(engine), this.tlsCpu(), {
            data: (b) => s.receive(b, true), writable: () => writer.drain(), error: failed,
          }, engine.bugs);
          ktls.setTx(keys.tx);
          writer.upgrade(ktls);
          ktls.setRx(keys.rx, rest);
          session?.tlsReady(tls!.identity);
        },
        failed,
      });
      tls.start();
    };
    session = this.server.accept(io, { address: ipToString(sock.remoteAddr) });
    const s = session;
    this.conns.set(s, sock);
    // The view is only valid during the call: the session copies what it leaves undecoded
    // (receive's `transient`); the TLS handshake keeps what it is fed, so it gets a copy. Once
    // the keys are installed the TLS layer has taken this callback over.
    sock.onData = (chunk) => {
      if (tls) tls.feed(chunk.slice());
      else s.receive(chunk, true);
    };
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

  private tlsChannel(connSrc: string, sink: ConstructorParameters<typeof TlsChannel>[1]): TlsChannel {
    const engine = this.host.kernel.engine;
    const rng = engine.rng.get(`${connSrc}/tls-random`);
    const random = new Uint8Array(32);
    for (let i = 0; i < 32; i++) random[i] = rng.int(256);
    // The key schedule's CPU time passes before the ServerHello leaves.
    const after = (ns: number, fn: () => void): void => { engine.schedule(ns, fn, 'nbd-server.tls.handshake'); };
    return new TlsChannel({ role: 'server', identity: '', lookupPsk: (id) => this.keys.get(id), seed: engine.seed, random, cpu: this.tlsCpu(), after }, sink);
  }

  /** AES-GCM sealing and opening (and the handshake) on the server's least loaded core, as its request work; none without costs. */
  private tlsCpu(): TlsCpu | null {
    const c = this.costs;
    const cpu = this.host.hw.cpu;
    return c ? { nsPerByte: c.aesGcmNsPerByte, charge: (ns: number) => { cpu.charge(cpu.leastLoaded(), ns, 'nbd-server.tls'); } } : null;
  }

  private trace(kind: string, data?: Record<string, unknown>): void {
    this.host.kernel.engine.trace.emit(this.src, `nbd.${kind}`, data);
  }
}

function hexBytes(hex: string, identity: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new RangeError(`nbd-server: PSK of identity '${identity}' must be hex digits`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Payload compression and checksums run on the server's least loaded core (as its request work does). */
function frameCpuOf(host: Host, costs: CpuCosts): FrameCpu {
  const cpu = host.hw.cpu;
  return { costs, charge: (ns, fn) => { cpu.run(cpu.leastLoaded(), ns, fn, 'nbd-server.frame'); } };
}
