import type { Engine, Rng } from '../../hw-sim/engine/index.ts';
import type { Bugs } from '../../hw-sim/engine/bugs.ts';
import { IPPROTO_TCP, parseIp, type IpAddr, type Packet } from '../../hw-sim/net/packet.ts';
import { engineNetClock, type NetClock } from './clock.ts';
import type { NetDevice, NetInterface, TxOwner } from './device.ts';
import { NetError } from './errors.ts';
import { Iface, type IpInput } from './interface.ts';
import { NetStats } from './stats.ts';
import { resolveTcpConfig, type TcpConfig } from './tcp/config.ts';
import type { NetRoute, TcpHost } from './tcp/tcb.ts';
import { tcpInput } from './tcp/input.ts';
import { TcpListener, type ListenOptions } from './tcp/listener.ts';
import { replyRst } from './tcp/reset.ts';
import { TcpSocket, type TcpSocketOptions } from './tcp/socket.ts';
import { UdpSocket, type UdpHost } from './udp.ts';

export interface NetStackOptions {
  /** Host name: trace sources are `<host>/tcp`, RNG streams `<host>/tcp/...`. */
  host: string;
  engine: Engine;
  /** Timers; defaults to the engine (the machine builder passes the kernel's timers). */
  clock?: NetClock;
  tcp?: Partial<TcpConfig>;
  /** Packets queued per device when its tx ring is full (txqueuelen). */
  txQueueLen?: number;
  /** Initial sequence numbers; defaults to the `<host>/tcp/iss` stream. */
  iss?: () => number;
  /** CPU accounting: socket-buffer copies cost bytes / copyBytesPerSecond, charged here. */
  cpu?: { charge(ns: number): void; copyBytesPerSecond: number };
}

interface Route {
  net: number;
  mask: number;
  prefixLen: number;
  iface: Iface;
}

const CONN_CACHE_SLOTS = 64;

/** Cache slot of a connection's 4-tuple (our address is implied: one table per host). */
function connSlot(localPort: number, remoteAddr: number, remotePort: number): number {
  return Math.imul(remoteAddr ^ remotePort ^ (localPort << 16), 0x9e3779b1) >>> 26;
}

const EPHEMERAL_LO = 49152;
const EPHEMERAL_HI = 65535;

/** One host's IPv4 + TCP + UDP stack: interfaces, static routes, demux, sockets. */
export class NetStack implements TcpHost, UdpHost, IpInput {
  readonly hostName: string;
  readonly clock: NetClock;
  readonly stats = new NetStats();
  readonly tcpConfig: TcpConfig;
  readonly bugs: Bugs;
  private readonly engine: Engine;
  private readonly traceSrc: string;
  private readonly ifaces: Iface[] = [];
  private readonly routes: Route[] = [];
  /** localPort → (remoteAddr * 65536 + remotePort) → connection. */
  private readonly conns = new Map<number, Map<number, TcpSocket>>();
  /**
   * Direct-mapped cache in front of `conns` for the receive path (two Map lookups per segment):
   * slot connSlot(4-tuple) holds a connection of the table or null; unhash clears its slot.
   */
  private readonly connCache: (TcpSocket | null)[] = new Array<TcpSocket | null>(CONN_CACHE_SLOTS).fill(null);
  private readonly listeners = new Map<number, TcpListener>();
  private readonly udpPorts = new Map<number, UdpSocket>();
  private nextPort = EPHEMERAL_LO;
  private ipId = 0;
  private readonly issFn: () => number;
  private readonly txQueueLen: number;
  /** Kept as the object (a method call), not its charge function (a closure call per copy). */
  private readonly cpu: { charge(ns: number): void } | null;
  private readonly copyNsPerByte: number;

  constructor(opts: NetStackOptions) {
    this.hostName = opts.host;
    this.engine = opts.engine;
    this.bugs = opts.engine.bugs;
    this.clock = opts.clock ?? engineNetClock(opts.engine);
    this.tcpConfig = resolveTcpConfig(opts.tcp);
    this.traceSrc = `${opts.host}/tcp`;
    this.txQueueLen = opts.txQueueLen ?? 1000;
    const rng: Rng = opts.engine.rng.get(`${opts.host}/tcp/iss`);
    this.issFn = opts.iss ?? (() => rng.int(0x100000000));
    this.cpu = opts.cpu ?? null;
    this.copyNsPerByte = opts.cpu ? 1e9 / opts.cpu.copyBytesPerSecond : 0;
  }

  /** Registers a device with an address; adds the connected route. The driver keeps the result. */
  addInterface(dev: NetDevice, addr: IpAddr | string, prefixLen = 24): NetInterface {
    const a = typeof addr === 'string' ? parseIp(addr) : addr >>> 0;
    if (!(Number.isInteger(prefixLen) && prefixLen >= 0 && prefixLen <= 32)) throw new NetError('EINVAL', `prefix length must be 0..32, got ${prefixLen}`);
    if (!(dev.mtu >= 68)) throw new NetError('EINVAL', `device ${dev.name}: MTU ${dev.mtu} below the IPv4 minimum of 68`);
    const iface = new Iface(dev, a, prefixLen, this.txQueueLen, this.stats, this);
    this.ifaces.push(iface);
    this.addRoute(a, prefixLen, a);
    return iface;
  }

  /** Static route: `dest/prefixLen` leaves through the interface that owns `via` (its address). */
  addRoute(dest: IpAddr | string, prefixLen: number, via: IpAddr | string): void {
    const d = typeof dest === 'string' ? parseIp(dest) : dest >>> 0;
    const v = typeof via === 'string' ? parseIp(via) : via >>> 0;
    const iface = this.ifaces.find((i) => i.addr === v);
    if (!iface) throw new NetError('EINVAL', `route ${d}/${prefixLen}: no interface with address ${v}`);
    const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
    this.routes.push({ net: (d & mask) >>> 0, mask, prefixLen, iface });
    this.routes.sort((x, y) => y.prefixLen - x.prefixLen);
  }

  tcpSocket(opts?: TcpSocketOptions): TcpSocket {
    return new TcpSocket(this, opts);
  }

  listen(port: number, opts: ListenOptions = {}): TcpListener {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NetError('EINVAL', `listen: port must be 1..65535, got ${port}`);
    if (this.listeners.has(port)) throw new NetError('EADDRINUSE', `${this.hostName}: TCP port ${port} already listening`);
    const l = new TcpListener(this, port, opts, (x) => this.listeners.delete(x.port));
    this.listeners.set(port, l);
    return l;
  }

  udpSocket(port = 0): UdpSocket {
    const p = port || this.pickPort((n) => this.udpPorts.has(n));
    if (this.udpPorts.has(p)) throw new NetError('EADDRINUSE', `${this.hostName}: UDP port ${p} in use`);
    const s = new UdpSocket(this, p);
    this.udpPorts.set(p, s);
    return s;
  }

  /** Every open TCP connection (for stats and management commands). */
  connections(): TcpSocket[] {
    const out: TcpSocket[] = [];
    for (const m of this.conns.values()) for (const s of m.values()) out.push(s);
    return out;
  }

  // ---- TcpHost / UdpHost ----

  trace(kind: string, data: Record<string, unknown>): void {
    this.engine.trace.emit(this.traceSrc, kind, data);
  }

  route(dst: number): NetRoute | undefined {
    const rs = this.routes;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      if ((dst & r.mask) >>> 0 === r.net) return r.iface;
    }
    return undefined;
  }

  output(p: Packet, owner?: TxOwner): void {
    const iface = this.route(p.dst) as Iface | undefined;
    if (!iface) {
      this.stats.ipNoRoute++;
      if (owner) owner.onTxDone(p.payload.length, true);
      return;
    }
    p.ipId = this.ipId;
    this.ipId = (this.ipId + 1) & 0xffff;
    this.stats.ipOutPackets++;
    if (this.isLocal(p.dst)) {
      this.clock.schedule(0, () => this.ipInput(p), 'ip.loopback');
      if (owner) owner.onTxDone(p.payload.length, true);
      return;
    }
    iface.transmit(p, owner ?? null);
  }

  chargeCopy(bytes: number): void {
    if (this.cpu !== null && bytes > 0) this.cpu.charge(Math.ceil(bytes * this.copyNsPerByte));
  }

  newIss(): number {
    return this.issFn() >>> 0;
  }

  ephemeralPort(): number {
    return this.pickPort((n) => this.conns.has(n) || this.listeners.has(n));
  }

  hashConnection(s: TcpSocket): void {
    let m = this.conns.get(s.localPort);
    if (!m) {
      m = new Map();
      this.conns.set(s.localPort, m);
    }
    const key = s.remoteAddr * 65536 + s.remotePort;
    if (m.has(key)) throw new NetError('EADDRINUSE', `${this.hostName}: connection ${s.label} already exists`);
    m.set(key, s);
  }

  unhashConnection(s: TcpSocket): void {
    const m = this.conns.get(s.localPort);
    if (!m) return;
    const key = s.remoteAddr * 65536 + s.remotePort;
    if (m.get(key) === s) m.delete(key);
    const slot = connSlot(s.localPort, s.remoteAddr, s.remotePort);
    if (this.connCache[slot] === s) this.connCache[slot] = null;
    if (m.size === 0) this.conns.delete(s.localPort);
  }

  unbindUdp(s: UdpSocket): void {
    if (this.udpPorts.get(s.port) === s) this.udpPorts.delete(s.port);
  }

  // ---- receive path ----

  /** IP input: a packet from one of our interfaces, or looped back. */
  ipInput(p: Packet): void {
    this.stats.ipInPackets++;
    if (!this.isLocal(p.dst)) {
      this.stats.ipInAddrErrors++; // not ours, and hosts do not forward
      return;
    }
    const tcp = p.proto === IPPROTO_TCP;
    if (p.corrupt) {
      // The checksum does not match: drop silently, the sender's retransmission recovers it.
      if (tcp) this.stats.tcpChecksumDrops++;
      else this.stats.udpChecksumDrops++;
      return;
    }
    if (tcp) {
      const h = p.tcp!;
      this.stats.tcpInSegs += p.gsoSize > 0 ? Math.ceil(p.payload.length / p.gsoSize) : 1;
      const s = this.findConnection(h.dport, p.src, h.sport);
      if (s !== undefined) tcpInput(s, p);
      else {
        const l = this.listeners.get(h.dport);
        if (l) l.input(p);
        else replyRst(this, p);
      }
      return;
    }
    const u = this.udpPorts.get(p.udp!.dport);
    if (u) u.input(p);
    else this.stats.udpNoPorts++;
  }

  private findConnection(localPort: number, remoteAddr: number, remotePort: number): TcpSocket | undefined {
    const slot = connSlot(localPort, remoteAddr, remotePort);
    const c = this.connCache[slot]!;
    if (c !== null && c.localPort === localPort && c.remotePort === remotePort && c.remoteAddr === remoteAddr) return c;
    const s = this.conns.get(localPort)?.get(remoteAddr * 65536 + remotePort);
    if (s) this.connCache[slot] = s;
    return s;
  }

  private isLocal(a: number): boolean {
    for (let i = 0; i < this.ifaces.length; i++) if (this.ifaces[i]!.addr === a) return true;
    return false;
  }

  private pickPort(used: (n: number) => boolean): number {
    for (let i = 0; i <= EPHEMERAL_HI - EPHEMERAL_LO; i++) {
      const n = this.nextPort;
      this.nextPort = n === EPHEMERAL_HI ? EPHEMERAL_LO : n + 1;
      if (!used(n)) return n;
    }
    throw new NetError('EADDRINUSE', `${this.hostName}: no free ephemeral port`);
  }
}
