import type { Engine } from '../engine/engine.ts';
import { VirtualDisk, type VirtualDiskOptions } from './disk.ts';

/**
 * A shared volume: one dual-ported disk (think a SAS or NVMe-oF namespace) that several server
 * hosts reach, in its own power domain. A server host's crash is that host's loss only — the
 * replies it had not sent and the requests it had not handed over — while what the volume holds,
 * its volatile cache included, stays. A FLUSH through any port flushes the one cache. Only the
 * volume's own power loss drops the unflushed writes (and the requests inside it).
 */
export class SharedVolume {
  readonly disk: VirtualDisk;
  /** Hosts attached through a port, in order. */
  private readonly ports: string[] = [];
  powerLosses = 0;

  constructor(private readonly engine: Engine, opts: VirtualDiskOptions) {
    this.disk = new VirtualDisk(engine, opts);
  }

  get name(): string {
    return this.disk.name;
  }

  /** The hosts attached so far. */
  get attached(): readonly string[] {
    return this.ports;
  }

  /** Attaches a host through a port of its own; every port sees the same disk. */
  attach(host: string): VirtualDisk {
    if (this.ports.includes(host)) throw new Error(`volume '${this.name}': host '${host}' already attached`);
    this.ports.push(host);
    this.engine.trace.emit(this.name, 'volume.attach', { host, port: this.ports.length - 1 });
    return this.disk;
  }

  /** The volume loses power: its cache and the requests in it vanish; the media stays. */
  powerLoss(): void {
    this.powerLosses++;
    this.engine.trace.emit(this.name, 'volume.power_loss', { dirtyPages: this.disk.dirtyPages });
    this.disk.crash();
  }
}
