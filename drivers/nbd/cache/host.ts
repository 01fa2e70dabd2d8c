import type { NbdCmd } from '../request.ts';

/** What the cache needs from the request path. */
export interface CacheHost {
  readonly canCache: boolean;
  readonly canFlush: boolean;
  readonly exportBytes: number;
  /** Continues a request the cache held (barrier, connection choice, send). */
  dispatch(r: NbdCmd): void;
  /** Completes a request without the server. */
  completeLocal(r: NbdCmd, errno: number): void;
  /** Sends one of the cache's own commands on internal slot `slot`; false when it cannot now. */
  submitInternal(slot: number, cmd: number, flags: number, offset: number, length: number, data: Uint8Array | null): boolean;
  dataOf(r: NbdCmd): Uint8Array | null;
}
