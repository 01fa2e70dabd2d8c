// Test harness: the driver on a real kernel (blk-mq, driver model), against the real NBD server
// sessions over an in-test socket model (fixed one-way delay, ordered delivery, optional
// send-buffer limit, partitions, RST).
import { Engine } from '../../../hw-sim/engine/index.ts';
import { VirtualDisk } from '../../../hw-sim/disk/disk.ts';
import { defaultNbdConfig, type NbdConfig } from '../../../drivers/nbd/config/index.ts';
import { NbdServer, type ServerSession } from '../../../scenarios/hosts/nbd-server/protocol/index.ts';
import type { ServerConfig } from '../../../scenarios/hosts/nbd-server/protocol/index.ts';
import type { NbdDevice } from '../../../drivers/nbd/device.ts';
import { createNbd } from '../../../drivers/nbd/driver.ts';
import { TlsChannel } from '../../../drivers/nbd/security/tls-channel.ts';
import type { NbdSocket, SocketEvents, SocketFactory, TlsEnv } from '../../../drivers/nbd/socket.ts';
import { engineNetClock } from '../../../kernel/net/clock.ts';
import { TlsSw, type TlsKeys } from '../../../kernel/net/tls/index.ts';
import { Bio } from '../../../kernel/block/bio.ts';
import type { GenDisk } from '../../../kernel/block/gendisk.ts';
import type { BlkPlug } from '../../../kernel/block/queue.ts';
import type { ReqOp } from '../../../kernel/block/types.ts';
import { Kernel, createHostHardware } from '../../../kernel/core/kernel.ts';

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
export class FakeConn implements NbdSocket {
  open = true;
  session: ServerSession | null = null;
  serverTls: TlsChannel | null = null;
  /** Kernel TLS of each end once its handshake is done (the same layer the kernel sockets use). */
  tls: TlsSw | null = null;
  serverKtls: TlsSw | null = null;
  inFlightBytes = 0;
  blocked = false;
  /** This connection alone drops everything, both ways. */
  partitioned = false;

  constructor(readonly net: FakeNet, readonly srv: SimServer, readonly ev: SocketEvents) {}

  send(bytes: Uint8Array, more = false): number {
    if (!this.open) return 0;
    return this.tls ? this.tls.send(bytes, 0, bytes.length, more) : this.rawSend(bytes);
  }

  setTls(keys: TlsKeys, rest: Uint8Array, env: TlsEnv): void {
    const room = (): number => this.rawWritable;
    const lower = {
      send: (d: Uint8Array, off: number, len: number) => this.rawSend(d.subarray(off, off + len)),
      get writable() { return room(); },
      setCork: () => {},
      wantWritable: () => { this.blocked = true; },
    };
    this.tls = new TlsSw(lower, env.clock, env.cpu, { data: (b) => this.ev.onData(b), writable: () => this.ev.onWritable(), error: () => this.reset() });
    this.tls.setTx(keys.tx);
    this.tls.setRx(keys.rx, rest);
  }

  /** The server's end after its handshake: replies sealed by the same layer, requests opened by it. */
  serverTlsUp(keys: TlsKeys, rest: Uint8Array): void {
    const lower = { send: (d: Uint8Array, off: number, len: number) => { this.deliver(d.subarray(off, off + len)); return len; }, writable: 1 << 30, setCork: () => {}, wantWritable: () => {} };
    this.serverKtls = new TlsSw(lower, engineNetClock(this.net.engine), null, { data: (b) => this.session?.receive(b), writable: () => {}, error: () => this.serverClosed(0) });
    this.serverKtls.setTx(keys.tx);
    this.serverKtls.setRx(keys.rx, rest);
  }

  private rawSend(bytes: Uint8Array): number {
    const room = this.net.sndbuf - this.inFlightBytes;
    const n = Math.min(room, bytes.length);
    if (n <= 0) { this.blocked = true; return 0; }
    const copy = bytes.slice(0, n);
    this.inFlightBytes += n;
    if (n < bytes.length) this.blocked = true;
    this.net.engine.schedule(ONE_WAY_NS, () => {
      this.inFlightBytes -= n;
      if (this.blocked && this.open) { this.blocked = false; if (this.tls) this.tls.writeSpace(); else this.ev.onWritable(); }
      if (!this.open || this.partitioned || this.srv.partitioned || !this.srv.up) return;
      if (this.serverKtls) this.serverKtls.input(copy);
      else if (this.serverTls) this.serverTls.feed(copy);
      else this.session?.receive(copy);
    }, 'fake.c2s');
    return n;
  }
  get writable(): number {
    if (!this.open) return 0;
    return this.tls ? this.tls.writable : this.rawWritable;
  }
  private get rawWritable(): number {
    return this.open ? Math.max(0, this.net.sndbuf - this.inFlightBytes) : 0;
  }
  cork(): void { this.tls?.setCork(true); }
  uncork(): void { this.tls?.setCork(false); }
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
      if (!this.open || this.partitioned || this.srv.partitioned) return;
      if (this.tls) this.tls.input(copy);
      else this.ev.onData(copy);
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
        send: (b, more) => { if (c.serverKtls) c.serverKtls.send(b, 0, b.length, more); else c.deliver(b); },
        close: () => c.serverClosed(0),
        startTls: () => {
          c.serverTls = new TlsChannel({
            role: 'server', identity: '', seed: this.engine.seed, random: new Uint8Array(32).fill(7),
            lookupPsk: () => srv.tlsPsk,
          }, {
            sendRaw: (b) => c.deliver(b),
            established: (keys, rest) => { c.serverTlsUp(keys, rest); c.session?.tlsReady(c.serverTls!.identity); },
            failed: () => c.serverClosed(0),
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

/**
 * The submitter's side of the real block layer (kernel/block): bios into the NBD gendisk, and
 * what came back. `done` maps each bio to the errno it ended with.
 */
export class Blk {
  readonly done = new Map<Bio, number>();
  completions = 0;
  errors = 0;
  /** endIo calls of a bio already ended (must stay 0). */
  doubles = 0;
  onComplete: ((bio: Bio, errno: number) => void) | null = null;
  disk!: GenDisk;

  get capacity(): number {
    return this.disk.capacityBytes;
  }

  /** queue_rq answers BUSY (blk-mq's counter). */
  get busyAnswers(): number {
    return this.disk.queue.stats.busy.value;
  }

  private plug: BlkPlug | null = null;

  submit(op: ReqOp, offset: number, length: number, data: Uint8Array | null, flags = 0): Bio {
    const bio = new Bio().set(op, offset / 512, length, data, flags);
    bio.endIo = (b) => this.end(b);
    this.disk.submitBio(bio, 0, this.plug);
    return bio;
  }

  /** Submits what `fn` submits under one plug (blk_start_plug … blk_finish_plug): blk-mq hands it over as a batch. */
  plugged(fn: () => void): void {
    const p = this.disk.startPlug();
    this.plug = p;
    try { fn(); } finally { this.plug = null; this.disk.finishPlug(p); }
  }

  private end(b: Bio): void {
    if (this.done.has(b)) { this.doubles++; return; }
    this.completions++;
    if (b.status !== 0) this.errors++;
    this.done.set(b, b.status);
    this.onComplete?.(b, b.status);
  }
}

export interface Rig {
  engine: Engine;
  kernel: Kernel;
  net: FakeNet;
  blk: Blk;
  dev: NbdDevice;
}

export function config(over: Partial<NbdConfig>): NbdConfig {
  return { ...defaultNbdConfig(), ...over };
}

/** The driver on a real kernel (blk-mq, driver model, stats tree) over the in-test network. */
export function rig(seed: number, cfg: NbdConfig, servers: (net: FakeNet) => void, opts: { trace?: boolean; tags?: number; sndbuf?: number } = {}): Rig {
  const engine = new Engine({ seed, trace: opts.trace ?? true });
  const kernel = new Kernel(engine, 'client', createHostHardware(engine, 'client', { cores: 2 }));
  const net = new FakeNet(engine);
  if (opts.sndbuf !== undefined) net.sndbuf = opts.sndbuf;
  servers(net);
  const blk = new Blk();
  const { device, disk } = createNbd(kernel, 'nbd0', {
    config: cfg, sockets: net, queueDepth: opts.tags ?? 64,
  });
  blk.disk = disk;
  return { engine, kernel, net, blk, dev: device };
}
