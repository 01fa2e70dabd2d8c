import { assign, setup } from 'xstate';
import type { Rng } from '../../../hw-sim/engine/index.ts';
import type { ExportInfo } from '../protocol-port.ts';
import { idleHandshake, type HandshakeRefusal } from './handshake-actor.ts';

export interface ConnectionInput {
  rng: Rng;
  /** connection_retry_count: reconnect attempts before the connection is dead. */
  retryCount: number;
  /** connection_timeout, ms: connect + handshake must finish within it. */
  timeoutMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Fraction of each delay drawn from `rng` (the rest is fixed). */
  jitter: number;
}

export type ConnectionEvent =
  | { type: 'START' }
  | { type: 'SOCKET_UP' }
  | { type: 'SOCKET_DOWN'; reason: string }
  | { type: 'TLS_START' }
  | { type: 'TLS_DONE' }
  | { type: 'PROTOCOL_FATAL'; reason: string }
  | { type: 'SHUTDOWN' }
  | { type: 'DRAIN' }
  | { type: 'DRAINED' }
  | { type: 'REVIVE' }
  | { type: 'KILL'; reason: string };

export interface ConnectionContext extends ConnectionInput {
  attempts: number;
  backoffMs: number;
  reason: string;
}

/** The invoked handshake's end, as the chart receives it. */
export type HandshakeEnd =
  | { type: 'xstate.done.actor.handshake'; output: ExportInfo }
  | { type: 'xstate.error.actor.handshake'; error: HandshakeRefusal };

/**
 * One NBD connection: connect → handshake → transmission → draining → closed | dead, with
 * reconnects after capped exponential backoff with jitter. Events are connection lifecycle only.
 * The handshake is an invoked actor (onDone: transmission; onError: refused, dead). The side
 * effects are the pool's, given with `connectionMachine.provide()`; the defaults do nothing.
 */
export const connectionMachine = setup({
  types: {} as { context: ConnectionContext; events: ConnectionEvent | HandshakeEnd; input: ConnectionInput },
  guards: {
    /** Checked after computeBackoff counted this failure: attempts beyond the allowance ⇒ dead. */
    retriesExhausted: ({ context }) => context.attempts > context.retryCount,
  },
  delays: {
    connectTimeout: ({ context }) => context.timeoutMs,
    backoff: ({ context }) => context.backoffMs,
  },
  actors: { handshake: idleHandshake },
  actions: {
    /** Opens the TCP socket (connect state). */
    openSocket: () => {},
    /** The export is negotiated: the transmission session starts on the socket. */
    beginTransmission: (_, _info: ExportInfo) => {},
    /** Stop sending new requests; finish in-flight ones. */
    beginDrain: () => {},
    /** Send NBD_CMD_DISC and close in order. */
    closeInOrder: () => {},
    /** Socket gone: requeue what was in flight, drop the socket (context.reason says why). */
    abandon: () => {},
    /** The server (or the device) refused the handshake: retrying will not help. */
    refused: (_, _refusal: HandshakeRefusal) => {},
    /** connection_retry_count attempts failed: the connection waits for a health check to dial again. */
    gaveUp: () => {},
    rememberReason: assign({ reason: ({ event, context }) => reasonOf(event, context.reason) }),
    resetAttempts: assign({ attempts: 0 }),
    /** Capped exponential delay; the `jitter` fraction of it is drawn from the named stream. */
    computeBackoff: assign(({ context }) => {
      const exp = Math.min(context.backoffCapMs, context.backoffBaseMs * 2 ** context.attempts);
      return { attempts: context.attempts + 1, backoffMs: exp * (1 - context.jitter) + exp * context.jitter * context.rng.next() };
    }),
  },
}).createMachine({
  id: 'nbd-connection',
  description: 'One TCP connection to one NBD server export.',
  context: ({ input }) => ({ ...input, attempts: 0, backoffMs: 0, reason: '' }),
  initial: 'idle',
  states: {
    idle: {
      description: 'Created by the pool, not yet started.',
      on: { START: 'connect', KILL: 'closed' },
    },
    connect: {
      description: 'TCP connect in progress; bounded by connection_timeout.',
      entry: 'openSocket',
      on: {
        SOCKET_UP: 'handshake',
        SOCKET_DOWN: { target: 'backoff', actions: ['rememberReason', 'abandon'] },
        KILL: { target: 'closed', actions: ['rememberReason', 'abandon'] },
      },
      after: { connectTimeout: { target: 'backoff', actions: [assign({ reason: 'connect timed out' }), 'abandon'] } },
    },
    handshake: {
      description: 'NBD option haggling; STARTTLS first when the export requires it.',
      invoke: {
        id: 'handshake',
        src: 'handshake',
        onDone: { target: 'transmission', actions: ['resetAttempts', { type: 'beginTransmission', params: ({ event }) => event.output }] },
        onError: {
          target: 'dead',
          actions: ['rememberReason', { type: 'refused', params: ({ event }) => event.error as HandshakeRefusal }, 'abandon'],
        },
      },
      initial: 'options',
      states: {
        options: { description: 'Fixed newstyle greeting and option exchange.', on: { TLS_START: 'tls' } },
        tls: { description: 'STARTTLS accepted: simulated TLS exchange, then options again inside it.', on: { TLS_DONE: 'options' } },
      },
      on: {
        SOCKET_DOWN: { target: 'backoff', actions: ['rememberReason', 'abandon'] },
        PROTOCOL_FATAL: { target: 'backoff', actions: ['rememberReason', 'abandon'] },
        KILL: { target: 'closed', actions: ['rememberReason', 'abandon'] },
      },
      after: { connectTimeout: { target: 'backoff', actions: [assign({ reason: 'handshake timed out' }), 'abandon'] } },
    },
    transmission: {
      description: 'Requests and replies flow.',
      on: {
        SOCKET_DOWN: { target: 'backoff', actions: ['rememberReason', 'abandon'] },
        PROTOCOL_FATAL: { target: 'backoff', actions: ['rememberReason', 'abandon'] },
        SHUTDOWN: 'draining',
        DRAIN: 'draining',
        KILL: { target: 'backoff', actions: ['rememberReason', 'abandon'] },
      },
    },
    draining: {
      description: 'Nothing new is sent; in-flight requests finish, then DISC.',
      entry: 'beginDrain',
      on: {
        DRAINED: { target: 'closed', actions: 'closeInOrder' },
        SOCKET_DOWN: { target: 'closed', actions: ['rememberReason', 'abandon'] },
        PROTOCOL_FATAL: { target: 'closed', actions: ['rememberReason', 'abandon'] },
        KILL: { target: 'closed', actions: ['rememberReason', 'abandon'] },
      },
      after: { connectTimeout: { target: 'closed', actions: [assign({ reason: 'drain timed out' }), 'abandon'] } },
    },
    backoff: {
      description: 'Waiting a capped, jittered exponential delay before reconnecting.',
      always: { guard: 'retriesExhausted', target: 'dead', actions: 'gaveUp' },
      entry: 'computeBackoff',
      after: { backoff: 'connect' },
      on: { KILL: 'closed', DRAIN: 'closed' },
    },
    dead: {
      description: 'Retries exhausted (given up) or refused by the server; dialled again by the next health check (server_health_check_interval) or a reset.',
      on: { REVIVE: { target: 'connect', actions: 'resetAttempts' }, KILL: 'closed', DRAIN: 'closed' },
    },
    closed: {
      description: 'Closed in order or removed; final.',
      type: 'final',
    },
  },
});

function reasonOf(event: ConnectionEvent | HandshakeEnd | { type: string }, fallback: string): string {
  if ('reason' in event) return event.reason;
  if ('error' in event) return (event.error as HandshakeRefusal).reason;
  return fallback;
}
