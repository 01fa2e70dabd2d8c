import { Engine } from '../../hw-sim/engine/engine.ts';
import type { CpuCosts } from '../../hw-sim/cpu/costs.ts';
import { Fabric } from '../../hw-sim/net/fabric.ts';
import { validateMachineConfig, type MachineConfig } from './config.ts';
import { buildHost, type Host } from './host.ts';

/** A built machine: the engine, the fabric and every host, by name. */
export interface Machine {
  readonly engine: Engine;
  readonly fabric: Fabric;
  readonly hosts: ReadonlyMap<string, Host>;
  readonly client: Host | undefined;
  readonly servers: readonly Host[];
  host(name: string): Host;
}

export interface BuildOptions {
  /** Use this engine (default: a new one from `seed`). */
  engine?: Engine;
  seed?: number | string;
  trace?: boolean;
  /** CPU cost table of every host (default: DEFAULT_CPU_COSTS). */
  costs?: CpuCosts;
  /** Called once per host after it is built and cabled (attach disks, start programs). */
  afterHost?: (host: Host) => void;
}

/** Builds every host of `cfg` and cables it to one switch. Validates first. */
export function buildMachine(cfg: MachineConfig, opts: BuildOptions = {}): Machine {
  validateMachineConfig(cfg);
  const engine = opts.engine ?? new Engine({ seed: opts.seed ?? 1, trace: opts.trace ?? true });
  const fabric = new Fabric(engine, cfg.fabric);
  const hosts = new Map<string, Host>();
  for (const hc of cfg.hosts) {
    const h = buildHost(engine, fabric, hc, opts.costs);
    hosts.set(h.name, h);
    if (opts.afterHost) opts.afterHost(h);
  }
  const all = [...hosts.values()];
  return {
    engine,
    fabric,
    hosts,
    client: all.find((h) => h.role === 'client'),
    servers: all.filter((h) => h.role === 'server'),
    host(name: string): Host {
      const h = hosts.get(name);
      if (!h) throw new Error(`machine: no host '${name}' (hosts: ${[...hosts.keys()].join(', ')})`);
      return h;
    },
  };
}
