/**
 * Management commands at the current point of a run, read from the running driver and the
 * client kernel's stats tree. The runner's own dispatch until the driver's management module
 * (drivers/nbd/mgmt) exists; every one of the spec's 13 commands answers.
 */
import type { Kernel } from '../../kernel/core/kernel.ts';
import type { NbdDevice } from '../../drivers/nbd/device.ts';
import type { LbPolicy } from '../../drivers/nbd/managers/load-balancer.ts';
import type { MgmtOutput } from './types.ts';

type Cell = string | number | boolean | null;

export const MGMT_COMMANDS = [
  'nbd-connection-info', 'nbd-connection-reset', 'nbd-connection-remove', 'nbd-server-info', 'nbd-server-add',
  'nbd-server-remove', 'nbd-cache-info', 'nbd-cache-flush', 'nbd-cache-stats', 'nbd-performance-stats',
  'nbd-network-stats', 'nbd-load-balancer-info', 'nbd-load-balancer-config',
] as const;

function statsTable(command: readonly string[], snap: Record<string, string | number | boolean>): MgmtOutput {
  return { command, data: snap, table: { columns: ['key', 'value'], rows: Object.entries(snap).map(([k, v]) => [k, v]) } };
}

function intArg(argv: readonly string[], i: number, what: string): number {
  const v = argv[i];
  if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${argv[0]}: ${what} must be a connection number, got '${v ?? ''}'`);
  return Number(v);
}

export function runMgmtCommand(dev: NbdDevice, kernel: Kernel, argv: readonly string[]): MgmtOutput {
  const cmd = argv[0] ?? '';
  const name = dev.opts.name;
  switch (cmd) {
    case 'nbd-connection-info': {
      const rows: Cell[][] = dev.conns.slots.map((c) => [
        c.index, dev.conns.servers[c.server]?.cfg.name ?? String(c.server), c.phase, c.outstanding, c.requestsSent, c.repliesReceived, c.reconnects, c.errors, c.lastReason,
      ]);
      const columns = ['conn', 'server', 'state', 'outstanding', 'sent', 'replies', 'reconnects', 'errors', 'last reason'];
      return { command: argv, data: { device: name, state: dev.state, connections: rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))) }, table: { columns, rows } };
    }
    case 'nbd-connection-reset': {
      const conn = argv[1] === undefined ? undefined : intArg(argv, 1, 'conn');
      dev.resetConnection(conn);
      return { command: argv, data: { reset: conn ?? 'all' } };
    }
    case 'nbd-connection-remove': {
      const conn = intArg(argv, 1, 'conn');
      dev.removeConnection(conn);
      return { command: argv, data: { removed: conn } };
    }
    case 'nbd-server-info': {
      const columns = ['server', 'port', 'export', 'multi-conn', 'connections', 'removed'];
      const rows: Cell[][] = dev.conns.servers.map((s) => [s.cfg.name, s.cfg.port, s.cfg.export, s.multiConn ?? null, s.conns.length, s.removed]);
      return { command: argv, data: rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))), table: { columns, rows } };
    }
    case 'nbd-server-add': {
      const server = argv[1];
      if (!server) throw new Error('nbd-server-add: usage: nbd-server-add NAME [PORT] [EXPORT]');
      const port = argv[2] === undefined ? 10809 : Number(argv[2]);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`nbd-server-add: port must be 1..65535, got '${argv[2]}'`);
      dev.addServer({ name: server, address: undefined, port, export: argv[3] ?? dev.info?.name ?? '' });
      return { command: argv, data: { added: server, port } };
    }
    case 'nbd-server-remove': {
      const server = argv[1];
      if (!server) throw new Error('nbd-server-remove: usage: nbd-server-remove NAME');
      dev.removeServer(server);
      return { command: argv, data: { removed: server } };
    }
    case 'nbd-cache-info':
    case 'nbd-cache-stats':
      return statsTable(argv, kernel.stats.snapshot(`block/${name}/cache`));
    case 'nbd-cache-flush':
      return { command: argv, data: { flushed: 0, note: 'pass-through cache: nothing dirty' } };
    case 'nbd-performance-stats':
      return statsTable(argv, kernel.stats.snapshot(`block/${name}/perf`));
    case 'nbd-network-stats':
      return statsTable(argv, { ...kernel.stats.snapshot(`block/${name}/net`), ...kernel.stats.snapshot('net/tcp/') });
    case 'nbd-load-balancer-info':
      return statsTable(argv, kernel.stats.snapshot(`block/${name}/lb`));
    case 'nbd-load-balancer-config': {
      const p = argv[1];
      if (!p) throw new Error('nbd-load-balancer-config: usage: nbd-load-balancer-config POLICY');
      dev.setPolicy(p as LbPolicy);
      return { command: argv, data: { policy: p } };
    }
    default:
      throw new Error(`unknown management command '${cmd}' (one of: ${MGMT_COMMANDS.join(', ')})`);
  }
}
