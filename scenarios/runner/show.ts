/**
 * What the stepper's `show` prints: the full state of a paused run as plain JSON
 * (`snapshotWorld`, for `show --json`) and as a few small tables for people (`viewWorld`):
 * statecharts, blk-mq hardware queues, NBD commands in flight by cookie, NIC rings, TCP windows.
 */
import { formatNs } from '../../hw-sim/engine/time.ts';
import { RqState, type NbdCmd } from '../../drivers/nbd/request.ts';
import { NBD_CMD_NAMES } from '../../drivers/nbd/protocol/uapi.ts';
import { REQ_OP_NAMES } from '../../kernel/block/types.ts';
import type { ShowSection } from './types.ts';
import type { World } from './world.ts';

/** The state of every statechart: traced states, with the driver's own actors read directly. */
export function statechartsOf(w: World, traced: ReadonlyMap<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, v] of traced) out.set(name, stateText(v));
  const dev = w.nbd?.device;
  if (!dev) return sortedByName(out);
  out.set(dev.opts.name, stateText(dev.actor.getSnapshot().value));
  // A connection's phase mirrors its statechart's top-level state; keep the traced (nested) value when it agrees.
  for (const slot of dev.conns.slots) {
    const name = `${dev.opts.name}/conn${slot.index}`;
    const seen = out.get(name);
    if (seen === undefined || seen.split('.')[0] !== slot.phase) out.set(name, slot.phase);
  }
  return sortedByName(out);
}

function sortedByName(m: Map<string, string>): Map<string, string> {
  return new Map([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `"ready"`, or a nested value `{ handshake: "options" }` as `handshake.options`. */
export function stateText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') {
    const [k, inner] = Object.entries(v)[0] ?? [];
    if (k !== undefined) return inner === undefined || (typeof inner === 'object' && inner !== null && Object.keys(inner).length === 0) ? k : `${k}.${stateText(inner)}`;
  }
  return String(v);
}

/** Everything `show --json` prints, as plain JSON data. */
export function snapshotWorld(w: World, traced: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const dev = w.nbd?.device;
  const k = w.client.kernel;
  const nics: Record<string, unknown> = {};
  for (const [name, h] of w.machine.hosts) {
    nics[name] = { tx: { ...h.nic.stats.tx, ringFree: h.nic.txRingFree }, rx: { ...h.nic.stats.rx, ringFree: h.nic.rxFree, ready: h.nic.rxReady } };
  }
  const tcp: Record<string, unknown> = {};
  for (const [name, h] of w.machine.hosts) {
    for (const s of h.net.connections()) {
      const i = s.info();
      tcp[`${name} ${s.label}`] = { state: i.state, cwnd: i.cwnd, sndWnd: i.sndWnd, rcvWnd: i.rcvWnd, inFlight: i.inFlight, unsent: i.unsent, srttNs: i.srttNs };
    }
  }
  return {
    time: w.engine.now,
    statecharts: Object.fromEntries(statechartsOf(w, traced)),
    device: dev ? { name: dev.opts.name, state: dev.state, reason: dev.failureReason } : null,
    blk: k.stats.snapshot('block'),
    nbdInflight: inflightOf(w).map(scalarFields),
    nics,
    tcp,
  };
}

/** The number and string fields of a record (cookie, cmd, offset, conn, stage times ...), whatever the driver keeps. */
function scalarFields(r: object): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === 'number' || typeof v === 'string') out[k] = v;
  return out;
}

/** Commands of blk-mq requests in flight (io.cmds holds only PDUs: `rq` is set). */
function inflightOf(w: World): NbdCmd[] {
  return w.nbd ? w.nbd.device.io.cmds.filter((r) => r.state !== RqState.FREE) : [];
}

const RQ_STATE_NAMES: Readonly<Record<number, string>> = { [RqState.QUEUED]: 'queued', [RqState.SENT]: 'sent', [RqState.REQUEUED]: 'requeued' };

/** `show`: one small table per section, in the order a request travels (statecharts first). */
export function viewWorld(w: World, traced: ReadonlyMap<string, unknown>): ShowSection[] {
  const now = w.engine.now;
  const dev = w.nbd?.device;
  const devName = dev ? dev.opts.name : 'no NBD device';
  const charts = [...statechartsOf(w, traced)].map(([name, state]) => [name, state]);
  const k = w.client.kernel;
  const hctxRows: (string | number)[][] = [];
  const diskRows: (string | number)[][] = [];
  for (const name of k.block.listDisks()) {
    const q = k.block.disk(name)!.queue;
    diskRows.push([name, q.inflight, q.queued]);
    for (const h of q.hctxs) hctxRows.push([name, h.index, h.depth, h.tagsInUse, h.dispatched, h.waiters.length, h.inflight]);
  }
  const cmds = inflightOf(w).sort((a, b) => a.tQueued - b.tQueued || a.rq!.tag - b.rq!.tag).map((r) => {
    // Not sent yet: no cookie, and the command is still the block op's.
    const unsent = r.sends === 0;
    return [
      unsent ? '-' : `0x${r.cookie.toString(16).padStart(16, '0')}`, unsent ? `(${REQ_OP_NAMES[r.rq!.op]})` : cmdName(r.type),
      r.offset, r.length, r.conn < 0 ? '-' : r.conn, RQ_STATE_NAMES[r.state] ?? String(r.state), formatNs(now - r.tQueued),
    ];
  });
  const nicRows: (string | number)[][] = [];
  for (const [name, h] of w.machine.hosts) {
    const s = h.nic.stats;
    nicRows.push([name, h.nic.txRingFree, s.tx.packets, s.tx.drops, h.nic.rxFree, s.rx.packets, s.rx.drops + s.rx.overruns]);
  }
  const tcpRows: (string | number)[][] = [];
  for (const [name, h] of w.machine.hosts) {
    for (const s of h.net.connections()) {
      const i = s.info();
      tcpRows.push([name, s.label, i.state, i.cwnd, i.sndWnd, i.rcvWnd, i.inFlight, i.srttNs > 0 ? formatNs(i.srttNs) : '-']);
    }
  }
  const failed = dev?.state === 'failed' ? ` (failed: ${dev.failureReason})` : '';
  return [
    { name: 'statecharts', raw: 'statecharts', title: dev ? `statecharts — device ${devName} ${dev.state}${failed}` : 'statecharts — no NBD device', table: { columns: ['machine', 'state'], rows: charts } },
    {
      name: 'blk', raw: 'blk', title: `blk-mq — in flight: ${diskRows.map(([d, n, q]) => `${d} ${n} (${q} queued)`).join(', ') || 'no disks'}`,
      table: { columns: ['disk', 'hctx', 'depth', 'tags', 'dispatched', 'waiting', 'inflight'], rows: hctxRows },
    },
    {
      name: 'nbd', raw: 'nbdInflight', title: dev ? `NBD commands in flight on ${devName}: ${cmds.length}` : 'NBD commands in flight: none (no NBD device)',
      table: { columns: ['cookie', 'cmd', 'offset', 'length', 'conn', 'state', 'age'], rows: cmds },
    },
    { name: 'nics', raw: 'nics', title: 'NIC rings', table: { columns: ['host', 'tx free', 'tx packets', 'tx drops', 'rx free', 'rx packets', 'rx drops'], rows: nicRows } },
    {
      name: 'tcp', raw: 'tcp', title: `TCP connections: ${tcpRows.length}`,
      table: { columns: ['host', 'connection', 'state', 'cwnd', 'snd_wnd', 'rcv_wnd', 'in flight', 'srtt'], rows: tcpRows },
    },
  ];
}

function cmdName(cmd: number): string {
  const n = NBD_CMD_NAMES[cmd];
  return n === undefined ? String(cmd) : n.replace('NBD_CMD_', '');
}
