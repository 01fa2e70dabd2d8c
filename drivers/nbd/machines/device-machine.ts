import { assign, setup } from 'xstate';

/** A connection's lifecycle phase, as its own statechart names it. */
export type ConnPhaseName = 'idle' | 'connect' | 'handshake' | 'transmission' | 'draining' | 'backoff' | 'dead' | 'closed';

/**
 * Events the device statechart receives: raw connection facts (a connection's phase changed,
 * a server refused one, the export was negotiated) and management commands. The chart's guards
 * decide ready / degraded / failed / disconnected from them; nothing outside it decides.
 */
export type DeviceEvent =
  | { type: 'CONFIGURE'; wanted: number }
  /** Connection `conn` entered `phase`; `wanted` is the pool's target now. */
  | { type: 'CONN_PHASE'; conn: number; phase: ConnPhaseName; wanted: number }
  /** The server refused connection `conn` (policy, TLS, export): retrying it will not help. */
  | { type: 'CONN_REFUSED'; conn: number; reason: string; errno: number }
  | { type: 'NEGOTIATED'; size: number }
  /** The pool's target changed (a server added or removed, CAN_MULTI_CONN learned). */
  | { type: 'POOL'; wanted: number }
  | { type: 'RESET' }
  | { type: 'DISCONNECT' };

export interface DeviceContext {
  /** Connections the pool wants in transmission; fewer live ⇒ degraded. */
  wanted: number;
  /** Phase of every connection, by index. */
  phases: ConnPhaseName[];
  /** Export size once negotiated (0 before). */
  size: number;
  /** The last refusal (reason, errno); the device fails when no connection is left besides. */
  refusal: string;
  refusalErrno: number;
  reason: string;
  errno: number;
}

function count(c: DeviceContext, phase: ConnPhaseName): number {
  let n = 0;
  for (const p of c.phases) if (p === phase) n++;
  return n;
}

/** A connection that carries I/O or may still come to: not dead, not closed. */
function hopeful(p: ConnPhaseName): boolean {
  return p !== 'dead' && p !== 'closed';
}

/**
 * The NBD device lifecycle (nbdN). The trace gets every transition through createSimActor.
 * Side effects of entering a state are actions the device provides (`machine.provide`).
 */
export const deviceMachine = setup({
  types: {} as { context: DeviceContext; events: DeviceEvent },
  guards: {
    connectionUp: ({ context }) => context.phases.some((p) => p === 'handshake' || p === 'transmission'),
    allLive: ({ context }) => context.size > 0 && count(context, 'transmission') >= context.wanted,
    someLive: ({ context }) => context.size > 0 && count(context, 'transmission') > 0,
    someMissing: ({ context }) => count(context, 'transmission') < context.wanted,
    refusedAndNoneLeft: ({ context }) => context.refusal !== '' && !context.phases.some(hopeful),
    allClosed: ({ context }) => !context.phases.some(hopeful),
  },
  actions: {
    configure: assign(({ event }) => (event.type === 'CONFIGURE'
      ? { wanted: event.wanted, reason: '', errno: 0, refusal: '', refusalErrno: 0 } : {})),
    recordPhase: assign(({ event, context }) => {
      if (event.type !== 'CONN_PHASE') return {};
      const phases = context.phases.slice();
      phases[event.conn] = event.phase;
      return { phases, wanted: event.wanted };
    }),
    recordRefusal: assign(({ event }) => (event.type === 'CONN_REFUSED' ? { refusal: event.reason, refusalErrno: event.errno } : {})),
    recordSize: assign(({ event }) => (event.type === 'NEGOTIATED' ? { size: event.size } : {})),
    recordPool: assign(({ event }) => (event.type === 'POOL' ? { wanted: event.wanted } : {})),
    fail: assign(({ context }) => ({ reason: context.refusal, errno: context.refusalErrno })),
    clearFailure: assign({ reason: '', errno: 0, refusal: '', refusalErrno: 0 }),
    /** Provided by the device: fail the I/O it holds and close every connection. */
    failed: () => {},
  },
}).createMachine({
  id: 'nbd-device',
  description: 'Lifecycle of one NBD block device, from configuration to teardown.',
  context: { wanted: 0, phases: [], size: 0, refusal: '', refusalErrno: 0, reason: '', errno: 0 },
  initial: 'unconfigured',
  // Facts are recorded in every state; each state's guards then decide where it stands.
  on: {
    CONN_PHASE: { actions: 'recordPhase' },
    CONN_REFUSED: { actions: 'recordRefusal' },
    NEGOTIATED: { actions: 'recordSize' },
    POOL: { actions: 'recordPool' },
  },
  states: {
    unconfigured: {
      description: 'Registered, no servers given yet; I/O is refused.',
      on: { CONFIGURE: { target: 'connecting', actions: 'configure' } },
    },
    connecting: {
      description: 'Opening the first socket to a server.',
      always: [
        { guard: 'refusedAndNoneLeft', target: 'failed' },
        { guard: 'connectionUp', target: 'negotiating' },
      ],
      on: { DISCONNECT: 'disconnecting' },
    },
    negotiating: {
      description: 'Handshake (fixed newstyle, options, optional STARTTLS) on the first connection.',
      always: [
        { guard: 'refusedAndNoneLeft', target: 'failed' },
        { guard: 'allLive', target: 'ready' },
        { guard: 'someLive', target: 'degraded' },
      ],
      on: { DISCONNECT: 'disconnecting' },
    },
    ready: {
      description: 'Every wanted connection is in transmission; I/O flows.',
      always: [
        { guard: 'refusedAndNoneLeft', target: 'failed' },
        { guard: 'someMissing', target: 'degraded' },
      ],
      on: { DISCONNECT: 'disconnecting' },
    },
    degraded: {
      description: 'Fewer live connections than wanted (maybe none): I/O goes to the live ones or waits, up to dead_conn_timeout.',
      always: [
        { guard: 'refusedAndNoneLeft', target: 'failed' },
        { guard: 'allLive', target: 'ready' },
      ],
      on: { DISCONNECT: 'disconnecting' },
    },
    disconnecting: {
      description: 'No new I/O; in-flight requests finish, then NBD_CMD_DISC and close.',
      always: { guard: 'allClosed', target: 'disconnected' },
    },
    disconnected: {
      description: 'Closed in order; may be configured again.',
      on: { CONFIGURE: { target: 'connecting', actions: 'configure' } },
    },
    failed: {
      description: 'Given up (handshake refused, TLS failure, size mismatch) with no connection left; reason and errno say why.',
      entry: ['fail', 'failed'],
      on: {
        RESET: { target: 'connecting', actions: 'clearFailure' },
        DISCONNECT: 'disconnected',
      },
    },
  },
});

export type DeviceStateName =
  | 'unconfigured' | 'connecting' | 'negotiating' | 'ready' | 'degraded' | 'disconnecting' | 'disconnected' | 'failed';
