// `npx tsx tools/bench/jit-churn.ts [trace-on]`: why the `nbd` rows time runs on one stack. Runs the
// cache-off, 4-conn row's workload both ways, each in a child under `node --trace-opt --trace-deopt`,
// and counts what V8 does inside each timed 20k-request run:
//   fresh: a new stack per timed run and a full collection first (the rows until the sixth round);
//   one:   every run on one stack, no forced collection (the rows since).
// The counts are the evidence; the req per wall s column moves with the machine like any row.
import { spawnSync } from 'node:child_process';
import { buildNbdStack, dropClientCache, runRandread, type NbdStack, type NbdStackOptions } from './nbd-stack.ts';
import { IOS, QD } from './nbd-row.ts';
import { printTable } from './table.ts';

const RUNS = 6;
const WARM_MS = 3000;
const MARK = '=== jit-churn';

/** Child: warm up, then RUNS timed runs between markers that the parent finds in V8's trace output. */
function child(mode: 'fresh' | 'one', o: NbdStackOptions): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('jit-churn: the child needs --expose-gc');
  const one: NbdStack | null = mode === 'one' ? buildNbdStack(o) : null;
  const stack = (): NbdStack => one ?? buildNbdStack(o);
  const w0 = Date.now();
  while (Date.now() - w0 < WARM_MS) runRandread(stack(), IOS, QD);
  for (let i = 0; i < RUNS; i++) {
    const s = stack();
    dropClientCache(s);
    if (mode === 'fresh') gc();
    console.log(`${MARK} start`);
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    runRandread(s, IOS, QD);
    const ns = Number(process.hrtime.bigint() - t0);
    const c = process.cpuUsage(c0);
    console.log(`${MARK} end ${ns} ${(c.user + c.system) * 1000}`);
  }
}

interface Counts { compiles: number; deopts: number; weak: number; reqPerS: number[]; cpuShare: number[] }

/** Parent: one child per mode; counts TurboFan compiles and deopts between each pair of markers. */
function measure(mode: 'fresh' | 'one', o: NbdStackOptions): Counts {
  const r = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', '--trace-opt', '--trace-deopt',
    import.meta.filename, '--child', mode, JSON.stringify(o)], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`jit-churn: the ${mode} child exited with ${r.status ?? r.signal}: ${r.stderr.slice(0, 400)}`);
  const k: Counts = { compiles: 0, deopts: 0, weak: 0, reqPerS: [], cpuShare: [] };
  let inRun = false;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith(`${MARK} start`)) inRun = true;
    else if (line.startsWith(`${MARK} end`)) {
      inRun = false;
      const [ns = 1, cpuNs = 0] = line.split(' ').slice(3).map(Number);
      k.reqPerS.push(IOS / (ns / 1e9));
      k.cpuShare.push(cpuNs / ns);
    } else if (inRun && line.startsWith('[compiling method')) k.compiles++;
    else if (inRun && line.startsWith('[bailout')) k.deopts++;
    // Code marked for deoptimisation because an object it embeds died: counted over the whole child.
    if (line.includes('reason: weak objects')) k.weak++;
  }
  if (k.reqPerS.length !== RUNS) throw new Error(`jit-churn: the ${mode} child reported ${k.reqPerS.length} of ${RUNS} runs`);
  return k;
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[(xs.length - 1) >> 1]!;

if (process.argv[2] === '--child') {
  child(process.argv[3] === 'fresh' ? 'fresh' : 'one', JSON.parse(process.argv[4] ?? '') as NbdStackOptions);
} else {
  const arg = process.argv[2];
  if (arg !== undefined && arg !== 'trace-on') {
    console.error(`jit-churn: the only argument is 'trace-on' (the trace is off without it), not '${arg}'`);
    process.exit(2);
  }
  const o: NbdStackOptions = { trace: arg === 'trace-on', connections: 4, cache: false };
  const rows = (['fresh', 'one'] as const).map((mode) => {
    const k = measure(mode, o);
    return [
      mode === 'fresh' ? 'fresh stack + full GC per run' : 'one stack, no forced GC',
      k.compiles / RUNS, k.deopts / RUNS, k.weak, median(k.reqPerS), `${Math.round(100 * median(k.cpuShare))} %`,
    ];
  });
  printTable(
    `V8 inside each timed run, cache off, 4 conn, trace ${o.trace ? 'on' : 'off'} (${RUNS} runs of ${IOS / 1000}k requests after ${WARM_MS / 1000} s of warm-up)`,
    ['timed runs on', 'TurboFan compiles per run', 'deopts per run', '"weak objects" deopts in process', 'req per wall s (median run)', 'CPU share'],
    rows,
  );
}
