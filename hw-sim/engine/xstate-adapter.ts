import { createActor, type Actor, type ActorOptions, type AnyActorLogic, type AnyActorRef, type InspectionEvent } from 'xstate';
import type { Engine } from './engine.ts';
import { NS_PER_MS } from './time.ts';

/** xstate's clock type, taken from its actor options (the package root does not export it). */
export type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

/** An xstate clock on the engine: `after` transitions and delayed events fire in virtual time. */
export function engineClock(engine: Engine): Clock {
  return {
    setTimeout: (fn: (...args: unknown[]) => void, timeoutMs: number) =>
      engine.schedule(Math.max(0, Math.round(timeoutMs * NS_PER_MS)), fn, 'xstate.after'),
    clearTimeout: (handle: unknown) => {
      engine.cancel(handle as ReturnType<Engine['schedule']>);
    },
  };
}

/** A stable, run-independent name for every actor in a system (session ids are process-wide). */
export class ActorNames {
  private readonly names = new Map<string, string>();
  private next = 0;
  constructor(private readonly root: string) {}
  of(ref: AnyActorRef): string {
    let n = this.names.get(ref.sessionId);
    if (n === undefined) {
      const id = ref.id;
      const sys = (ref as { _systemId?: string })._systemId;
      if (this.names.size === 0) n = this.root;
      else if (sys) n = `${this.root}/${sys}`;
      else n = /^x:\d+$/.test(id) ? `${this.root}/#${this.next++}` : `${this.root}/${id}`;
      this.names.set(ref.sessionId, n);
    }
    return n;
  }
}

export interface SimActorOptions {
  /** Trace source name of the root actor, e.g. `nbd0` or `nbd0/conn3`. */
  name: string;
  input?: unknown;
  systemId?: string;
  /** Emit a `state` trace record on every snapshot change (default true). */
  traceStates?: boolean;
}

/**
 * Creates an xstate actor that runs in virtual time, deterministically:
 * - its clock is the engine;
 * - delayed events without an explicit id get a counter id instead of xstate's Math.random id;
 * - the scheduler's `startedAt` (Date.now in xstate) is overwritten with virtual milliseconds;
 * - state changes go to the trace under a stable name, never a process-wide session id.
 */
export function createSimActor<TLogic extends AnyActorLogic>(
  engine: Engine,
  logic: TLogic,
  opts: SimActorOptions,
): Actor<TLogic> {
  const names = new ActorNames(opts.name);
  const traceStates = opts.traceStates ?? true;
  let lastValue = '';
  const inspect = traceStates
    ? (ev: InspectionEvent) => {
        if (ev.type !== '@xstate.snapshot') return;
        const snap = ev.snapshot as { value?: unknown; status?: string };
        if (snap.value === undefined) return;
        const value = JSON.stringify(snap.value);
        const src = names.of(ev.actorRef as AnyActorRef);
        const key = `${src}=${value}`;
        if (key === lastValue) return;
        lastValue = key;
        engine.trace.emit(src, 'state', { value: snap.value, event: ev.event.type });
      }
    : undefined;
  const actor = createActor(logic, {
    clock: engineClock(engine),
    input: opts.input as never,
    ...(opts.systemId ? { systemId: opts.systemId } : {}),
    ...(inspect ? { inspect } : {}),
  } as never) as Actor<TLogic>;
  patchScheduler(engine, actor);
  return actor;
}

function patchScheduler(engine: Engine, actor: AnyActorRef): void {
  const system = actor.system as unknown as {
    scheduler: { schedule: (s: AnyActorRef, t: AnyActorRef, e: unknown, d: number, id?: string) => void };
    _snapshot: { _scheduledEvents: Record<string, { startedAt: number }> };
  };
  const original = system.scheduler.schedule;
  let counter = 0;
  system.scheduler.schedule = (source, target, event, delay, id) => {
    const stableId = id ?? `sim-delay-${counter++}`;
    original(source, target, event, delay, stableId);
    const entry = system._snapshot._scheduledEvents[`${source.sessionId}.${stableId}`];
    if (entry) entry.startedAt = engine.now / NS_PER_MS;
  };
}
