import type { Actor } from 'xstate';
import { createSimActor, NS_PER_MS, type Engine } from '../../../hw-sim/engine/index.ts';
import type { NbdConfig, NbdServerConfig } from '../config/index.ts';
import { connectionMachine } from '../machines/connection-machine.ts';
import { handshakeActor, type HandshakeOutcome } from '../machines/handshake-actor.ts';
import type { SocketFactory } from '../socket.ts';
import { engineNetClock, type NetClock } from '../../../kernel/net/clock.ts';
import type { ExportInfo } from '../protocol-port.ts';
import type { SecurityManager } from '../security/security-manager.ts';
import { ConnectionSlot, type ConnPhase } from './connection-slot.ts';
import type { NetworkManager } from './network-manager.ts';
import type { ProtocolManager } from './protocol-manager.ts';

/** What the pool tells its owner (the driver) about connections. */
export interface ConnectionOwner {
  /** A connection entered transmission. */
  up(slot: ConnectionSlot): void;
  /** A connection lost its socket: what was in flight on it must go elsewhere. */
  lost(slot: ConnectionSlot, reason: string): void;
  /** Handshake done; answers a refusal reason ('' to accept), e.g. an export size mismatch. */
  negotiated(slot: ConnectionSlot, info: ExportInfo): string;
  /** The server refused us (policy, TLS, unknown export): retrying will not help. */
  refused(slot: ConnectionSlot, reason: string, errno: number): void;
  /** The handshake broke without a refusal (malformed reply, server hung up): a protocol fault, retried. */
  handshakeBroken(slot: ConnectionSlot, reason: string): void;
  /** The device asks for checksums and this slot's server granted them on an earlier connection. */
  checksumExpected(slot: ConnectionSlot): boolean;
  /** Decoded reply traffic of a connection in transmission. */
  bindReplies(slot: ConnectionSlot, info: ExportInfo): void;
  /** A draining connection is closing (send DISC). */
  closing(slot: ConnectionSlot): void;
  /** Phases changed (for the device statechart's live count). */
  changed(): void;
  /** A connection entered a new phase. */
  phaseChanged(slot: ConnectionSlot): void;
}

export interface ServerState {
  readonly index: number;
  readonly cfg: NbdServerConfig;
  /** CAN_MULTI_CONN as advertised; undefined before the first handshake. */
  multiConn: boolean | undefined;
  removed: boolean;
  conns: number[];
}

/**
 * The pool: `connection_pool_size` connections per server (one until the server advertises
 * CAN_MULTI_CONN), never more than `connection_max_count` in all, each a connection statechart.
 */
export class ConnectionManager {
  readonly slots: ConnectionSlot[] = [];
  readonly servers: ServerState[] = [];
  private readonly actors: Array<Actor<typeof connectionMachine> | null> = [];
  /** Servers whose first handshake is under way: the pool grows once it tells CAN_MULTI_CONN. */
  private readonly growAfterFirst = new Set<ServerState>();
  /** Where the sockets' kernel TLS waits for its CPU time. */
  private readonly tlsClock: NetClock;

  constructor(
    private readonly engine: Engine,
    private readonly device: string,
    private readonly cfg: NbdConfig,
    private readonly sockets: SocketFactory,
    private readonly protocol: ProtocolManager,
    private readonly network: NetworkManager,
    private readonly security: SecurityManager,
    private readonly owner: ConnectionOwner,
  ) {
    this.tlsClock = engineNetClock(engine);
  }

  /** Connections the pool aims to keep in transmission. */
  get wanted(): number {
    let n = 0;
    for (const s of this.servers) if (!s.removed) n += this.targetFor(s);
    return Math.min(n, this.cfg.connectionMaxCount);
  }

  get live(): number {
    let n = 0;
    for (const c of this.slots) if (c.usable) n++;
    return n;
  }

  addServer(cfg: NbdServerConfig): ServerState {
    if (this.servers.filter((s) => !s.removed).length >= this.cfg.serverMaxCount) {
      throw new RangeError(`${this.device}: server_max_count (${this.cfg.serverMaxCount}) reached, cannot add '${cfg.name}'`);
    }
    if (this.servers.some((s) => !s.removed && s.cfg.name === cfg.name)) throw new Error(`${this.device}: server '${cfg.name}' already attached`);
    const s: ServerState = { index: this.servers.length, cfg, multiConn: undefined, removed: false, conns: [] };
    this.servers.push(s);
    this.grow(s);
    return s;
  }

  /** Drains and closes every connection of a server. */
  removeServer(name: string): ServerState {
    const s = this.servers.find((x) => !x.removed && x.cfg.name === name);
    if (!s) throw new Error(`${this.device}: no server named '${name}'`);
    s.removed = true;
    for (const i of s.conns) this.actors[i]?.send({ type: 'DRAIN' });
    return s;
  }

  /** Opens connections for a server up to its target, within connection_max_count. */
  grow(s: ServerState): void {
    const target = this.targetFor(s);
    while (s.conns.filter((i) => this.slots[i]!.phase !== 'closed').length < target && this.openCount() < this.cfg.connectionMaxCount) {
      this.open(s);
    }
  }

  /** Sends a lifecycle event to one connection's statechart. */
  send(conn: number, ev: Parameters<Actor<typeof connectionMachine>['send']>[0]): void {
    const a = this.actors[conn];
    if (!a) throw new RangeError(`${this.device}: no connection ${conn}`);
    a.send(ev);
  }

  /** Revives dead connections (health check, reset). */
  reviveDead(): number {
    let n = 0;
    for (const c of this.slots) if (c.phase === 'dead' && !this.servers[c.server]!.removed) { this.actors[c.index]!.send({ type: 'REVIVE' }); n++; }
    return n;
  }

  /**
   * Whether nothing dials a server now: none of its connections is usable or even trying —
   * 'given-up' when one ran out of reconnect attempts, 'refused' when the server (or the device:
   * another backend, a size mismatch) refused them. The next health check dials them again.
   */
  stopped(s: ServerState): 'given-up' | 'refused' | null {
    let dead = false;
    let gaveUp = false;
    for (const i of s.conns) {
      const c = this.slots[i]!;
      const p = c.phase;
      if (p === 'dead') { dead = true; gaveUp ||= c.givenUp; } else if (p !== 'closed') return null;
    }
    if (!dead || s.removed) return null;
    return gaveUp ? 'given-up' : 'refused';
  }

  /** Opens fresh connections up to each server's target (after a failure closed them all). */
  reopen(): void {
    for (const s of this.servers) if (!s.removed) this.grow(s);
  }

  stopAll(): void {
    for (const a of this.actors) a?.send({ type: 'DRAIN' });
  }

  killAll(reason: string): void {
    for (const a of this.actors) a?.send({ type: 'KILL', reason });
  }

  private targetFor(s: ServerState): number {
    if (!this.cfg.connectionPooling) return 1;
    return s.multiConn === true ? this.cfg.connectionPoolSize : 1;
  }

  private openCount(): number {
    let n = 0;
    for (const c of this.slots) if (c.phase !== 'closed') n++;
    return n;
  }

  private open(s: ServerState): void {
    const slot = new ConnectionSlot(this.slots.length, s.index);
    this.slots.push(slot);
    s.conns.push(slot.index);
    const actor = createSimActor(this.engine, this.machineFor(slot, s), {
      name: `${this.device}/conn${slot.index}`,
      input: {
        rng: this.engine.rng.get(`${this.device}/conn${slot.index}/reconnect`),
        retryCount: this.cfg.connectionRetryCount,
        timeoutMs: this.cfg.connectionTimeoutNs / NS_PER_MS,
        backoffBaseMs: this.cfg.reconnect.baseNs / NS_PER_MS,
        backoffCapMs: this.cfg.reconnect.capNs / NS_PER_MS,
        jitter: this.cfg.reconnect.jitter,
      },
    });
    slot.actor = actor;
    this.actors.push(actor);
    // Observes the chart (it is the only record of the phase) and reports each new phase.
    let seen: ConnPhase = 'idle';
    actor.subscribe(() => {
      const phase = slot.phase;
      if (phase === seen) return;
      seen = phase;
      if (phase === 'transmission') {
        slot.upSince = this.engine.now;
        this.owner.up(slot);
        // The first handshake with a server told whether it takes several connections.
        if (this.growAfterFirst.delete(s)) this.grow(s);
      }
      if (phase === 'backoff') slot.reconnects++;
      if (phase !== 'dead') slot.givenUp = false;
      this.owner.phaseChanged(slot);
    });
    actor.start();
    actor.send({ type: 'START' });
  }

  /** The connection chart with this connection's side effects provided. */
  private machineFor(slot: ConnectionSlot, s: ServerState): typeof connectionMachine {
    return connectionMachine.provide({
      actors: { handshake: handshakeActor((outcome) => this.startHandshake(slot, s, outcome)) },
      actions: {
        openSocket: () => this.openSocket(slot, s),
        beginTransmission: (_, info) => {
          if (s.multiConn === undefined) this.growAfterFirst.add(s);
          s.multiConn = info.canMultiConn;
          this.owner.bindReplies(slot, info);
        },
        beginDrain: () => {
          if (slot.outstanding > 0) return; // the last reply sends DRAINED
          this.engine.schedule(0, () => { if (slot.phase === 'draining') this.actors[slot.index]!.send({ type: 'DRAINED' }); }, 'nbd.drained');
        },
        abandon: ({ context }) => {
          slot.incarnation++;
          slot.lastReason = context.reason;
          const sock = slot.socket;
          slot.socket = null;
          slot.tls = null;
          this.protocol.drop(slot);
          this.network.reset(slot);
          sock?.reset();
          this.owner.lost(slot, context.reason);
        },
        closeInOrder: () => {
          this.owner.closing(slot);
          slot.incarnation++;
          const sock = slot.socket;
          slot.socket = null;
          this.protocol.drop(slot);
          this.network.reset(slot);
          sock?.close();
        },
        refused: (_, r) => this.owner.refused(slot, r.reason, r.errno),
        gaveUp: ({ context }) => {
          slot.givenUp = true;
          slot.lastReason = `given up: ${context.retryCount} reconnect attempt${context.retryCount === 1 ? '' : 's'} (connection_retry_count) failed, the last: ${context.reason}`;
        },
      },
    });
  }

  private openSocket(slot: ConnectionSlot, s: ServerState): void {
    const inc = ++slot.incarnation;
    const host = s.cfg.address ?? s.cfg.name;
    const actor = (): Actor<typeof connectionMachine> => this.actors[slot.index]!;
    slot.socket = this.sockets.connect(host, s.cfg.port, {
      onConnect: () => { if (slot.incarnation === inc) actor().send({ type: 'SOCKET_UP' }); },
      onData: (bytes) => {
        if (slot.incarnation !== inc) return;
        slot.lastRxAt = this.engine.now;
        // The handshake keeps what it is given: it gets a copy of the transient view. Once open,
        // the socket's TLS layer hands up plaintext.
        if (slot.tls && !slot.tls.open) slot.tls.feed(bytes.slice());
        else this.protocol.received(slot, bytes);
      },
      onWritable: () => { if (slot.incarnation === inc) this.network.writable(slot); },
      onClose: (errno) => {
        if (slot.incarnation === inc) slot.handshake?.eof();
        if (slot.incarnation === inc) actor().send({ type: 'SOCKET_DOWN', reason: errno === 0 ? 'server closed the connection' : `socket error errno ${errno}` });
      },
    });
  }

  /**
   * Runs the protocol handshake for the chart's invoked handshake actor: its end (negotiated,
   * or refused by the server, by TLS or by the device) goes to `outcome`, once.
   */
  private startHandshake(slot: ConnectionSlot, s: ServerState, outcome: HandshakeOutcome): void {
    const actor = this.actors[slot.index]!;
    const inc = slot.incarnation;
    const live = (): boolean => slot.incarnation === inc;
    this.protocol.startHandshake(slot, s.cfg.export, this.security.tlsMode, {
      send: (bytes) => { if (live()) this.network.sendControl(slot, bytes); },
      startTls: () => {
        if (!live()) return;
        actor.send({ type: 'TLS_START' });
        slot.tls = this.security.clientChannel(slot.index, {
          sendRaw: (b) => { if (live()) this.network.sendControl(slot, b); },
          established: (keys, rest) => {
            if (!live()) return;
            // The record layer goes into the kernel: TLS_TX / TLS_RX on the connection's socket.
            slot.socket?.setTls(keys, rest, { clock: this.tlsClock, cpu: this.security.tlsCpu, bugs: this.engine.bugs });
            actor.send({ type: 'TLS_DONE' });
            slot.handshake?.tlsEstablished();
          },
          failed: (reason) => {
            if (!live()) return;
            this.security.handshakeFailures++;
            outcome.failed(reason, 13);
          },
        });
        slot.tls.start();
      },
      ready: (info) => {
        if (!live()) return;
        // A server that granted checksums before and not now: its negotiation was damaged before the grant sealed it.
        if (!info.checksum && this.owner.checksumExpected(slot)) return this.owner.handshakeBroken(slot, `conn${slot.index}: checksums not granted this time`);
        const refusal = this.owner.negotiated(slot, info);
        if (refusal !== '') outcome.failed(refusal, 5);
        else outcome.ready(info);
      },
      failed: (reason, errno, transient, unsealed) => {
        if (!live()) return;
        if (transient || (unsealed && this.owner.checksumExpected(slot))) this.owner.handshakeBroken(slot, reason);
        else outcome.failed(reason, errno);
      },
    });
  }}
