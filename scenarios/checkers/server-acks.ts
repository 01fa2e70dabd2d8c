/**
 * Server-side ordering, checked online from the trace: a WRITE, TRIM or WRITE_ZEROES is
 * acknowledged only after the server's disk applied it, a FLUSH only after the disk's flush
 * completed, and a FUA write reaches the disk as a FUA write. It needs the server's request
 * records and the disk's records, so it runs only with the trace on.
 *
 * Requests are matched to disk operations by host, operation, offset and length; a request refused before the store (checks, injected EIO) is answered without a disk operation
 * and is no violation.
 */
import type { TraceBus, TraceRecord } from '../../hw-sim/engine/trace.ts';
import { TraceGate } from './trace-gate.ts';
import type { Ns } from '../schema/types.ts';
import { formatByteRange, formatNsExact } from './units.ts';

export interface ServerAckViolation {
  readonly atNs: Ns;
  readonly message: string;
}

export interface ServerAckReport {
  readonly ok: boolean;
  /** Durability-relevant requests whose reply was checked. */
  readonly checked: number;
  readonly violations: readonly ServerAckViolation[];
  /** Protocol errors the servers detected in what clients sent. */
  readonly serverProtocolErrors: number;
}

/** Server command name → disk operation name. */
const DISK_OP: Readonly<Record<string, string>> = {
  NBD_CMD_WRITE: 'write', NBD_CMD_FLUSH: 'flush', NBD_CMD_TRIM: 'trim', NBD_CMD_WRITE_ZEROES: 'zero',
};
const NBD_CMD_FLAG_FUA = 1;
/** Only the first few violations are kept with their messages. */
const KEEP = 20;

interface Pending {
  readonly key: string;
  readonly cmd: string;
  readonly op: string;
  readonly offset: number;
  readonly length: number;
  readonly fua: boolean;
  readonly receivedNs: Ns;
}

interface DiskDone {
  readonly op: string;
  readonly offset: number;
  readonly length: number;
  readonly doneNs: Ns;
}

/** Completions kept per host for replies to consume (older ones are dropped: their sessions are gone). */
const MAX_COMPLETED = 4096;

function sameOp(p: Pending, op: string | undefined, offset: number | undefined, length: number | undefined): boolean {
  return p.op === op && (op === 'flush' || (p.offset === offset && p.length === length));
}

interface RequestData { cmd?: unknown; flags?: number; cookieHi?: number; cookieLo?: number; offset?: number; length?: number }
interface DiskData { op?: string; off?: number; len?: number; fua?: boolean }

export class ServerAckChecker {
  /** Per server host: requests received and not yet answered, in arrival order. */
  private readonly pending = new Map<string, Pending[]>();
  /** Per server host: disk completions not yet claimed by a reply. */
  private readonly completed = new Map<string, DiskDone[]>();
  private readonly violations: ServerAckViolation[] = [];
  private count = 0;
  private checked = 0;
  private protocolErrors = 0;
  private gate: TraceGate | null = null;

  /**
   * Reads the bus: requests, sessions and crashes always; replies and disk operations only while
   * a durability-relevant request waits for its reply (none does in a read-only run).
   */
  attach(bus: TraceBus): void {
    // A request matters only if it has a disk operation (request below): not a READ.
    this.gate = new TraceGate(bus, this.onRecord, ['nbd.request', 'disk.crash', 'nbd.session.closed', 'nbd.session.close', 'nbd.protocol.error'],
      ['nbd.reply', 'nbd.refused', 'disk.submit', 'disk.done'], { 'nbd.request': ['cmd', (v) => DISK_OP[String(v)] !== undefined] });
  }

  /** Feed every trace record, in order (attach does, with the kinds that can matter). */
  readonly onRecord = (r: TraceRecord): void => {
    this.read(r);
    if (this.gate) {
      let waiting = 0;
      for (const list of this.pending.values()) waiting += list.length;
      this.gate.set(waiting > 0);
    }
  };

  private read(r: TraceRecord): void {
    const k = r.kind;
    if (k === 'nbd.request') this.request(r);
    else if (k === 'nbd.reply' || k === 'nbd.refused') this.reply(r, k === 'nbd.refused');
    else if (k === 'disk.submit' || k === 'disk.done') this.disk(r, k === 'disk.done');
    else if (k === 'disk.crash') { this.pending.delete(hostOf(r.src)); this.completed.delete(hostOf(r.src)); }
    else if (k === 'nbd.session.closed' || k === 'nbd.session.close') this.forgetSession(r.src);
    else if (k === 'nbd.protocol.error') this.protocolErrors++;
  }

  report(): ServerAckReport {
    return { ok: this.count === 0, checked: this.checked, violations: this.violations, serverProtocolErrors: this.protocolErrors };
  }

  private request(r: TraceRecord): void {
    const d = r.data as RequestData;
    const cmd = String(d.cmd);
    const op = DISK_OP[cmd];
    if (op === undefined) return;
    const host = hostOf(r.src);
    let list = this.pending.get(host);
    if (!list) this.pending.set(host, (list = []));
    list.push({
      key: `${r.src}|${d.cookieHi}|${d.cookieLo}`, cmd, op, offset: d.offset ?? 0, length: d.length ?? 0,
      fua: ((d.flags ?? 0) & NBD_CMD_FLAG_FUA) !== 0, receivedNs: r.t,
    });
  }

  /**
   * A disk operation: its submit must keep FUA when the requests it can serve all carry it; its
   * completion is remembered for a reply to consume. Which of two identical requests (same op and
   * range, different connections) a disk operation serves cannot be told from the trace, so a
   * reply consumes any matching completion that happened after its request arrived.
   */
  private disk(r: TraceRecord, done: boolean): void {
    // No request this checker follows is a READ (DISK_OP): a read serves none of them.
    if ((r.data as DiskData | undefined)?.op === 'read') return;
    const host = hostOf(r.src);
    // A shared volume (its own power domain, src volume/NAME) serves every server host exporting it:
    // its operation may serve a request of any of them, so FUA is owed only when all of those carry it.
    const hosts = this.pending.has(host) ? [host] : [...this.pending.keys()];
    if (!done) {
      const d = r.data as DiskData;
      if (d.fua === true) return;
      const matching = hosts.flatMap((h) => this.pending.get(h)!.filter((p) => sameOp(p, d.op, d.off, d.len)));
      if (matching.length > 0 && matching.every((p) => p.fua)) {
        const p = matching[0]!;
        this.violation(r.t, `${hosts.length === 1 ? host : 'volume'}: FUA ${p.cmd} ${formatByteRange(p.offset, p.length)} reached the disk without FUA`);
      }
      return;
    }
    for (const h of hosts) this.diskOf(h, r);
  }

  private diskOf(host: string, r: TraceRecord): void {
    const d = r.data as DiskData;
    const list = this.pending.get(host)!;
    if (!list.some((p) => sameOp(p, d.op, d.off, d.len))) return;
    let c = this.completed.get(host);
    if (!c) this.completed.set(host, (c = []));
    c.push({ op: d.op ?? '', offset: d.off ?? 0, length: d.len ?? 0, doneNs: r.t });
    if (c.length > MAX_COMPLETED) c.splice(0, c.length - MAX_COMPLETED);
  }

  private reply(r: TraceRecord, refused: boolean): void {
    const d = r.data as RequestData;
    const host = hostOf(r.src);
    const list = this.pending.get(host);
    if (!list || list.length === 0) return; // nothing waits (a READ's reply): no key to build
    const key = `${r.src}|${d.cookieHi}|${d.cookieLo}`;
    const i = list.findIndex((p) => p.key === key);
    if (i < 0) return;
    const p = list[i]!;
    list.splice(i, 1);
    if (refused) return;
    this.checked++;
    const c = this.completed.get(host) ?? [];
    const j = c.findIndex((x) => x.doneNs >= p.receivedNs && sameOp(p, x.op, x.offset, x.length));
    if (j >= 0) {
      c.splice(j, 1);
      return;
    }
    const what = p.op === 'flush' ? 'before the disk\'s flush completed' : 'before the disk applied it';
    this.violation(r.t, `${host}: ${p.cmd}${p.fua ? ' (FUA)' : ''} ${formatByteRange(p.offset, p.length)} received at ${formatNsExact(p.receivedNs)} was acknowledged at ${formatNsExact(r.t)} ${what}`);
  }

  private forgetSession(src: string): void {
    const list = this.pending.get(hostOf(src));
    if (!list) return;
    const prefix = `${src}|`;
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.key.startsWith(prefix)) list.splice(i, 1);
  }

  private violation(atNs: Ns, message: string): void {
    this.count++;
    if (this.violations.length < KEEP) this.violations.push({ atNs, message });
  }
}

function hostOf(src: string): string {
  const i = src.indexOf('/');
  return i < 0 ? src : src.slice(0, i);
}
