/**
 * Breakpoints and watchpoints of the stepper, as predicates over trace records, and the index of
 * the events each one hit. The run is deterministic, so an event number is an address in time:
 * `hits` holds the event numbers that matched, known for every event up to `known` (−1: not
 * scanned yet), which is what lets reverse-continue jump straight to the previous hit.
 */
import type { TraceRecord } from '../../../hw-sim/engine/trace.ts';

export interface Breakpoint {
  readonly id: number;
  readonly label: string;
  readonly match: (r: TraceRecord, w: RecordRanges) => boolean;
  hits: number[];
  known: number;
}

/** A glob with `*` only, anchored. */
export function glob(p: string): RegExp {
  return new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** `src=PATTERN kind=PATTERN` → a record predicate. */
export function patternMatcher(args: readonly string[], what: string): { label: string; match: (r: TraceRecord) => boolean } {
  let src: RegExp | undefined;
  let kind: RegExp | undefined;
  for (const a of args) {
    const m = /^(src|kind)=(.+)$/.exec(a);
    if (!m) throw new Error(`${what} takes src=PATTERN and/or kind=PATTERN, not "${a}"`);
    if (m[1] === 'src') src = glob(m[2]!);
    else kind = glob(m[2]!);
  }
  if (!src && !kind) throw new Error(`${what} needs src=PATTERN and/or kind=PATTERN`);
  return { label: args.join(' '), match: (r) => (!src || src.test(r.src)) && (!kind || kind.test(r.kind)) };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * The sectors a record touches. Completions name only their request (rq id, driver tag, reply
 * cookie), so the range of each request is remembered from the record that started it.
 */
export class RecordRanges {
  private readonly open = new Map<string, readonly [number, number]>();

  reset(): void {
    this.open.clear();
  }

  /** [first sector, end sector) or undefined; call once per record, in order. */
  sectors(r: TraceRecord): readonly [number, number] | undefined {
    const d = r.data as Record<string, unknown> | undefined;
    if (d === undefined || d === null || typeof d !== 'object') return undefined;
    const key = requestKey(r.src, d);
    const sector = num(d['sector']);
    const sectors = num(d['sectors']);
    const off = num(d['off']) ?? num(d['offset']);
    const len = num(d['len']) ?? num(d['length']);
    let range: readonly [number, number] | undefined;
    if (sector !== undefined && sectors !== undefined) range = [sector, sector + sectors];
    else if (off !== undefined && len !== undefined) range = [Math.floor(off / 512), Math.ceil((off + len) / 512)];
    if (key !== undefined) {
      if (range) this.open.set(key, range);
      else range = this.open.get(key);
    }
    return range;
  }
}

function requestKey(src: string, d: Record<string, unknown>): string | undefined {
  if (typeof d['rq'] === 'number') return `${src} rq ${d['rq']}`;
  if (typeof d['cookieLo'] === 'number') return `${src} cookie ${String(d['cookieHi'])}:${d['cookieLo']}`;
  if (typeof d['tag'] === 'number') return `${src} tag ${d['tag']}`;
  return undefined;
}

/**
 * The records of block request `id` at every hop: blk-mq (`rq`), the driver (`id`), the server's
 * request, reply and disk operation (`rid`) and each packet carrying its bytes (`rids`).
 */
export function ofRequest(id: number): (r: TraceRecord) => boolean {
  return (r) => {
    const d = r.data as Record<string, unknown> | undefined;
    if (!d || typeof d !== 'object') return false;
    if (d['rid'] === id) return true;
    if (d['rq'] === id) return r.src.includes('/blk/');
    if (d['id'] === id) return r.kind === 'rq.send' || r.kind === 'rq.done';
    const rids = d['rids'];
    return Array.isArray(rids) && rids.includes(id);
  };
}

export const WATCH_KINDS = 'lba A[..B], cookie C, request ID, state MACHINE';

/** `watch lba A[..B]`, `watch cookie C`, `watch request ID`, `watch state MACHINE`. */
export function watchMatcher(args: readonly string[], machines: () => readonly string[]): { label: string; match: Breakpoint['match'] } {
  const [what, arg, ...extra] = args;
  if (arg === undefined || extra.length > 0) throw new Error(`watch takes one of: ${WATCH_KINDS}`);
  switch (what) {
    case 'lba': {
      const m = /^([0-9]+)(?:\.\.([0-9]+))?$/.exec(arg);
      if (!m) throw new Error(`watch lba: expected SECTOR or FIRST..LAST (512-byte sectors), got "${arg}"`);
      const a = Number(m[1]);
      const b = m[2] === undefined ? a : Number(m[2]);
      if (b < a) throw new Error(`watch lba: ${a}..${b} is an empty range`);
      return { label: `lba ${a}..${b}`, match: (r, w) => { const s = w.sectors(r); return s !== undefined && s[0] <= b && s[1] > a; } };
    }
    case 'cookie': {
      if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(arg)) throw new Error(`watch cookie: expected a number (decimal or 0x hex), got "${arg}"`);
      const c = BigInt(arg);
      const hi = Number(c >> 32n);
      const lo = Number(c & 0xffffffffn);
      return {
        label: `cookie 0x${c.toString(16)}`,
        match: (r) => {
          const d = r.data as Record<string, unknown> | undefined;
          if (!d || typeof d !== 'object') return false;
          if (d['cookieLo'] === lo && d['cookieHi'] === hi) return true;
          const k = d['cookie'];
          return (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'string') && BigInt(k) === c;
        },
      };
    }
    case 'request': {
      if (!/^[0-9]+$/.test(arg)) throw new Error(`watch request: expected a request id (blk-mq rq id, as in rq.queue), got "${arg}"`);
      return { label: `request ${arg}`, match: ofRequest(Number(arg)) };
    }
    case 'state': {
      if (!machines().includes(arg)) throw new Error(`no statechart "${arg}" (machines: ${machines().join(', ')})`);
      return { label: `state ${arg}`, match: (r) => r.kind === 'state' && r.src === arg };
    }
    default:
      throw new Error(`watch takes one of: ${WATCH_KINDS} (not "${String(what)}")`);
  }
}
