import { assign, setup } from 'xstate';

/** Events the driver sends to the device statechart; all of them are lifecycle, none per request. */
export type DeviceEvent =
  | { type: 'CONFIGURE'; wanted: number }
  | { type: 'SOCKET_UP' }
  | { type: 'NEGOTIATED'; size: number; live: number; wanted: number }
  | { type: 'CONN_COUNT'; live: number; wanted: number }
  | { type: 'FAIL'; reason: string; errno: number }
  | { type: 'RESET' }
  | { type: 'DISCONNECT' }
  | { type: 'DRAINED' };

export interface DeviceContext {
  /** Connections the pool wants; live ones below this ⇒ degraded. */
  wanted: number;
  live: number;
  size: number;
  reason: string;
  errno: number;
}

/**
 * The NBD device lifecycle (nbdN). Driver code sends lifecycle events; the trace gets every
 * transition through createSimActor.
 */
export const deviceMachine = setup({
  types: {} as { context: DeviceContext; events: DeviceEvent },
  guards: {
    allConnectionsLive: ({ event }) => (event.type === 'CONN_COUNT' || event.type === 'NEGOTIATED') && event.live >= event.wanted,
    someConnectionMissing: ({ event }) => event.type === 'CONN_COUNT' && event.live < event.wanted,
  },
  actions: {
    rememberWanted: assign({ wanted: ({ event }) => (event.type === 'CONFIGURE' ? event.wanted : 0), reason: '', errno: 0 }),
    rememberSize: assign(({ event, context }) =>
      event.type === 'NEGOTIATED' ? { size: event.size, live: event.live, wanted: event.wanted } : { size: context.size }),
    rememberCount: assign(({ event, context }) =>
      event.type === 'CONN_COUNT' ? { live: event.live, wanted: event.wanted } : { live: context.live, wanted: context.wanted }),
    rememberFailure: assign(({ event, context }) =>
      event.type === 'FAIL' ? { reason: event.reason, errno: event.errno, live: 0 } : { reason: context.reason, errno: context.errno, live: context.live }),
    clearLive: assign({ live: 0 }),
  },
}).createMachine({
  id: 'nbd-device',
  description: 'Lifecycle of one NBD block device, from configuration to teardown.',
  context: { wanted: 0, live: 0, size: 0, reason: '', errno: 0 },
  initial: 'unconfigured',
  states: {
    unconfigured: {
      description: 'Registered, no servers given yet; I/O is refused.',
      on: { CONFIGURE: { target: 'connecting', actions: 'rememberWanted' } },
    },
    connecting: {
      description: 'Opening the first socket to a server.',
      on: {
        SOCKET_UP: 'negotiating',
        FAIL: { target: 'failed', actions: 'rememberFailure' },
        DISCONNECT: 'disconnecting',
      },
    },
    negotiating: {
      description: 'Handshake (fixed newstyle, options, optional STARTTLS) on the first connection.',
      on: {
        NEGOTIATED: [
          { guard: 'allConnectionsLive', target: 'ready', actions: 'rememberSize' },
          { target: 'degraded', actions: 'rememberSize' },
        ],
        FAIL: { target: 'failed', actions: 'rememberFailure' },
        DISCONNECT: 'disconnecting',
      },
    },
    ready: {
      description: 'Every wanted connection is in transmission; I/O flows.',
      on: {
        CONN_COUNT: [
          { guard: 'someConnectionMissing', target: 'degraded', actions: 'rememberCount' },
          { actions: 'rememberCount' },
        ],
        FAIL: { target: 'failed', actions: 'rememberFailure' },
        DISCONNECT: 'disconnecting',
      },
    },
    degraded: {
      description: 'Fewer live connections than wanted (maybe none): I/O goes to the live ones or waits, up to dead_conn_timeout.',
      on: {
        CONN_COUNT: [
          { guard: 'allConnectionsLive', target: 'ready', actions: 'rememberCount' },
          { actions: 'rememberCount' },
        ],
        FAIL: { target: 'failed', actions: 'rememberFailure' },
        DISCONNECT: 'disconnecting',
      },
    },
    disconnecting: {
      description: 'No new I/O; in-flight requests finish, then NBD_CMD_DISC and close.',
      on: { DRAINED: { target: 'disconnected', actions: 'clearLive' } },
    },
    disconnected: {
      description: 'Closed in order; may be configured again.',
      on: { CONFIGURE: { target: 'connecting', actions: 'rememberWanted' } },
    },
    failed: {
      description: 'Given up (handshake refused, TLS failure, retries exhausted); reason and errno say why.',
      on: {
        RESET: 'connecting',
        DISCONNECT: 'disconnected',
      },
    },
  },
});

export type DeviceStateName =
  | 'unconfigured' | 'connecting' | 'negotiating' | 'ready' | 'degraded' | 'disconnecting' | 'disconnected' | 'failed';
