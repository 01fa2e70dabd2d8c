// Test harness: the driver against E5's real NBD server sessions over an in-test socket model
// (fixed one-way delay, ordered delivery, optional send-buffer limit, partitions, RST), and an
// in-test block layer that hands out tags and collects completions.
import { Engine } from '../../../hw-sim/engine/index.ts';
import type { StatsTree } from '../../../kernel/core/stats.ts';
import { VirtualDisk } from '../../../hw-sim/disk/disk.ts';
import { defaultNbdConfig, type NbdConfig } from '../../../drivers/nbd/config/index.ts';
import { NbdServer, type ServerSession } from '../../../scenarios/hosts/nbd-server/protocol/index.ts';
import type { ServerConfig } from '../../../scenarios/hosts/nbd-server/protocol/index.ts';
import { NbdDevice } from '../../../drivers/nbd/device.ts';
import { SimProtocolEngine } from '../../../drivers/nbd/adapters/protocol-engine.ts';
import { TlsChannel } from '../../../drivers/nbd/security/tls-channel.ts';
import { BlkOp, QueueRqResult, type BlkRequest, type BlockDisk, type NbdSocket, type SocketEvents, type SocketFactory } from '../../../drivers/nbd/ports.ts';

export const ONE_WAY_NS = 20_000;

export interface SimServer {
  name: string;
  server: NbdServer;
  disk: VirtualDisk;
  up: boolean;
  partitioned: boolean;
  sockets: Set<FakeConn>;
  tlsPsk?: Uint8Array;
}

/** One TCP connection between the client and a server, both directions. */
class FakeConn implements NbdSocket {
  open = true;
  session: ServerSession | null = null;
  serverTls: TlsChannel | null = null;
  inFlightBytes = 0;
  blocked = false;
  /** This connection alone drops everything, both ways. */
  partitioned = false;

  constructor(readonly net: FakeNet, readonly srv: SimServer, readonly ev: SocketEvents) {}

  send(bytes: Uint8Array): number {
    if (!this.open) return 0;
    const room = this.net.sndbuf - this.inFlightBytes;
    const n = Math.min(room, bytes.length);
    if (n <= 0) { this.blocked = true; return 0; }
    const copy = bytes.slice(0, n);
    this.inFlightBytes += n;
    if (n < bytes.length) this.blocked = true;
    this.net.engine.schedule(ONE_WAY_NS, () => {
      this.inFlightBytes -= n;
      if (this.blocked && this.open) { this.blocked = false; this.ev.onWritable(); }
      if (!this.open || this.partitioned || this.srv.partitioned || !this.srv.up) return;
      if (this.serverTls) this.serverTls.feed(copy);
      else this.session?.receive(copy);
    }, 'fake.c2s');
    return n;
  }
  cork(): void {}
  uncork(): void {}
  close(): void { this.shut(0); }
  reset(): void { this.shut(104); }

  /** Client side closes: the server sees EOF after the delay. */
  private shut(_errno: number): void {
    if (!this.open) return;
    this.open = false;
    this.srv.sockets.delete(this);
    const s = this.session;
    this.net.engine.schedule(ONE_WAY_NS, () => s?.closed(), 'fake.close');
  }

  /** Bytes from the server to the client. */
  deliver(bytes: Uint8Array): void {
    const copy = bytes.slice();
    this.net.engine.schedule(ONE_WAY_NS, () => {
      if (this.open && !this.partitioned && !this.srv.partitioned) this.ev.onData(copy);
    }, 'fake.s2c');
  }

  /** Server side ends the connection (close or crash RST). */
  serverClosed(errno: number): void {
    if (!this.open) return;
    this.open = false;
    this.srv.sockets.delete(this);
    this.net.engine.schedule(ONE_WAY_NS, () => this.ev.onClose(errno), 'fake.peer-close');
  }
}

export class FakeNet implements SocketFactory {
  readonly servers = new Map<string, SimServer>();
  sndbuf = 4 << 20;
  connects = 0;

  constructor(readonly engine: Engine) {}

  addServer(name: string, cfg: Omit<ServerConfig, 'exports'> & { size: number; exportName?: string; multiConn?: boolean; psk?: Uint8Array; readOnly?: boolean }): SimServer {
    const disk = new VirtualDisk(this.engine, { name: `${name}/disk0`, size: cfg.size, model: 'ram' });
    const server = new NbdServer(
      { ...cfg, exports: [{ name: cfg.exportName ?? 'disk', store: disk, multiConn: cfg.multiConn ?? true, readOnly: cfg.readOnly ?? false }] },
      { name: `${name}/nbd-server`, rngOf: (n) => this.engine.rng.get(n) },
    );
    const s: SimServer = { name, server, disk, up: true, partitioned: false, sockets: new Set(), tlsPsk: cfg.psk };
    this.servers.set(name, s);
    return s;
  }

  connect(host: string, _port: number, ev: SocketEvents): NbdSocket {
    this.connects++;
    const srv = this.servers.get(host);
    if (!srv) throw new Error(`fake net: no host ${host}`);
    const c = new FakeConn(this, srv, ev);
    if (!srv.up || srv.partitioned) {
      // Refused when down; silently lost (connect timeout) when partitioned.
      if (!srv.up) this.engine.schedule(2 * ONE_WAY_NS, () => { c.open = false; ev.onClose(111); }, 'fake.refused');
      return c;
    }
    srv.sockets.add(c);
    this.engine.schedule(2 * ONE_WAY_NS, () => {
      if (!c.open) return;
      ev.onConnect();
      c.session = srv.server.accept({
        send: (b) => { if (c.serverTls?.open) c.deliver(c.serverTls.seal(b)); else c.deliver(b); },
        close: () => c.serverClosed(0),
        startTls: () => {
          c.serverTls = new TlsChannel({
            role: 'server', identity: '', seed: this.engine.seed, random: new Uint8Array(32).fill(7),
            lookupPsk: () => srv.tlsPsk,
          }, {
            sendRaw: (b) => c.deliver(b),
            established: () => c.session?.tlsReady(c.serverTls!.identity),
            failed: () => c.serverClosed(0),
            appData: (b) => c.session?.receive(b),
          });
          c.serverTls.start();
        },
        schedule: (d, fn) => { this.engine.schedule(d, fn, 'fake.server'); },
      }, { address: 'client' });
    }, 'fake.connect');
    return c;
  }

  /** Server host crash: RST on every connection, unflushed writes lost. */
  crash(name: string): void {
    const s = this.servers.get(name)!;
    s.up = false;
    s.disk.crash();
    for (const c of [...s.sockets]) { c.session?.closed(); c.serverClosed(104); }
  }

  restart(name: string): void {
    this.servers.get(name)!.up = true;
  }

  /** Partitions one established connection of a server (both directions). */
  partitionConn(name: string, index: number, on: boolean): void {
    const c = [...this.servers.get(name)!.sockets][index];
    if (c) c.partitioned = on;
  }

  /** RST one connection from the server side. */
  rst(name: string, index = 0): void {
    const c = [...this.servers.get(name)!.sockets][index];
    if (c) { c.session?.closed(); c.serverClosed(104); }
  }
}

/** The block layer's side: tags, completions, BUSY requeue on kick. */
export class FakeBlock implements BlockDisk {
  readonly free: number[] = [];
  readonly done = new Map<BlkRequest, number>();
  readonly busy: BlkRequest[] = [];
  capacity = 0;
  completions = 0;
  errors = 0;
  /** Completions of a request already completed (must stay 0). */
  doubles = 0;
  onComplete: ((rq: BlkRequest, errno: number) => void) | null = null;
  device!: NbdDevice;
  /** Per-request timeout like blk-mq's (0: none). */
  timeoutNs = 0;
  engine: Engine | null = null;
  private readonly timers = new Map<BlkRequest, ReturnType<Engine['schedule']>>();

  constructor(readonly tags: number) {
    for (let t = tags - 1; t >= 0; t--) this.free.push(t);
  }

  submit(op: BlkOp, offset: number, length: number, data: Uint8Array | null, flags = 0): BlkRequest | null {
    const tag = this.free.pop();
    if (tag === undefined) return null;
    const rq: BlkRequest = { tag, op, offset, length, flags, data };
    this.dispatch(rq);
    return rq;
  }

  private armTimer(rq: BlkRequest): void {
    if (this.timeoutNs === 0 || !this.engine) return;
    const e = this.engine;
    e.cancel(this.timers.get(rq));
    this.timers.set(rq, e.schedule(this.timeoutNs, () => {
      this.timers.delete(rq);
      if (this.done.has(rq)) return;
      if (this.device.timeout(rq) === 0) this.armTimer(rq);
    }, 'fake.blk.timeout'));
  }

  private dispatch(rq: BlkRequest): void {
    this.armTimer(rq);
    const r = this.device.queueRq(rq);
    if (r === QueueRqResult.BUSY) { this.busyAnswers++; this.busy.push(rq); }
    else if (r === QueueRqResult.ERROR) this.complete(rq, 5);
  }

  complete(rq: BlkRequest, error: number): void {
    if (this.done.has(rq)) { this.doubles++; return; }
    this.engine?.cancel(this.timers.get(rq));
    this.timers.delete(rq);
    this.free.push(rq.tag);
    this.completions++;
    if (error !== 0) this.errors++;
    this.done.set(rq, error);
    this.onComplete?.(rq, error);
  }
  requeue(rq: BlkRequest): void { this.busy.push(rq); }
  kicks = 0;
  busyAnswers = 0;
  kick(): void {
    this.kicks++;
    const list = this.busy.splice(0);
    for (const rq of list) this.dispatch(rq);
  }
  setCapacity(bytes: number): void { this.capacity = bytes; }
}

export interface Rig {
  engine: Engine;
  net: FakeNet;
  blk: FakeBlock;
  dev: NbdDevice;
}

export function config(over: Partial<NbdConfig>): NbdConfig {
  return { ...defaultNbdConfig(), ...over };
}

export function rig(seed: number, cfg: NbdConfig, servers: (net: FakeNet) => void, opts: { trace?: boolean; tags?: number; stats?: StatsTree; sndbuf?: number; backlogLimit?: number } = {}): Rig {
  const engine = new Engine({ seed, trace: opts.trace ?? true });
  const net = new FakeNet(engine);
  if (opts.sndbuf !== undefined) net.sndbuf = opts.sndbuf;
  servers(net);
  const tags = opts.tags ?? 64;
  const blk = new FakeBlock(tags);
  blk.engine = engine;
  blk.timeoutNs = cfg.requestTimeoutNs;
  const dev = new NbdDevice(engine, {
    name: 'nbd0', host: 'client', config: cfg, sockets: net, protocol: new SimProtocolEngine(engine, 'nbd0'),
    tags, maxIo: 128 * 1024,
    ...(opts.backlogLimit !== undefined ? { backlogLimitBytes: opts.backlogLimit } : {}),
    ...(opts.stats ? { stats: { publish: (p: string, read: () => string | number | boolean) => opts.stats!.gauge(p, read), unpublish: (p: string) => opts.stats!.remove(p) } } : {}),
  });
  blk.device = dev;
  dev.attach(blk);
  return { engine, net, blk, dev };
}
