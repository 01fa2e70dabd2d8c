import type { Engine } from '../../../hw-sim/engine/index.ts';
import type { NbdConfig } from '../config/index.ts';
import { REQ_OP } from '../../../kernel/block/types.ts';
import { EPERM } from '../../../kernel/lib/errno.ts';
import { TlsChannel, type TlsCpu, type TlsSink } from './tls-channel.ts';

/**
 * Security policy of one device: whether connections must STARTTLS, the PSK and identity they
 * use, and the per-export permission checks applied to every request before it is sent.
 */
export class SecurityManager {
  /** STARTTLS policy: off without a PSK; with one, `required = false` goes on in the clear when refused. */
  readonly tlsMode: 'off' | 'prefer' | 'require';
  readonly identity: string;
  private readonly psk: Uint8Array | undefined;
  private readonly readOnly = new Set<string>();
  handshakes = 0;
  handshakeFailures = 0;
  denied = 0;
  /** Where the client's TLS handshake, sealing and opening is charged (set by who builds the device; none: counted only). */
  tlsCpu: TlsCpu | null = null;

  constructor(private readonly engine: Engine, private readonly host: string, cfg: NbdConfig) {
    this.identity = cfg.tls?.identity ?? '';
    this.psk = cfg.tls ? Buffer.from(cfg.tls.pskHex, 'hex') : undefined;
    this.tlsMode = !cfg.tls ? 'off' : cfg.tls.required ? 'require' : 'prefer';
    for (const e of cfg.exports) if (e.access === 'ro') this.readOnly.add(e.name);
  }

  /** A client TLS channel for one connection; its random comes from a named stream (never real randomness). */
  clientChannel(conn: number, sink: TlsSink): TlsChannel {
    if (!this.psk) throw new Error('security: no [nbd.tls] psk configured, cannot start TLS');
    const rng = this.engine.rng.get(`${this.host}/nbd/tls/conn${conn}`);
    const random = new Uint8Array(32);
    for (let i = 0; i < 32; i++) random[i] = rng.int(256);
    this.handshakes++;
    // The key schedule's CPU time passes before the handshake goes on.
    const after = (ns: number, fn: () => void): void => { this.engine.schedule(ns, fn, 'nbd.tls.handshake'); };
    return new TlsChannel({ role: 'client', identity: this.identity, psk: this.psk, seed: this.engine.seed, random, cpu: this.tlsCpu, after }, sink);
  }

  /**
   * Permission check per export: 0 when allowed, else the errno to fail with. A read-only
   * export (configured "ro" or advertised READ_ONLY) refuses anything that changes data.
   */
  check(exportName: string, op: number, serverReadOnly: boolean): number {
    const writes = op === REQ_OP.WRITE || op === REQ_OP.DISCARD || op === REQ_OP.WRITE_ZEROES;
    if (writes && (serverReadOnly || this.readOnly.has(exportName))) {
      this.denied++;
      return EPERM;
    }
    return 0;
  }
}
