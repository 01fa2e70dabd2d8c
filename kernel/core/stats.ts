/**
 * The stats tree: a sysfs-like namespace where every counter of every subsystem and driver is
 * addressable by a slash path (`block/nbd0/inflight`). Management commands and exporters read
 * only from here.
 *
 * Three kinds of node: a Counter (a mutable cell the owner bumps on its hot path: `c.value++`),
 * a gauge (a function read on demand) and a provider (a subtree whose leaves are computed on
 * demand, e.g. histogram percentiles).
 */

/** Numbers for counters and gauges; strings for names (scheduler, state); booleans for flags. */
export type StatValue = number | string | boolean;

/** A mutable numeric cell. Bumping it costs one property write. */
export class Counter {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

/** A computed subtree: leaf names relative to its mount path. */
export interface StatsProvider {
  list(): string[];
  read(leaf: string): StatValue | undefined;
}

type Leaf = Counter | (() => StatValue);

function checkPath(path: string): string {
  if (path.length === 0 || path.startsWith('/') || path.endsWith('/') || path.includes('//')) {
    throw new Error(`stats: bad path '${path}' (want segments joined by '/', no leading or trailing '/')`);
  }
  return path;
}

export class StatsTree {
  private readonly leaves = new Map<string, Leaf>();
  private readonly providers = new Map<string, StatsProvider>();

  /** Registers (or returns the existing) counter at `path`. */
  counter(path: string): Counter {
    const old = this.leaves.get(path);
    if (old instanceof Counter) return old;
    if (old) throw new Error(`stats: '${path}' is already a gauge`);
    const c = new Counter();
    this.leaves.set(checkPath(path), c);
    return c;
  }

  /** Registers a gauge read on demand; replaces an earlier gauge at the same path. */
  gauge(path: string, read: () => StatValue): void {
    if (this.leaves.get(path) instanceof Counter) throw new Error(`stats: '${path}' is already a counter`);
    this.leaves.set(checkPath(path), read);
  }

  /** Mounts a computed subtree at `prefix`. */
  provider(prefix: string, p: StatsProvider): void {
    this.providers.set(checkPath(prefix), p);
  }

  /** Removes every node at or under `prefix` (a device going away). */
  remove(prefix: string): void {
    for (const k of [...this.leaves.keys()]) if (under(k, prefix)) this.leaves.delete(k);
    for (const k of [...this.providers.keys()]) if (under(k, prefix)) this.providers.delete(k);
  }

  /** Value at `path`, or undefined when nothing is registered there. */
  read(path: string): StatValue | undefined {
    const leaf = this.leaves.get(path);
    if (leaf) return leaf instanceof Counter ? leaf.value : leaf();
    for (const [prefix, p] of this.providers) {
      if (path.startsWith(prefix + '/')) {
        const v = p.read(path.slice(prefix.length + 1));
        if (v !== undefined) return v;
      }
    }
    return undefined;
  }

  /** Numeric value at `path`; throws naming the path when it is missing or not a number. */
  num(path: string): number {
    const v = this.read(path);
    if (typeof v !== 'number') throw new Error(`stats: no numeric value at '${path}' (got ${String(v)})`);
    return v;
  }

  /** Every leaf path at or under `prefix` ('' for all), sorted. */
  list(prefix = ''): string[] {
    const out: string[] = [];
    for (const k of this.leaves.keys()) if (prefix === '' || under(k, prefix)) out.push(k);
    for (const [mount, p] of this.providers) {
      for (const leaf of p.list()) {
        const k = `${mount}/${leaf}`;
        if (prefix === '' || under(k, prefix)) out.push(k);
      }
    }
    return out.sort();
  }

  /** Path → value for every leaf at or under `prefix`. */
  snapshot(prefix = ''): Record<string, StatValue> {
    const out: Record<string, StatValue> = {};
    for (const k of this.list(prefix)) {
      const v = this.read(k);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
}

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + '/');
}
