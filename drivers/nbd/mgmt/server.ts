import { devPrefix, indexedRows, intArg, tableOf } from './rows.ts';
import { MgmtUsageError, type MgmtCommand } from './types.ts';

const SERVER_COLUMNS = [
  'index', 'name', 'address', 'port', 'export', 'role', 'health', 'down_reason', 'redial_at', 'probes', 'probe_failures', 'probe_rtt_ns', 'carrying', 'backend', 'multi_conn', 'connections', 'live', 'completed', 'lat_p50_ns', 'lat_p99_ns', 'removed',
  'sync', 'dirty_regions', 'resync_pct', 'resynced_bytes', 'dropouts',
];

export const serverInfo: MgmtCommand = {
  name: 'nbd-server-info',
  usage: 'nbd-server-info',
  summary: 'Servers of the device: address, export, role (primary/backup), health (up, unhealthy by the health probe, down: no usable connection, given-up / refused: none even trying, out of reconnect attempts / refused by the server or for another backend), why it is down, when a given-up or refused server is dialled again (the next health check), probes sent, failed and the last round trip, whether it carries I/O now, backend, multi-conn, live connections, latency; on a mirror device each replica\'s sync state (in-sync, out-of-sync, resyncing), dirty regions, resync progress and bytes copied, drop-outs.',
  run(ctx, args) {
    const rows = indexedRows(ctx, `${devPrefix(ctx)}/server`, SERVER_COLUMNS.slice(1));
    return tableOf([this.name, ...args], `${ctx.device.opts.name}: servers`, SERVER_COLUMNS, rows);
  },
};

export const serverAdd: MgmtCommand = {
  name: 'nbd-server-add',
  usage: 'nbd-server-add NAME [PORT] [EXPORT] [ADDRESS] [BACKEND]',
  summary: 'Attaches another server; its connections open at once (failover and load balancing use it). ADDRESS - is the default (NAME); a BACKEND other than the device\'s is refused.',
  run(ctx, args) {
    const fail = (w: string): Error => new MgmtUsageError(this.name, this.usage, w);
    const name = args[0];
    if (!name) throw fail('NAME is required');
    const port = args[1] === undefined ? 10809 : intArg(args[1], 'PORT', fail);
    if (port < 1 || port > 65535) throw fail(`PORT must be 1..65535, got ${port}`);
    const exportName = args[2] ?? ctx.device.info?.name ?? '';
    try {
      ctx.device.addServer({ name, address: args[3] === '-' ? undefined : args[3], port, export: exportName, backend: args[4] });
    } catch (e) {
      throw fail((e as Error).message);
    }
    return { command: [this.name, ...args], title: `${ctx.device.opts.name}: added server ${name}`, data: { added: name, port, export: exportName, backend: args[4] ?? ctx.device.backends.backend ?? null } };
  },
};

export const serverRemove: MgmtCommand = {
  name: 'nbd-server-remove',
  usage: 'nbd-server-remove NAME',
  summary: 'Drains and closes every connection of a server.',
  run(ctx, args) {
    const name = args[0];
    if (!name) throw new MgmtUsageError(this.name, this.usage, 'NAME is required');
    try {
      ctx.device.removeServer(name);
    } catch (e) {
      throw new MgmtUsageError(this.name, this.usage, (e as Error).message);
    }
    return { command: [this.name, ...args], title: `${ctx.device.opts.name}: removing server ${name}`, data: { removed: name } };
  },
};
