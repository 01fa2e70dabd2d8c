import type { TraceRecord } from '../../hw-sim/engine/trace.ts';
import type { MgmtOutput, SimSession } from '../../scenarios/runner/types.ts';
import { parseDuration } from '../../drivers/nbd/config/units.ts';
import { renderTable } from './format/table.ts';
import { showText } from './show.ts';
import { formatNs } from './format/units.ts';

export const STEPPER_HELP = `commands:
  next [N]              run the next N engine events (default 1) and print their records   (n)
  continue TIME         run until virtual time TIME, e.g. 2.5ms                            (c)
  until [src=S] [kind=K]  run until a record matches (* is a wildcard)                     (u)
  state MACHINE         run until MACHINE's next state change (see \`machines\`)
  back [N]              go back N events (default 1) by re-running from the start          (b)
  show [SECTION]        tables: statecharts, blk (blk-mq queues, tags), nbd (commands in flight by cookie),
                        nics (rings), tcp (windows); show --json [SECTION] or show raw: the full data
  machines              list the statecharts
  mgmt COMMAND...       run a management command here (or type nbd-... directly)
  where                 current virtual time, events and records                            (w)
  finish                run to the end and print the verdict
  help, quit
`;

/** A glob with `*` only, anchored. */
function glob(p: string): RegExp {
  return new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export function formatRecord(r: TraceRecord): string {
  return `[${formatNs(r.t).padStart(12)}] #${r.seq} ${r.src} ${r.kind}${r.data === undefined ? '' : ` ${JSON.stringify(r.data)}`}`;
}

export function formatMgmt(m: MgmtOutput): string {
  return m.table ? renderTable(m.table.columns, m.table.rows) : `${JSON.stringify(m.data, null, 2)}\n`;
}

/**
 * The interactive stepper's logic, one command line at a time, over a SimSession. `back`
 * re-opens the session and replays to an earlier event: the run is deterministic, so that is
 * exactly the earlier state.
 */
export class Stepper {
  private session: SimSession;
  private events = 0;
  private ended = false;

  constructor(private readonly open: () => SimSession, private readonly out: (s: string) => void) {
    this.session = open();
  }

  get now(): number {
    return this.session.now;
  }

  /** Runs one command line; returns false on quit. Throws Error for a bad command. */
  exec(line: string): boolean {
    const words = line.trim().split(/\s+/).filter((w) => w !== '');
    const [cmd, ...args] = words;
    if (cmd === undefined || cmd.startsWith('#')) return true;
    switch (cmd) {
      case 'n':
      case 'next': {
        const n = args[0] === undefined ? 1 : this.count(args[0]);
        for (let i = 0; i < n && this.stepOnce((r) => this.out(`${formatRecord(r)}\n`)); i++);
        return true;
      }
      case 'c':
      case 'continue': {
        if (args[0] === undefined) throw new Error('continue needs a virtual time, e.g. `continue 2.5ms`');
        const t = parseDuration(args[0]);
        if (!t.ok) throw new Error(t.reason);
        this.runWhile(() => this.session.now < t.value, () => false);
        return true;
      }
      case 'u':
      case 'until': {
        let src: RegExp | undefined;
        let kind: RegExp | undefined;
        for (const a of args) {
          const m = /^(src|kind)=(.+)$/.exec(a);
          if (!m) throw new Error(`until takes src=PATTERN and/or kind=PATTERN, not "${a}"`);
          if (m[1] === 'src') src = glob(m[2]!);
          else kind = glob(m[2]!);
        }
        if (!src && !kind) throw new Error('until needs src=PATTERN and/or kind=PATTERN');
        this.runWhile(() => true, (r) => (!src || src.test(r.src)) && (!kind || kind.test(r.kind)));
        return true;
      }
      case 'state': {
        const m = args[0];
        if (m === undefined) throw new Error('state needs a machine name (see `machines`)');
        if (!this.session.machines().includes(m)) throw new Error(`no statechart "${m}" (machines: ${this.session.machines().join(', ')})`);
        this.runWhile(() => true, (r) => r.kind === 'state' && r.src === m);
        return true;
      }
      case 'b':
      case 'back': {
        const n = args[0] === undefined ? 1 : this.count(args[0]);
        const target = Math.max(0, this.events - n);
        this.session = this.open();
        this.events = 0;
        this.ended = false;
        while (this.events < target && this.stepOnce(() => {}));
        this.out(`back at event ${this.events}, ${formatNs(this.session.now)}\n`);
        return true;
      }
      case 'show':
        this.out(showText(this.session, args));
        return true;
      case 'machines':
        this.out(`${this.session.machines().join('\n')}\n`);
        return true;
      case 'mgmt':
        if (args.length === 0) throw new Error('mgmt needs a command, e.g. `mgmt nbd-connection-info`');
        this.out(formatMgmt(this.session.mgmt(args)));
        return true;
      case 'w':
      case 'where':
        this.out(`${formatNs(this.session.now)}, event ${this.events}, ${this.session.records} records${this.ended ? ', simulation ended' : ''}\n`);
        return true;
      case 'finish': {
        const r = this.session.finish();
        this.ended = true;
        this.out(`${r.passed ? 'PASSED' : 'FAILED'} at ${formatNs(r.virtualTimeNs)}, digest ${r.digest}\n`);
        return true;
      }
      case 'help':
      case '?':
        this.out(STEPPER_HELP);
        return true;
      case 'q':
      case 'quit':
      case 'exit':
        return false;
      default:
        if (cmd.startsWith('nbd-')) {
          this.out(formatMgmt(this.session.mgmt(words)));
          return true;
        }
        throw new Error(`unknown command "${cmd}" (try help)`);
    }
  }

  private count(v: string): number {
    if (!/^[1-9][0-9]*$/.test(v)) throw new Error(`expected a positive count, got "${v}"`);
    return Number(v);
  }

  /** One engine event; false when the simulation has nothing left. */
  private stepOnce(each: (r: TraceRecord) => void): boolean {
    if (this.ended) return false;
    const recs = this.session.step();
    if (recs === undefined) {
      this.ended = true;
      this.out(`simulation ended at ${formatNs(this.session.now)}\n`);
      return false;
    }
    this.events++;
    for (const r of recs) each(r);
    return true;
  }

  /** Steps while `cond` holds, stopping after the event whose records include a `stop` match. */
  private runWhile(cond: () => boolean, stop: (r: TraceRecord) => boolean): void {
    const from = this.events;
    let hit: TraceRecord | undefined;
    while (hit === undefined && cond()) {
      if (!this.stepOnce((r) => { if (hit === undefined && stop(r)) hit = r; })) break;
    }
    if (hit) this.out(`${formatRecord(hit)}\n`);
    this.out(`ran ${this.events - from} events; now ${formatNs(this.session.now)}, event ${this.events}\n`);
  }
}
