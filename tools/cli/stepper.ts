import type { TraceRecord } from '../../hw-sim/engine/trace.ts';
import type { MgmtOutput } from '../../scenarios/runner/types.ts';
import type { Scenario } from '../../scenarios/schema/types.ts';
import { parseDuration } from '../../drivers/nbd/config/units.ts';
import { renderTable } from './format/table.ts';
import { showText } from './show.ts';
import { formatNs } from './format/units.ts';
import { FORK_HELP, parseFork } from './stepper/fork.ts';
import { Replayer, type Stop } from './stepper/replay.ts';
import { explainText } from './stepper/explain.ts';
import { ofRequest, patternMatcher, watchMatcher, type Breakpoint } from './stepper/watch.ts';

export const STEPPER_HELP = `commands:
  next [N]              run the next N engine events (default 1) and print their records   (n)
  continue [TIME]       run until virtual time TIME (e.g. 2.5ms; the clock stops exactly there),
                        or without TIME to the next breakpoint or watchpoint hit            (c)
  until [src=S] [kind=K]  run until a record matches (* is a wildcard)                     (u)
  state MACHINE         run until MACHINE's next state change (see \`machines\`)
  break [src=S] [kind=K]  a breakpoint: continue / reverse-continue stop at matching records
  watch lba A[..B] | watch cookie C | watch request ID | watch state MACHINE
                        a watchpoint: any record touching sectors A..B (client request, driver,
                        server, disk), carrying NBD cookie C, of block request ID at any hop
                        (blk-mq, driver, packets, server, disk), or a state change of MACHINE
  explain ID            where request ID's time went so far, stage by stage across the hosts
  breakpoints           list breakpoints and watchpoints; delete N removes one
  reverse-continue      back to the previous event that hit a breakpoint or watchpoint     (rc)
  reverse-until [src=S] [kind=K]  back to the previous event with a matching record        (ru)
  back [N]              go back N events (default 1)                                        (b)
  skip-to TIME          jump to virtual time TIME, forward or back, printing nothing
  fork ACTION k=v...    apply a fault or management command now and continue in that future
                        (${FORK_HELP})
  show [SECTION]        tables: statecharts, blk (blk-mq queues, tags), nbd (commands in flight by cookie),
                        nics (rings), tcp (windows); show --json [SECTION] or show raw: the full data
  machines              list the statecharts
  mgmt COMMAND...       run a management command here (or type nbd-... directly)
  where                 current virtual time, events and records                            (w)
  finish                run to the end and print the verdict
  help, quit            (Ctrl-C stops the command that is running, not the stepper)
`;

export function formatRecord(r: TraceRecord): string {
  return `[${formatNs(r.t).padStart(12)}] #${r.seq} ${r.src} ${r.kind}${r.data === undefined ? '' : ` ${JSON.stringify(r.data)}`}`;
}

export function formatMgmt(m: MgmtOutput): string {
  return m.table ? renderTable(m.table.columns, m.table.rows) : `${JSON.stringify(m.data, null, 2)}\n`;
}

const STOPPED: Record<Stop['why'], string> = {
  hit: '', time: '', count: '', interrupted: 'interrupted; ',
  end: 'stopped at the end of the run (jobs done, timeline applied); ', deadline: 'no match before the run\'s deadline; ', empty: 'nothing left to run; ',
};

/**
 * The interactive stepper's logic, one command line at a time, over a SimSession. Going back
 * re-executes from the start (the run is deterministic, so that is exactly the earlier state),
 * with the events every breakpoint hit indexed as they pass (replay.ts).
 */
export class Stepper {
  private readonly r: Replayer;
  private nextId = 1;

  constructor(open: Replayer['open'], private readonly out: (s: string) => void, private readonly scenario?: Scenario) {
    this.r = new Replayer(open, out);
  }

  get now(): number {
    return this.r.session.now;
  }

  /** Stops the command that is running (Ctrl-C); the stepper stays. */
  interrupt(): void {
    this.r.interrupted = true;
  }

  /** Between commands: build a checkpoint behind the current point (resolves when done or a command starts). */
  prepare(): Promise<void> {
    return this.r.prepare();
  }

  /** Runs one command line; resolves false on quit. Throws Error for a bad command. */
  async exec(line: string): Promise<boolean> {
    this.r.busy = true;
    try {
      return await this.run(line);
    } finally {
      this.r.busy = false;
    }
  }

  private async run(line: string): Promise<boolean> {
    const words = line.trim().split(/\s+/).filter((w) => w !== '');
    const [cmd, ...args] = words;
    if (cmd === undefined || cmd.startsWith('#')) return true;
    this.r.interrupted = false;
    const s = this.r.session;
    switch (cmd) {
      case 'n':
      case 'next': {
        const n = args[0] === undefined ? 1 : this.count(args[0]);
        await this.r.forward({ maxEvents: n, each: (r) => this.out(`${formatRecord(r)}\n`) });
        return true;
      }
      case 'c':
      case 'continue': {
        if (args[0] === undefined) {
          if (this.r.breakpoints.length === 0) throw new Error('continue needs a virtual time (e.g. `continue 2.5ms`) or a breakpoint (break / watch)');
          this.report(await this.r.forward({ stop: this.r.breakpoints }));
          return true;
        }
        this.report(await this.r.forward({ untilNs: this.time(args[0]) }));
        return true;
      }
      case 'u':
      case 'until':
        this.report(await this.r.forward({ stop: [this.temp(patternMatcher(args, 'until'))] }));
        return true;
      case 'state':
        if (args[0] === undefined) throw new Error('state needs a machine name (see `machines`)');
        this.report(await this.r.forward({ stop: [this.temp(watchMatcher(['state', args[0]], () => s.machines()))] }));
        return true;
      case 'break':
        this.add(patternMatcher(args, 'break'), 'breakpoint');
        return true;
      case 'watch':
        this.add(watchMatcher(args, () => s.machines()), 'watchpoint');
        return true;
      case 'explain': {
        if (args.length !== 1 || !/^[0-9]+$/.test(args[0]!)) throw new Error('explain needs one request id (blk-mq rq id, as in rq.queue)');
        const id = Number(args[0]);
        this.out(explainText(await this.r.collect(ofRequest(id)), id));
        return true;
      }
      case 'breakpoints':
      case 'info':
        this.out(this.r.breakpoints.length === 0 ? 'no breakpoints or watchpoints\n' : this.r.breakpoints.map((b) => `${b.id}: ${b.label}\n`).join(''));
        return true;
      case 'delete': {
        const id = this.count(args[0] ?? '');
        const i = this.r.breakpoints.findIndex((b) => b.id === id);
        if (i < 0) throw new Error(`no breakpoint ${id}`);
        this.r.breakpoints.splice(i, 1);
        return true;
      }
      case 'rc':
      case 'reverse-continue':
        if (this.r.breakpoints.length === 0) throw new Error('reverse-continue needs a breakpoint or watchpoint (break / watch)');
        this.report(await this.r.reverse(this.r.breakpoints));
        return true;
      case 'ru':
      case 'reverse-until':
        this.report(await this.r.reverse([this.temp(patternMatcher(args, 'reverse-until'))]));
        return true;
      case 'b':
      case 'back': {
        const n = args[0] === undefined ? 1 : this.count(args[0]);
        await this.r.goTo(Math.max(0, this.r.pos - n));
        this.out(`back at event ${this.r.pos}, ${formatNs(this.r.session.now)}\n`);
        return true;
      }
      case 'skip-to': {
        if (args[0] === undefined) throw new Error('skip-to needs a virtual time, e.g. `skip-to 40ms`');
        const t = this.time(args[0]);
        if (t >= s.now) {
          const stop = await this.r.forward({ untilNs: t, quiet: true });
          if (stop.why !== 'time') this.report(stop);
        }
        else await this.r.goToTime(t);
        this.out(`at ${formatNs(this.r.session.now)}, event ${this.r.pos}\n`);
        return true;
      }
      case 'fork': {
        if (!this.scenario) throw new Error('fork needs the scenario (not available here)');
        const ev = parseFork(this.scenario, args);
        this.r.fork(ev, args.join(' '));
        this.out(`forked at ${formatNs(s.now)}, event ${this.r.pos}: ${args.join(' ')} applies with the next events (back before this point undoes it)\n`);
        return true;
      }
      case 'show':
        this.out(showText(s, args));
        return true;
      case 'machines':
        this.out(`${s.machines().join('\n')}\n`);
        return true;
      case 'mgmt':
        if (args.length === 0) throw new Error('mgmt needs a command, e.g. `mgmt nbd-connection-info`');
        this.out(formatMgmt(s.mgmt(args)));
        return true;
      case 'w':
      case 'where':
        this.out(`${formatNs(s.now)}, event ${this.r.pos}, ${s.records} records${this.r.ended ? ', simulation ended' : ''}\n`);
        return true;
      case 'finish': {
        const res = this.r.finish();
        this.out(`${res.passed ? 'PASSED' : 'FAILED'} at ${formatNs(res.virtualTimeNs)}, digest ${res.digest}\n`);
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
          this.out(formatMgmt(s.mgmt(words)));
          return true;
        }
        throw new Error(`unknown command "${cmd}" (try help)`);
    }
  }

  private count(v: string): number {
    if (!/^[1-9][0-9]*$/.test(v)) throw new Error(`expected a positive count, got "${v}"`);
    return Number(v);
  }

  private time(v: string): number {
    const t = parseDuration(v);
    if (!t.ok) throw new Error(t.reason);
    return t.value;
  }

  private temp(m: Pick<Breakpoint, 'label' | 'match'>): Breakpoint {
    return { id: 0, ...m, hits: [], known: -1 };
  }

  private add(m: Pick<Breakpoint, 'label' | 'match'>, what: string): void {
    const b: Breakpoint = { id: this.nextId++, ...m, hits: [], known: this.r.pos === 0 ? 0 : -1 };
    this.r.breakpoints.push(b);
    this.out(`${what} ${b.id}: ${b.label}\n`);
  }

  private report(stop: Stop): void {
    if (stop.hit) this.out(`${stop.by && stop.by.id > 0 ? `${stop.by.id} (${stop.by.label}): ` : ''}${formatRecord(stop.hit)}\n`);
    const why = stop.back && stop.why === 'empty' ? 'no earlier hit; ' : STOPPED[stop.why];
    this.out(`${why}${stop.back ? 'back' : 'ran'} ${stop.events} events; now ${formatNs(this.r.session.now)}, event ${this.r.pos}\n`);
  }
}
