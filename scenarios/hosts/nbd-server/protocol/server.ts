import { NO_BUGS, type Bugs } from '../../../../hw-sim/engine/bugs.ts';
import { validateServerConfig } from './config.ts';
import { ServerFaults } from './faults.ts';
import { ServerSession } from './session.ts';
import type { ClientIdentity, NbdServerOptions, ServerConfig, ServerIo, SessionServer } from './types.ts';
import { WireCounts } from './wire-counts.ts';

/**
 * One NBD server: its exports, its fault knobs and its live sessions. A host accepts a
 * connection, gives it a ServerIo and calls `accept`; the session does the rest.
 */
export class NbdServer implements SessionServer {
  readonly faults: ServerFaults;
  readonly sessions = new Set<ServerSession>();
  readonly bugs: Bugs;
  /** Commands received, by the counts scenarios assert on. */
  readonly wire = new WireCounts();
  private nextId = 1;

  constructor(readonly config: ServerConfig, readonly opts: NbdServerOptions) {
    validateServerConfig(config);
    this.faults = new ServerFaults(opts.rngOf, opts.name);
    this.bugs = opts.bugs ?? NO_BUGS;
  }

  get name(): string {
    return this.opts.name;
  }

  /** Starts a session on a new connection (sends the greeting at once). */
  accept(io: ServerIo, who: ClientIdentity): ServerSession {
    const s = new ServerSession(this, io, who, this.nextId++);
    this.sessions.add(s);
    s.start();
    return s;
  }

  /** Called by a session when it closes. */
  forget(s: ServerSession): void {
    this.sessions.delete(s);
  }

  /** Hang knob: while on, nothing is read or answered; off again resumes reading. */
  setHang(on: boolean): void {
    this.faults.hang = on;
    if (!on) for (const s of [...this.sessions]) s.kick();
  }

  /** Closes every session (server shutdown). */
  closeAll(): void {
    for (const s of [...this.sessions]) s.close('server shutdown');
  }
}
