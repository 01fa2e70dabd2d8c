import { Subject } from 'rxjs';
import type { NbdCmd } from '../request.ts';

export interface CacheHit {
  t: number;
  offset: number;
  length: number;
  kind: 'read' | 'read-ahead';
}

export interface CacheDirty {
  t: number;
  dirtyBytes: number;
}

export interface CacheStats {
  mode: 'pass-through';
  readHits: number;
  readMisses: number;
  readAheadHits: number;
  dirtyBytes: number;
  writeBackBytes: number;
  capacityBytes: number;
  readAheadBytes: number;
  flushes: number;
}

/**
 * The local cache of the device. This wave passes every request through (no hit ever, nothing
 * dirty) but sits on the real request path, so read, read-ahead and write-back caches drop in.
 */
export class CacheManager {
  readonly hits$ = new Subject<CacheHit>();
  readonly dirty$ = new Subject<CacheDirty>();
  private readMisses = 0;
  private flushes = 0;

  constructor(
    readonly capacityBytes: number,
    readonly readAheadBytes: number,
    readonly writeBackBytes: number,
  ) {}

  /** Serves a READ locally when it can; answers true if it did (never, when pass-through). */
  tryRead(_r: NbdCmd): boolean {
    this.readMisses++;
    return false;
  }

  /** A WRITE is about to go out; a write-back cache would absorb it and answer true. */
  absorbWrite(_r: NbdCmd): boolean {
    return false;
  }

  /** Reply data of a READ arrived; a read cache would keep it. */
  fill(_r: NbdCmd): void {}

  /** Writes dirty data back; answers the bytes written (0: nothing is ever dirty). */
  flush(now: number): number {
    this.flushes++;
    this.dirty$.next({ t: now, dirtyBytes: 0 });
    return 0;
  }

  stats(): CacheStats {
    return {
      mode: 'pass-through', readHits: 0, readMisses: this.readMisses, readAheadHits: 0, dirtyBytes: 0,
      writeBackBytes: this.writeBackBytes, capacityBytes: this.capacityBytes, readAheadBytes: this.readAheadBytes,
      flushes: this.flushes,
    };
  }
}
