import { DEFAULT_CPU_COSTS } from '../../../hw-sim/cpu/costs.ts';

/** AES-GCM per byte when no cost table is given (the default table's). */
export const TLS_NS_PER_BYTE = DEFAULT_CPU_COSTS.aesGcmNsPerByte;

/** Where the record layer's CPU work is charged: the AES-GCM cost per byte and the core that pays it. */
export interface TlsCpu {
  readonly nsPerByte: number;
  charge(ns: number): void;
}

/** The stream below the layer: a TCP socket's send side. */
export interface TlsLower {
  send(data: Uint8Array, off: number, len: number, more: boolean): number;
  /** Room in its send buffer, bytes. */
  readonly writable: number;
  setCork(on: boolean): void;
  /** The layer waits for room: report write space when acknowledgements free some (SOCK_NOSPACE). */
  wantWritable(): void;
  /** Trace context: the bytes sent from now on are block request `rid`'s (never on the wire). */
  markRequest?(rid: number): void;
}

/** The socket's owner, as the layer reaches it. */
export interface TlsUpper {
  /** Opened application data, in order, once its opening CPU time has passed. */
  data(plain: Uint8Array): void;
  /** A send that was short (or a zero `writable`) has room again. */
  writable(): void;
  /** A received record failed (bad tag, alert, oversize): the connection is unusable (EBADMSG). */
  error(reason: string): void;
}
