import { devPrefix, indexedRows, intArg, tableOf } from './rows.ts';
import { MgmtUsageError, type MgmtCommand } from './types.ts';

const CONN_COLUMNS = ['index', 'server', 'state', 'outstanding', 'sent', 'replies', 'bytes_sent', 'bytes_received', 'reconnects', 'errors', 'tls', 'lat_p50_ns', 'lat_p99_ns', 'reason'];

export const connectionInfo: MgmtCommand = {
  name: 'nbd-connection-info',
  usage: 'nbd-connection-info [CONN]',
  summary: 'Connections of the device: state, in-flight requests, traffic, reconnects, latency.',
  run(ctx, args) {
    let rows = indexedRows(ctx, `${devPrefix(ctx)}/conn`, CONN_COLUMNS.slice(1));
    if (args[0] !== undefined) {
      const want = intArg(args[0], 'CONN', (w) => new MgmtUsageError(this.name, this.usage, w));
      rows = rows.filter((r) => r.index === want);
      if (rows.length === 0) throw new MgmtUsageError(this.name, this.usage, `no connection ${want}`);
    }
    const state = ctx.stats.read(`${devPrefix(ctx)}/state`) ?? null;
    return tableOf([this.name, ...args], `${ctx.device.opts.name} (${String(state)}): connections`, CONN_COLUMNS, rows, { device: ctx.device.opts.name, state, connections: rows });
  },
};

export const connectionReset: MgmtCommand = {
  name: 'nbd-connection-reset',
  usage: 'nbd-connection-reset [CONN]',
  summary: 'Drops a connection (or all) so it reconnects; a failed device tries again.',
  run(ctx, args) {
    const conn = args[0] === undefined ? undefined : intArg(args[0], 'CONN', (w) => new MgmtUsageError(this.name, this.usage, w));
    if (conn !== undefined && conn >= ctx.device.conns.slots.length) throw new MgmtUsageError(this.name, this.usage, `no connection ${conn}`);
    const before = ctx.device.state;
    ctx.device.resetConnection(conn);
    return { command: [this.name, ...args], title: `${ctx.device.opts.name}: reset ${conn ?? 'all connections'}`, data: { reset: conn ?? 'all', deviceStateBefore: before } };
  },
};

export const connectionRemove: MgmtCommand = {
  name: 'nbd-connection-remove',
  usage: 'nbd-connection-remove CONN',
  summary: 'Drains a connection (in-flight requests finish), sends NBD_CMD_DISC and closes it for good.',
  run(ctx, args) {
    const conn = intArg(args[0], 'CONN', (w) => new MgmtUsageError(this.name, this.usage, w));
    if (conn >= ctx.device.conns.slots.length) throw new MgmtUsageError(this.name, this.usage, `no connection ${conn}`);
    ctx.device.removeConnection(conn);
    return { command: [this.name, ...args], title: `${ctx.device.opts.name}: removing conn ${conn}`, data: { removed: conn } };
  },
};
